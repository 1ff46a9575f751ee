"""Imports as background jobs: a large file shows its progress on a job page,
keeps all-or-nothing and the line/column errors, is audited, and a job whose
server was killed shows as interrupted and wrote nothing."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from peer_support import free_port, wait_for
from web_support import Client, make_user

from appliance import importer
from appliance.models import AuditLog, Customer, ImportJob, ImportRow
from web.pages import imports as page_import


def customers_csv(rows, bad_line=None):
    """A customers CSV of `rows` data rows; line `bad_line` (file line, header is 1) has a bad mobile."""
    lines = ["客户号,姓名,手机号码"]
    for i in range(rows):
        mobile = "12345" if i + 2 == bad_line else f"138{i:08d}"
        lines.append(f"C{i:06d},客户{i},{mobile}")
    return "\n".join(lines) + "\n"


def upload(client, filename, text, kind="customers", dry_run=False):
    client.page("/import")
    boundary = "----appliance-job-test"
    fields = [("csrf", client.csrf), ("kind", kind)] + ([("dry_run", "1")] if dry_run else [])
    body = "".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n" for k, v in fields)
    body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
             f"Content-Type: text/csv\r\n\r\n{text}\r\n--{boundary}--\r\n")
    return client.request("POST", "/import", body.encode(),
                          {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def job_json(client, job_id):
    resp = client.get(f"/import/jobs/{job_id}.json")
    assert resp.status == 200, resp.status
    return json.loads(resp.text)


def watch(client, job_id, timeout=120, on_state=None):
    """Poll the job's JSON until it ends; returns every state seen (each also given
    to on_state)."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen.append(job_json(client, job_id))
        if on_state:
            on_state(seen[-1])
        if seen[-1]["state"] not in ("queued", "running"):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end: {seen[-1]}")


def uploads_left(config):
    folder = config.data_dir / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def no_wait(monkeypatch):
    """The upload's answer does not wait for the job: every import shows its job page."""
    monkeypatch.setattr(page_import, "IMPORT_WAIT", 0)


def test_a_large_import_shows_progress_then_its_report(admin_client, web_config, no_wait, monkeypatch):
    rows = 3000
    # After its first published batch the import waits until the page's JSON showed it
    # part-way through writing: however fast the import, the progress is seen.
    seen_writing = threading.Event()
    monkeypatch.setattr(importer, "barrier", lambda point: seen_writing.wait(60) if point == "published" else None)

    def note(state):
        if state["state"] == "running" and state["phase"] == "writing" and 0 < state["percent"] < 100:
            seen_writing.set()
    resp = upload(admin_client, "大客户.csv", customers_csv(rows))
    assert resp.status == 303
    job_id = int(resp.getheader("Location").rsplit("/", 1)[1])
    page = admin_client.page(f"/import/jobs/{job_id}")
    assert page.status == 200 and '<progress id="job-progress"' in page.text
    assert 'src="/static/import_job.js"' in page.text and "<script>" not in page.text  # CSP: no inline script
    seen = watch(admin_client, job_id, on_state=note)
    running = [s for s in seen if s["state"] == "running"]
    assert running, "the job was never seen running"
    assert any(0 < s["percent"] < 100 and s["phase"] == "writing" for s in running), running[-3:]
    done = [s["checked"] + s["written"] for s in seen]
    assert done == sorted(done)  # progress never goes back
    final = seen[-1]
    assert (final["state"], final["total"], final["created"], final["percent"]) == ("done", rows, rows, 100)
    assert Customer.select().count() == rows
    # The job's row holds the final state, for any process to read.
    job = ImportJob.get_by_id(job_id)
    assert (job.state, job.rows_read, job.rows_checked, job.rows_written) == ("done", rows, rows, rows)
    entry = AuditLog.get(AuditLog.action == "import.customers")
    assert (entry.actor, entry.target, entry.source) == ("root", "大客户.csv", "127.0.0.1")
    html = admin_client.page(f"/import/jobs/{job_id}").text
    assert 'id="import-report"' in html and "3000" in html
    assert f'href="/import/jobs/{job_id}"' in admin_client.page("/import").text  # listed as recent
    assert uploads_left(web_config) == []


def test_a_bad_row_in_a_job_is_listed_and_nothing_is_imported(admin_client, web_config, no_wait):
    resp = upload(admin_client, "坏.csv", customers_csv(800, bad_line=790))
    job_id = int(resp.getheader("Location").rsplit("/", 1)[1])
    final = watch(admin_client, job_id)[-1]
    assert final["state"] == "failed" and final["created"] == 0
    assert final["errors"] == [{"line": 790, "column": "C", "header": "手机号码",
                                "message": "'12345' is not a valid phone number",
                                "msgid": "{field}: '{text}' is not a valid phone number",
                                "values": {"field": "手机号码", "text": "12345"}}]
    assert Customer.select().count() == 0  # the 788 good rows before it were rolled back
    html = admin_client.page(f"/import/jobs/{job_id}").text
    assert '<td class="num">790</td><td>C (手机号码)</td>' in html
    assert "<td>手机号码：“12345”不是有效的电话号码</td>" in html  # the problem in Chinese
    assert 'id="import-error"' in html
    refused = AuditLog.get(AuditLog.action == "import.customers.refused")
    assert refused.target == "坏.csv" and "line 790" in refused.detail and refused.source == "127.0.0.1"
    assert uploads_left(web_config) == []


def test_a_small_file_is_answered_at_once_and_a_dry_run_writes_nothing(admin_client):
    resp = upload(admin_client, "小.csv", customers_csv(3), dry_run=True)
    assert resp.status == 200 and 'id="import-report"' in resp.text
    assert Customer.select().count() == 0
    assert ImportJob.get().state == "done" and ImportJob.get().dry_run


def test_job_pages_need_a_session_and_unknown_jobs_are_404(admin_client, server):
    stranger = Client(server)
    assert stranger.get("/import/jobs/1.json").status == 303
    assert admin_client.get("/import/jobs/999").status == 404
    make_user("audrey", "auditor")
    auditor = Client(server)
    auditor.sign_in("audrey")
    assert auditor.get("/import/jobs/1").status == 403


def wait_listening(port, proc):
    def up():
        assert proc.poll() is None, proc.stderr.read()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False
    wait_for(up, 30, "the web server to listen")


def start_web(config_file, port, env=None):
    proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "--config", str(config_file), "run", "web"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=env)
    wait_listening(port, proc)
    return proc


def stopped_at(fifo, proc, timeout=120):
    """Block until the daemon's import opened the barrier FIFO (importer.barrier): it
    then waits there, in the state that point names, until the end returned is
    closed or the process killed. The open runs in a thread so a daemon that died
    or never got there fails the test instead of hanging it."""
    opened = {}
    thread = threading.Thread(target=lambda: opened.setdefault("end", open(fifo, "wb")), daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while thread.is_alive() and proc.poll() is None and time.monotonic() < deadline:
        thread.join(0.5)  # a timeout, not a synchronisation: the open returns when the import is there
    if thread.is_alive():
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # lets our own open return
        thread.join(5)
        opened.pop("end").close()
        raise AssertionError(f"the import never reached {fifo.name} (daemon exit code {proc.poll()})")
    return opened["end"]


def killed_import(web_config, tmp_path, rows, point, while_stopped=None):
    """Start the web daemon, upload a file of `rows` customers, kill -9 the daemon
    while its import waits at barrier `point` (after while_stopped(client, job id)).
    Returns (client, config file, port, job id)."""
    port = free_port()
    config_file = tmp_path / "appliance.toml"
    config_file.write_text(f'data_dir = "{web_config.data_dir}"\n[web]\nlisten = "127.0.0.1:{port}"\n')
    make_user("root", "admin")
    barriers = tmp_path / "barriers"
    barriers.mkdir()
    os.mkfifo(barriers / point)
    proc = start_web(config_file, port, env={**os.environ, importer.BARRIERS_ENV: str(barriers)})
    end = None
    try:
        client = Client(f"http://127.0.0.1:{port}")
        assert client.sign_in("root").status == 303
        resp = upload(client, "断电.csv", customers_csv(rows))
        assert resp.status == 303  # the import waits at the barrier: the answer shows the job's page
        job_id = int(resp.getheader("Location").rsplit("/", 1)[1])
        end = stopped_at(barriers / point, proc)
        if while_stopped:
            while_stopped(client, job_id)
        os.killpg(proc.pid, signal.SIGKILL)  # a power cut, while the import waits at `point`
        proc.wait(10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        if end is not None:
            end.close()
    return client, config_file, port, job_id


def test_a_job_killed_before_publishing_shows_interrupted_and_wrote_nothing(web_config, web_db, tmp_path):
    rows = 5000
    client, config_file, port, job_id = killed_import(web_config, tmp_path, rows, "staged")
    left = ImportJob.get_by_id(job_id)
    assert left.state == "running" and left.published is None  # what the dead process left
    assert ImportRow.select().count() == rows  # every row staged, none published
    assert Customer.select().count() == 0
    proc = start_web(config_file, port)
    try:
        job = job_json(client, job_id)
        assert job["state"] == "interrupted" and job["created"] == 0
        html = client.page(f"/import/jobs/{job_id}").text
        assert 'id="import-error"' in html and "job-refresh" not in html
        assert Customer.select().count() == 0
        assert uploads_left(web_config) == []
        assert not AuditLog.select().where(AuditLog.action == "import.customers").exists()
        wait_for(lambda: not ImportRow.select().exists(), 30, "the staged rows to be dropped")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)


def test_a_job_killed_while_publishing_is_rolled_forward_never_half_applied(web_config, web_db, tmp_path):
    rows = 5000
    batch = importer.PUBLISH_BATCH["customers"]

    def progress_as_the_row_says(client, job_id):  # the live job: written is what the row records
        job = job_json(client, job_id)
        assert (job["written"], job["staged"], ImportJob.get_by_id(job_id).published) == (batch, rows, batch)
        assert job["percent"] == int(50 + 25 * (rows + batch) / rows)
    client, config_file, port, job_id = killed_import(web_config, tmp_path, rows, "published",
                                                      progress_as_the_row_says)
    left = ImportJob.get_by_id(job_id)
    assert left.state == "running" and left.published == importer.PUBLISH_BATCH["customers"], \
        (left.state, left.published)
    assert Customer.select().count() == left.published  # each batch with its progress, no more, no less
    proc = start_web(config_file, port)
    try:
        wait_for(lambda: job_json(client, job_id)["state"] == "done", 60, "the job to be rolled forward")
        job = job_json(client, job_id)
        assert (job["created"], job["updated"]) == (rows, 0)
        assert Customer.select().count() == rows and not ImportRow.select().exists()
        assert AuditLog.select().where(AuditLog.action == "import.customers").count() == 1
        assert uploads_left(web_config) == []
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
