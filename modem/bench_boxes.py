"""`appliance bench sms --boxes N`: throughput of 1, 2 … N boxes sending from one outbox on
one PostgreSQL server, and the database's share of the CPU.

Each run starts a fresh database on a throw-away PostgreSQL server (modem.fleet), N smsd
processes each with its own zero-latency simulated modems, waits until every modem is up,
then queues the parts in one go and times them until the last is done. CPU comes from
/proc: the smsd processes' and the PostgreSQL backends serving this database (found in
pg_stat_activity), so "database share" is backends / (backends + smsd).
"""
import time

from appliance import db as dbmod
from appliance.config import Config
from appliance.sms import outbox
from appliance.sms.models import MessagePart, ModemStatus
from modem.fleet import Fleet, TemporaryPostgres, cpu_seconds, wait_until


def backend_pids():
    db = dbmod.database.obj
    rows = db.execute_sql("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                          "AND pid != pg_backend_pid()").fetchall()
    return [pid for (pid,) in rows]


def one_run(server, boxes, modems, parts):
    url = server.new_database()
    fleet = Fleet(url, boxes, modems=modems)
    db = None
    try:
        fleet.init()
        db = dbmod.open_database(Config({"data_dir": str(fleet.root / "bench"), "database.url": url}))
        fleet.start()
        wait_until(lambda: ModemStatus.select().where(ModemStatus.state == "ok").count() >= boxes * modems,
                   120, f"{boxes * modems} modems up")
        rows = [{"to_number": f"+86139{i:08d}", "text": f"保单提醒 Policy reminder {i}", "source": "bench",
                 "delivery_report": False} for i in range(parts)]
        smsd_cpu = {pid: cpu_seconds(pid) for pid in fleet.smsd_pids()}
        pg_cpu = {pid: cpu_seconds(pid) for pid in backend_pids()}
        start = time.perf_counter()
        outbox.queue_many(rows)
        wait_until(lambda: MessagePart.select().where(MessagePart.state.not_in(("queued", "sending"))).count()
                   >= parts, 60 + parts / 10, f"{parts} parts done", interval=0.1)
        wall = time.perf_counter() - start
        smsd = sum(cpu_seconds(pid) - before for pid, before in smsd_cpu.items())
        database = sum(cpu_seconds(pid) - pg_cpu.get(pid, 0.0) for pid in backend_pids())
        return {"boxes": boxes, "modems": boxes * modems, "parts": parts, "seconds": round(wall, 2),
                "parts_per_second": round(parts / wall, 1), "smsd_cpu_seconds": round(smsd, 2),
                "database_cpu_seconds": round(database, 2),
                "database_share_percent": round(100 * database / (database + smsd), 1) if database + smsd else 0.0}
    finally:
        if db is not None:
            db.close()
        fleet.stop()


def run_boxes_bench(args):
    server = TemporaryPostgres().start()
    try:
        print(f"SMS bench: 1 to {args.boxes} boxes on one PostgreSQL {server.version} server, {args.modems} "
              f"zero-latency modem(s) each, {args.parts} parts per run…", flush=True)
        runs = []
        for boxes in range(1, args.boxes + 1):
            run = one_run(server, boxes, args.modems, args.parts)
            runs.append(run)
            print(f"  {boxes} box(es): {run['parts_per_second']} parts/s ({run['parts']} parts in "
                  f"{run['seconds']} s); CPU: smsd {run['smsd_cpu_seconds']} s, PostgreSQL backends "
                  f"{run['database_cpu_seconds']} s ({run['database_share_percent']} % database)", flush=True)
        return {"postgresql": server.version, "runs": runs}
    finally:
        server.stop()
