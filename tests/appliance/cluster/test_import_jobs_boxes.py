"""Import jobs on several boxes sharing one database: a box recovers only its own jobs; another
box's running or publishing job is never marked interrupted, discarded or rolled forward.
A box is its box.name, not its host name: boxes cloned from one image share the host name."""
import socket
import subprocess

import pytest

from appliance import import_jobs, importer
from appliance.cluster import identity
from appliance.config import Config
from appliance.models import ImportJob


@pytest.fixture(autouse=True)
def no_box_set(monkeypatch):
    """Each test starts as a process nothing named (the host name); what it sets is undone."""
    monkeypatch.setattr(identity, "_this_box", None)


def dead_pid():
    """A pid of this host that no longer runs."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def a_job(tmp_path, owner, **values):
    upload = tmp_path / f"{owner.replace(':', '-')}.csv"
    upload.write_text("customer_no,name\n")
    return ImportJob.create(kind="customers", filename="客户.csv", path=str(upload), actor="admin",
                            state="running", phase="writing", owner=owner, **values)


def test_only_this_boxs_dead_jobs_are_recovered(database, tmp_path):
    ours = a_job(tmp_path, f"{socket.gethostname()}:{dead_pid()}")  # nothing set: the host name
    theirs = a_job(tmp_path, "box-elsewhere:4242")
    publishing = a_job(tmp_path, "box-elsewhere:4243", published=3)
    assert import_jobs.mark_interrupted() == 1
    assert ImportJob.get_by_id(ours.id).state == "interrupted"
    for job in (theirs, publishing):
        row = ImportJob.get_by_id(job.id)
        assert (row.state, row.published) == ("running", job.published)
        assert job.id not in import_jobs.LIVE  # no roll-forward thread here
        assert (tmp_path / f"{job.owner.replace(':', '-')}.csv").exists()  # its upload is left alone


def test_boxes_sharing_a_host_name_recover_only_their_own_jobs(database, tmp_path):
    identity.use(Config({"box.name": "clone-b"}))
    assert importer.owner().startswith("clone-b:")  # jobs this process starts name its box
    pid = dead_pid()
    ours = a_job(tmp_path, f"clone-a:{pid}")
    theirs = a_job(tmp_path, f"clone-b:{pid}")  # same host, same dead pid: only the box differs
    identity.use(Config({"box.name": "clone-a"}))
    assert import_jobs.mark_interrupted() == 1
    assert ImportJob.get_by_id(ours.id).state == "interrupted"
    assert ImportJob.get_by_id(theirs.id).state == "running"


def test_the_cli_names_the_configured_box_as_the_owner(database, run_cli, tmp_path):
    config_path = tmp_path / "clone-b.toml"
    config_path.write_text(f'data_dir = "{tmp_path / "data"}"\n[box]\nname = "clone-b"\n')
    upload = tmp_path / "c.csv"
    upload.write_text("客户号,姓名,手机号码\nC1,张伟,13800138000\n", encoding="utf-8")
    assert run_cli("import", "customers", upload, config_path=config_path).returncode == 0
    job = ImportJob.get()
    assert job.owner.partition(":")[0] == "clone-b"
    # As if box clone-b had died mid-import: box clone-a, on a host of the same name, leaves it.
    ImportJob.update(state="running", phase="writing", published=None, finished_at=None).execute()
    identity.use(Config({"box.name": "clone-a"}))
    assert import_jobs.mark_interrupted() == 0
    assert ImportJob.get_by_id(job.id).state == "running"
    identity.use(Config({"box.name": "clone-b"}))  # clone-b itself, restarted, recovers it
    assert import_jobs.mark_interrupted() == 1
