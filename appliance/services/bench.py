"""`appliance bench campaign`: queue one campaign to many recipients with
personal templates, on a throw-away database (the setup is not timed)."""
import datetime
import random
import shutil
import tempfile
import time

from appliance import clock, db as dbmod, groups
from appliance.services import campaigns
from appliance.sms.models import Message

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
PREFIXES = ["138", "139", "135", "150", "182", "130", "131", "186", "133", "153", "189", "177"]


def seed_customers(count, region):
    """`count` customers with distinct valid mobiles, inserted in bulk (no per-row checks)."""
    rng = random.Random(2026)
    rows = []
    stamp = clock.now()
    for i in range(count):
        number = f"+86{PREFIXES[i % len(PREFIXES)]}{i:08d}"
        rows.append({"name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                     "gender": "MF"[i % 2], "mobile": number, "region": region,
                     "language": "en" if i % 50 == 0 else "zh", "created_at": stamp,
                     "other_phones": "", "opt_out": False})
    # Plain executemany: peewee's insert_many builds SQL per row, slow for a mere fixture.
    columns = list(rows[0])
    sql = (f"INSERT INTO customer ({', '.join(columns)}) "
           f"VALUES ({', '.join('?' for _ in columns)})")
    with dbmod.database.atomic():
        dbmod.database.cursor().executemany(sql, [tuple(r[c] for c in columns) for r in rows])
        # The phone index Customer.save() would keep (appliance/customer_phones.py).
        dbmod.database.execute_sql("INSERT INTO customer_phone (customer_id, number) "
                                   "SELECT id, mobile FROM customer WHERE region = ?", (region,))


def bench_campaign(config, recipients=100_000):
    data_dir = tempfile.mkdtemp(prefix="appliance-bench-")
    try:
        bench_config = config.replace(data_dir=data_dir, database__url="")
        database = dbmod.open_database(bench_config)
        dbmod.migrate(database)
        t0 = time.perf_counter()
        seed_customers(recipients, "bench")
        groups.create("bench", "customer", rule="region", rule_value="bench")
        setup = time.perf_counter() - t0
        # Mid-morning, so the marketing window is open and nothing waits.
        at = clock.instant(datetime.datetime.combine(clock.today(), datetime.time(10, 0)))
        start = time.perf_counter()
        campaign = campaigns.send_to_group(bench_config, "bench", "bench", template_key="holiday",
                                           extra={"festival": "中秋节"}, created_by="bench", now=at)
        seconds = time.perf_counter() - start
        queued = Message.select().where(Message.campaign_id == campaign.id).count()
        sample = Message.select().where(Message.campaign_id == campaign.id).order_by(Message.id).first()
        database.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return {"recipients": recipients, "queued": queued, "seconds": round(seconds, 3),
            "per_second": queued / seconds if seconds else 0, "setup_seconds": round(setup, 1),
            "sample": sample.text if sample else ""}


def bench_import(config, rows=200_000):
    """`appliance bench import`: a customers CSV of `rows` rows imported while a writer
    like smsd's dispatcher commits every 50 ms and page-like requests (a read and a
    write each) run; reports rows/s, peak RSS, the longest gap between two of the
    writer's commits and the requests' p95 during the import."""
    import resource
    import threading

    from appliance import importer
    from appliance.models import AuditLog, Customer
    data_dir = tempfile.mkdtemp(prefix="appliance-bench-")
    try:
        bench_config = config.replace(data_dir=data_dir, database__url="")
        database = dbmod.open_database(bench_config)
        dbmod.migrate(database)
        path = f"{data_dir}/customers.csv"
        rng = random.Random(2026)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("客户号,姓名,手机号码,地区\n")
            for i in range(rows):
                fh.write(f"C{i:07d},{rng.choice(SURNAMES)}{rng.choice(GIVEN)},"
                         f"{PREFIXES[i % len(PREFIXES)]}{i:08d},福州\n")
        audit = AuditLog.create(actor="bench", action="bench.tick")
        done = threading.Event()
        gaps, pages = [], []

        def sender():  # smsd: a short write transaction per turn
            dbmod.database.connect(reuse_if_open=True)
            last = time.perf_counter()
            while not done.is_set():
                def turn():
                    with dbmod.write_transaction():
                        AuditLog.update(detail=str(time.time())).where(AuditLog.id == audit.id).execute()
                dbmod.retrying(turn)
                moment = time.perf_counter()
                gaps.append(moment - last)
                last = moment
                done.wait(0.05)

        def browser():  # a page: a read and a write (the session's last_seen)
            dbmod.database.connect(reuse_if_open=True)
            while not done.is_set():
                t0 = time.perf_counter()
                Customer.select().where(Customer.region == "福州").order_by(Customer.id.desc()).limit(50).count()
                dbmod.retrying(lambda: AuditLog.update(source="x").where(AuditLog.id == audit.id).execute())
                pages.append(time.perf_counter() - t0)
                done.wait(0.1)
        threads = [threading.Thread(target=sender), threading.Thread(target=browser)]
        for thread in threads:
            thread.start()
        start = time.perf_counter()
        report = importer.import_file("customers", path, actor="bench")
        seconds = time.perf_counter() - start
        done.set()
        for thread in threads:
            thread.join()
        database.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    pages.sort()
    return {"rows": rows, "created": report["created"], "seconds": round(seconds, 1),
            "rows_per_second": round(rows / seconds), "max_rss_mb": resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss // 1024,
            "longest_send_gap_s": round(max(gaps), 3) if gaps else None,
            "page_p95_ms": round(1000 * pages[int(0.95 * (len(pages) - 1))], 1) if pages else None}
