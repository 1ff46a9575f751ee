"""`appliance bench sms`: throughput, CPU per part and pool utilisation.

Each run uses a throw-away data dir and a simulator in its own process, so the
CPU measured (time.process_time of this process: pool, dispatcher, AT layer,
database) is smsd's share only.
"""
import datetime
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from appliance import db as dbmod
from appliance.config import Config, ensure_data_dir
from appliance.sms import outbox
from appliance.sms.models import Message
from modem.dispatcher import Dispatcher
from modem.pool import Pool
from modem.sim import read_air, wait_for_links

TARGET_CPU_MS = 2.0
TARGET_UTILISATION = 95.0


class _Run:
    """A simulator process, a database and a pool on a temporary directory."""

    def __init__(self, modems, latency, **settings):
        self.dir = Path(tempfile.mkdtemp(prefix="bench-sms-"))
        self.modems = modems
        self.sim = subprocess.Popen([sys.executable, "-m", "appliance.cli", "-q", "sim", "--modems", str(modems),
                                     "--dir", str(self.dir / "modems"), "--latency", str(latency)],
                                    stdout=subprocess.DEVNULL)
        if not wait_for_links(self.dir / "modems", modems, timeout=30):
            self.close()
            raise RuntimeError("the simulator did not start")
        values = {"data_dir": str(self.dir / "data"), "modems.ports": [str(self.dir / "modems" / "gsm*")],
                  "modems.daily_cap": 0, "modems.monthly_cap": 0}
        values.update(settings)
        self.config = Config(values)
        ensure_data_dir(self.config)
        self.db = dbmod.open_database(self.config)
        dbmod.migrate(self.db)
        self.pool = Pool(self.config).start()
        self.dispatcher = Dispatcher(self.config, self.pool)
        self.dispatcher.start()

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while len(self.pool.ready()) < self.modems and time.monotonic() < deadline:
            self.dispatcher.step(0.1)
        return len(self.pool.ready()) == self.modems

    def queue(self, count, text):
        rows = [{"to_number": f"+86138{i % 100000000:08d}", "text": f"{text} {i}", "source": "bench"}
                for i in range(count)]
        outbox.queue_many(rows)

    def close(self):
        if getattr(self, "pool", None):
            self.pool.stop()
        if getattr(self, "db", None):
            self.db.close()
        self.sim.terminate()
        try:
            self.sim.wait(10)
        except subprocess.TimeoutExpired:
            self.sim.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def throughput(modems, parts):
    run = _Run(modems, 0.0)
    try:
        if not run.wait_ready():
            raise RuntimeError("modems did not come up")
        run.queue(parts, "保单提醒 Policy reminder")
        dispatcher = run.dispatcher
        dispatcher.parts_done = 0
        wall, cpu = time.perf_counter(), time.process_time()
        deadline = time.monotonic() + 60 + parts / 20
        while dispatcher.parts_done < parts:
            dispatcher.step(0.05)
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {dispatcher.parts_done} of {parts} parts done in time")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        sent = Message.select().where(Message.state.in_(("sent", "delivered"))).count()
        return {"modems": modems, "parts": parts, "sent": sent, "seconds": round(wall, 2),
                "parts_per_second": round(parts / wall, 1), "cpu_ms_per_part": round(cpu * 1000 / parts, 3)}
    finally:
        run.close()


def utilisation(modems, latency, duration):
    run = _Run(modems, latency)
    try:
        capacity = int(modems * duration / latency)
        if not run.wait_ready():
            raise RuntimeError("modems did not come up")
        run.queue(capacity * 2 + modems, "续保通知 Renewal notice")
        start = datetime.datetime.now()
        t_end = time.monotonic() + duration
        while time.monotonic() < t_end:
            run.dispatcher.step(0.05)
        end = datetime.datetime.now()
        # Submits still on the air are written to air.jsonl when they finish:
        # let them, so the end of the window is counted too.
        t_drain = time.monotonic() + latency + 1.0
        while time.monotonic() < t_drain:
            run.dispatcher.step(0.05)
        busy = 0.0
        for record in read_air(run.dir / "modems"):
            began = datetime.datetime.fromisoformat(record["time"])
            finished = began + datetime.timedelta(seconds=latency)
            overlap = (min(finished, end) - max(began, start)).total_seconds()
            busy += max(0.0, overlap)
        window = (end - start).total_seconds()
        return {"modems": modems, "latency": latency, "seconds": round(window, 1),
                "capacity_parts": capacity, "utilisation_percent": round(100 * busy / (modems * window), 1)}
    finally:
        run.close()


def run_bench(args):
    print(f"SMS bench: {args.parts} parts on {args.modems} zero-latency simulated modem(s)…", flush=True)
    first = throughput(args.modems, args.parts)
    verdict = "ok" if first["cpu_ms_per_part"] <= TARGET_CPU_MS else "OVER TARGET"
    print(f"  {first['parts_per_second']} parts/s ({first['parts']} parts in {first['seconds']} s), "
          f"{first['cpu_ms_per_part']} ms CPU per part in smsd (target <= {TARGET_CPU_MS} ms: {verdict})",
          flush=True)
    print(f"SMS bench: pool utilisation, {args.pool_modems} modems at {args.latency:g} s per submit "
          f"for {args.duration:g} s…", flush=True)
    second = utilisation(args.pool_modems, args.latency, args.duration)
    verdict = "ok" if second["utilisation_percent"] >= TARGET_UTILISATION else "UNDER TARGET"
    print(f"  {second['utilisation_percent']} % of the modems' capacity used "
          f"(target >= {TARGET_UTILISATION:g} %: {verdict})", flush=True)
    return {"throughput": first, "utilisation": second}
