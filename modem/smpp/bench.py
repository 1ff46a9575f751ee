"""`appliance bench sms --bearer smpp`: parts per second and CPU per part of the SMPP bearer.

A throw-away data dir and SQLite database; the smpp daemon (`appliance run smpp`) as
its own process, against the fake SMSC in this process (the default: modem/smpp/simulator.py,
answering at once, receipts at once) or a real one (`--smsc HOST:PORT --system-id …
--password …`, e.g. Jasmin). Once it is bound, N parts are queued in one go (a quarter of
them in long UCS2 messages of three parts, the rest single Chinese or English parts, all
asking for a receipt); the time runs until none is queued or being sent, the CPU (the
daemon process's, from /proc) until their receipts came in too (or 10 s more passed).
"""
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from appliance import db as dbmod
from appliance.config import Config, ensure_data_dir, toml_value
from appliance.errors import InputError
from appliance.sms import outbox
from appliance.sms.models import Message, MessagePart, ModemStatus
from modem.fleet import cpu_seconds, wait_until
from modem.smpp.simulator import Smsc

LONG = "尊敬的客户：您的车险保单将于下月到期，请登录官方渠道或联系您的专属代理人办理续保，以免脱保影响出行保障。详询客服热线。"
RECEIPT_GRACE = 10.0


def _smsc_address(value):
    host, _, port = (value or "").rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"--smsc: must be HOST:PORT, got {value!r}", field="smsc")
    return host, int(port)


def _rows(parts):
    """Messages adding up to exactly `parts` parts: long ones (3 parts each) for about a quarter."""
    longs = parts // 4 // 3
    rows = [{"to_number": f"+86139{i % 100000000:08d}", "text": f"{LONG * 3} {i}", "source": "bench"}
            for i in range(longs)]
    rows += [{"to_number": f"+86138{i % 100000000:08d}", "text": f"保单提醒 {i}" if i % 2 else f"Policy reminder {i}",
              "source": "bench"} for i in range(parts - 3 * longs)]
    return rows


def _write_config(path, values):
    sections = {}
    for name, value in values.items():
        head, _, key = name.rpartition(".")
        sections.setdefault(head, []).append(f"{key} = {toml_value(value)}")
    text = "\n".join(sections.pop("", [])) + "\n"
    for head, lines in sections.items():
        text += f"\n[{head}]\n" + "\n".join(lines) + "\n"
    path.write_text(text)


def _done(states):
    return MessagePart.select().where(MessagePart.state.in_(states)).count()


def run_smpp_bench(args):
    """Returns the figures (and prints them)."""
    root = Path(tempfile.mkdtemp(prefix="bench-smpp-"))
    smsc = None
    daemon = db = None
    try:
        if args.smsc:
            host, port = _smsc_address(args.smsc)
            system_id, password, against = args.system_id or "", args.password or "", f"the SMSC at {args.smsc}"
        else:
            smsc = Smsc(system_id="bench", password="bench").start()
            host, port, system_id, password = "127.0.0.1", smsc.port, "bench", "bench"
            against = "the fake SMSC (modem/smpp/simulator.py, answering at once)"
        values = {"data_dir": str(root / "data"), "smpp.enabled": True, "smpp.host": host, "smpp.port": port,
                  "smpp.system_id": system_id, "smpp.password": password, "smpp.window": args.window,
                  "smpp.rate": args.rate, "smpp.reconnect": 1.0}
        config = Config(values)
        ensure_data_dir(config)
        db = dbmod.open_database(config)
        dbmod.migrate(db)
        _write_config(root / "bench.toml", values)
        print(f"SMS bench over SMPP: {args.parts} parts against {against}, window {args.window}, "
              f"rate {args.rate:g}/s…", flush=True)
        daemon = subprocess.Popen([sys.executable, "-m", "appliance.cli", "-q", "--config", str(root / "bench.toml"),
                                   "run", "smpp"], stdout=subprocess.DEVNULL)
        wait_until(lambda: ModemStatus.select().where(ModemStatus.port == "smpp", ModemStatus.state == "ok").exists(),
                   60, "the smpp daemon bound")
        result = _measure(daemon.pid, args.parts)
        print(f"  {result['parts_per_second']} parts/s ({result['parts']} parts in {result['seconds']} s; "
              f"{result['sent']} sent, {result['delivered']} delivered, {result['other']} other), "
              f"{result['cpu_ms_per_part']} ms CPU per part in the smpp daemon", flush=True)
        return result
    finally:
        if daemon is not None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(30)
            except subprocess.TimeoutExpired:
                daemon.kill()
        if db is not None:
            db.close()
        if smsc is not None:
            smsc.stop()
        shutil.rmtree(root, ignore_errors=True)


def _measure(pid, parts):
    rows = _rows(parts)
    cpu_before = cpu_seconds(pid)
    start = time.perf_counter()
    outbox.queue_many(rows)
    Message.update(bearer="smpp").execute()  # as the routing rules would (sms.route_*)
    wait_until(lambda: _done(("queued", "sending")) == 0, 60 + parts / 5, f"{parts} parts submitted", interval=0.05)
    wall = time.perf_counter() - start
    deadline = time.monotonic() + RECEIPT_GRACE
    while _done(("sent",)) and time.monotonic() < deadline:
        time.sleep(0.1)  # the receipts' turn: the daemon's CPU for them counts too
    cpu = cpu_seconds(pid) - cpu_before
    sent, delivered = _done(("sent",)), _done(("delivered",))
    return {"parts": parts, "seconds": round(wall, 2), "parts_per_second": round(parts / wall, 1),
            "cpu_ms_per_part": round(cpu * 1000 / parts, 3), "sent": sent, "delivered": delivered,
            "other": parts - sent - delivered}
