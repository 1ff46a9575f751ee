"""Import jobs on several boxes sharing one database: a box recovers only its own jobs; another
box's running or publishing job is never marked interrupted, discarded or rolled forward."""
import socket
import subprocess

from appliance import import_jobs
from appliance.models import ImportJob


def a_job(tmp_path, owner, **values):
    upload = tmp_path / f"{owner.replace(':', '-')}.csv"
    upload.write_text("customer_no,name\n")
    return ImportJob.create(kind="customers", filename="客户.csv", path=str(upload), actor="admin",
                            state="running", phase="writing", owner=owner, **values)


def test_only_this_boxs_dead_jobs_are_recovered(database, tmp_path):
    dead_pid = subprocess.Popen(["true"])  # a pid of this box that no longer runs
    dead_pid.wait()
    ours = a_job(tmp_path, f"{socket.gethostname()}:{dead_pid.pid}")
    theirs = a_job(tmp_path, "box-elsewhere:4242")
    publishing = a_job(tmp_path, "box-elsewhere:4243", published=3)
    assert import_jobs.mark_interrupted() == 1
    assert ImportJob.get_by_id(ours.id).state == "interrupted"
    for job in (theirs, publishing):
        row = ImportJob.get_by_id(job.id)
        assert (row.state, row.published) == ("running", job.published)
        assert job.id not in import_jobs.LIVE  # no roll-forward thread here
        assert (tmp_path / f"{job.owner.replace(':', '-')}.csv").exists()  # its upload is left alone
