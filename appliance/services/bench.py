"""`appliance bench campaign`: queue one campaign to many recipients with
personal templates, on a throw-away database (the setup is not timed)."""
import datetime
import random
import re
import shutil
import tempfile
import time

from appliance import clock, db as dbmod, groups
from appliance.db import write_transaction
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
    with dbmod.write_transaction():
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


def bench_import(config, rows=200_000, modems=4, latency=0.25):
    """`appliance bench import`: the box at work while a large customer file is
    imported, every part a separate process as deployed: a simulator with `modems`
    modems (`latency` s per submit), `appliance run smsd` sending a backlog through
    them, and `appliance run web`, which runs the import (uploaded as on the import
    page, a background job) while a browser requests pages from it. Reports the
    import's rows/s (the job's start to its end), the longest gap between two parts
    the modems sent meanwhile (the simulator's air log), page p95 during the import
    and every error seen (HTTP status, failed parts, ERROR lines in the daemons' logs)."""
    import http.client
    import signal
    import subprocess
    import sys
    import threading
    from pathlib import Path

    from appliance.models import AdminUser, ImportJob
    from appliance.sms import outbox
    from appliance.users import create_user
    from modem.sim import read_air, wait_for_links
    from web.bench import BENCH_PASSWORD, BENCH_USER, Browser, free_port, percentile

    base = Path(tempfile.mkdtemp(prefix="appliance-bench-import-"))
    procs, logs = {}, {}
    try:
        port = free_port()
        config_file = base / "appliance.toml"
        config_file.write_text(
            f'data_dir = "{base / "data"}"\n[modems]\nports = ["{base / "modems" / "gsm*"}"]\n'
            f'daily_cap = 0\nmonthly_cap = 0\n[web]\nlisten = "127.0.0.1:{port}"\n', encoding="utf-8")
        from appliance.config import ensure_data_dir, load_config
        bench_config = load_config(config_file)
        ensure_data_dir(bench_config)
        database = dbmod.open_database(bench_config)
        dbmod.migrate(database)
        create_user(BENCH_USER, BENCH_PASSWORD, "admin", actor="bench", source="bench")
        AdminUser.update(must_change_password=False).where(AdminUser.username == BENCH_USER).execute()
        backlog = int(modems / latency * (rows / 2_000 + 60))  # more than the modems send meanwhile
        outbox.queue_many([{"to_number": f"+86138{i:08d}", "text": f"保单提醒 {i}", "source": "bench"}
                           for i in range(backlog)])
        path = base / "customers.csv"
        rng = random.Random(2026)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("客户号,姓名,手机号码,地区\n")
            for i in range(rows):
                fh.write(f"C{i:07d},{rng.choice(SURNAMES)}{rng.choice(GIVEN)},"
                         f"{PREFIXES[i % len(PREFIXES)]}{i:08d},福州\n")

        def start(name, *argv):
            logs[name] = open(base / f"{name}.log", "w+", encoding="utf-8")
            procs[name] = subprocess.Popen([sys.executable, "-m", "appliance.cli", *argv], stdout=subprocess.DEVNULL,
                                           stderr=logs[name], start_new_session=True)
        start("sim", "-q", "sim", "--modems", str(modems), "--dir", str(base / "modems"), "--latency", str(latency))
        if not wait_for_links(base / "modems", modems, timeout=30):
            raise RuntimeError("the simulator did not start")
        start("smsd", "--config", str(config_file), "run", "smsd")
        start("web", "--config", str(config_file), "run", "web")

        def sent():
            return [r for r in read_air(base / "modems") if r.get("result") == "ok"]
        deadline = time.monotonic() + 60
        while len(sent()) < 4 * modems:  # smsd sends steadily
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs.values()):
                raise RuntimeError("smsd did not start sending (see its log)")
            time.sleep(0.2)
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/signin")
                break
            except OSError:
                if time.monotonic() > deadline or procs["web"].poll() is not None:
                    raise RuntimeError("the web server did not start (see its log)") from None
                time.sleep(0.2)

        browser, uploader = Browser(port), Browser(port)
        browser.sign_in()
        uploader.sign_in()
        paths = ["/", "/history", "/customers", "/inbox", "/import", "/audit", "/send", "/campaigns"]
        for page in paths:  # warm up, as on a running box
            browser.request("GET", page)
        done, pages = threading.Event(), []

        def browse():
            n = 0
            while not done.is_set():
                page = paths[n % len(paths)]
                began = time.perf_counter()
                status, _ = browser.request("GET", page)
                pages.append((began, time.perf_counter() - began, status, page))
                n += 1
        _, html = uploader.request("GET", "/import")
        csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
        boundary = "----appliance-bench-import"
        body = b"".join([
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'.encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ncustomers\r\n'.encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="customers.csv"\r\n'
            f'Content-Type: text/csv\r\n\r\n'.encode(), path.read_bytes(), f"\r\n--{boundary}--\r\n".encode()])
        browsing = threading.Thread(target=browse, daemon=True)
        browsing.start()
        began, wall = datetime.datetime.now(), time.perf_counter()
        window_start = wall
        status, _ = uploader.request("POST", "/import", body,
                                     {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        if status not in (200, 303):
            raise RuntimeError(f"the upload answered HTTP {status}")
        while True:
            job = ImportJob.select().order_by(ImportJob.id.desc()).first()
            if job is not None and job.state not in ("queued", "running"):
                break
            if procs["web"].poll() is not None:
                raise RuntimeError("the web server died during the import (see its log)")
            time.sleep(0.1)
        ended, window_end = datetime.datetime.now(), time.perf_counter()
        wall = window_end - wall
        done.set()
        browsing.join(60)
        seconds = (job.finished_at - job.started_at).total_seconds()
        times = sorted(datetime.datetime.fromisoformat(record["time"]) for record in sent())
        during = [t for t in times if began <= t <= ended]
        edges = [began, *during, ended]
        longest_gap = max((b - a).total_seconds() for a, b in zip(edges, edges[1:]))
        from appliance.sms.models import MessagePart
        failed_parts = MessagePart.select().where(MessagePart.state.in_(("failed", "unknown"))).count()
        database.close()
    finally:
        for name in ("web", "smsd", "sim"):
            proc = procs.get(name)
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        errors = []
        for name, fh in logs.items():
            fh.seek(0)
            errors += [f"{name}: {line.strip()}" for line in fh
                       if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback")]
            fh.close()
        shutil.rmtree(base, ignore_errors=True)
    during_pages = [(t, status) for start_at, t, status, _ in pages if window_start <= start_at <= window_end]
    errors += [f"web: a page answered HTTP {status}" for _, status in during_pages if status != 200]
    if job.state != "done" or job.created != rows:
        errors.append(f"import: job {job.state} ({job.message}), {job.created} of {rows} created")
    if failed_parts:
        errors.append(f"smsd: {failed_parts} part(s) failed or unknown")
    result = {"rows": rows, "created": job.created, "seconds": round(seconds, 1),
              "rows_per_second": round(rows / seconds) if seconds else None,
              "upload_to_done_s": round(wall, 1), "modems": modems, "latency_s": latency,
              "parts_sent_during": len(during), "longest_send_gap_s": round(longest_gap, 3),
              "page_requests": len(during_pages),
              "page_p95_ms": round(1000 * percentile([t for t, _ in during_pages], 0.95), 1) if during_pages else None,
              "page_max_ms": round(1000 * max(t for t, _ in during_pages), 1) if during_pages else None,
              "errors": errors[:20]}
    result["ok"] = (not errors and result["longest_send_gap_s"] <= 2.0 and (result["page_p95_ms"] or 0) <= 200
                    and (result["rows_per_second"] or 0) >= 5000)
    return result


# --- the daily notice run over a large book ----------------------------------------------

NOTICE_DAY = datetime.date(2026, 6, 10)  # a day without a festival: the usual busy day


def fill_book(policies, today=NOTICE_DAY, agents=2_000):
    """A generated book: `policies` customers each holding one annual policy, due dates
    spread over a year around `today` (30 days past to 335 ahead), half of them with an
    active agent, birthdays over the year; no payments yet. On the first run of a day that
    is about 9 % of the policies with a notice (renewal, agent renewal, overdue, birthday)."""
    rng = random.Random(2026)
    stamp = clock.now()
    db = dbmod.database
    with dbmod.write_transaction(db):
        db.execute_sql("INSERT INTO product (code, name, kind, rate_basis, unit_amount, ivr_key) "
                       "VALUES ('A101', '安康终身寿险', 'main', 'per_thousand', 1000, '')")
        product = db.execute_sql("SELECT id FROM product WHERE code = 'A101'").fetchone()[0]
        db.cursor().executemany(
            "INSERT INTO staff (badge_no, name, gender, mobile, branch, department, status, licence_no, "
            "created_at, pin_hash, pin_failures, greetings_opt_out) "
            "VALUES (?, ?, 'M', ?, '', '个险一部', 'active', '', ?, '', 0, 0)",  # no column defaults in the schema
            [(f"3501{i:04d}", rng.choice(SURNAMES) + rng.choice(GIVEN), f"+86139{i:08d}", stamp)
             for i in range(agents)])
        first_staff = db.execute_sql("SELECT MIN(id) FROM staff").fetchone()[0]
    for start in range(0, policies, 50_000):
        chunk = range(start, min(policies, start + 50_000))
        with dbmod.write_transaction(db):
            db.cursor().executemany(
                "INSERT INTO customer (customer_no, name, gender, mobile, other_phones, birth_date, region, "
                "language, opt_out, created_at) VALUES (?, ?, ?, ?, '', ?, '福州', ?, 0, ?)",
                [(f"C{i:07d}", rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), "MF"[i % 2],
                  f"+86{PREFIXES[i % len(PREFIXES)]}{i:08d}",
                  datetime.date(1960 + i % 40, 1, 1) + datetime.timedelta(days=i % 365),
                  "en" if i % 50 == 0 else "zh", stamp) for i in chunk])
            first = db.execute_sql("SELECT id FROM customer WHERE customer_no = ?", (f"C{start:07d}",)).fetchone()[0]
            db.execute_sql("INSERT INTO customer_phone (customer_id, number) SELECT id, mobile FROM customer "
                           "WHERE id >= ?", (first,))
            db.cursor().executemany(
                "INSERT INTO policy (policy_no, product_id, holder_id, agent_id, premium, frequency, sum_assured, "
                "issue_date, next_due_date, grace_end, maturity_date, status, created_at) "
                "VALUES (?, ?, ?, ?, ?, 'annual', 100000, ?, ?, ?, ?, 'in_force', ?)",
                [(f"P{i:08d}", product, first + n, first_staff + i % agents if i % 2 else None,
                  f"{1000 + i % 9000}.00", today - datetime.timedelta(days=400 + i % 3000),
                  due, due + datetime.timedelta(days=60), today + datetime.timedelta(days=3650 + i % 3650), stamp)
                 for n, i in enumerate(chunk)
                 for due in [today + datetime.timedelta(days=-30 + i * 7919 % 365)]])


def _notices_child(config_path, day, dry_run, scenario=None):
    """Run in a process of its own: the notice run alone, its time and peak RSS. With a
    capacity `scenario` (festival_days) the SIMs and the SMPP link are reported in service
    at the run's time first (not timed)."""
    import json
    import resource

    from appliance.config import load_config
    from appliance.services import notices
    config = load_config(config_path)
    database = dbmod.open_database(config)
    now = clock.instant(datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(9, 0)))
    if scenario:
        _in_service(scenario, now)
    began, cpu = time.perf_counter(), time.process_time()
    result = notices.run(config, now, dry_run=dry_run, details=False)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    database.close()
    print(json.dumps({"queued": result["queued"], "skipped": result["skipped"], "withheld": len(result["withheld"]),
                      "counts": result["counts"], "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
                      "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}, default=str))


def _in_service(scenario, now):
    """The scenario's SIMs (modem_status ok on box 'bench', which beats at `now`) and, with an
    SMPP rate, the SMPP link's row (port 'smpp'), as smsd and the SMPP daemon report them."""
    from appliance.cluster import boxes
    from appliance.sms.models import ModemStatus
    boxes.beat("bench", now=now)
    with write_transaction():
        for n in range(scenario["sims"]):
            ModemStatus.insert(box="bench", port=f"gsm{n}", state="ok", imsi=f"46000{n:010d}", last_activity=now) \
                .on_conflict_ignore().execute()
        if scenario["smpp_rate"]:
            ModemStatus.insert(box="bench", port="smpp", state="ok", imsi="", last_activity=now) \
                .on_conflict_ignore().execute()


FESTIVAL = datetime.date(2027, 1, 1)  # New Year's Day: a greeting to every customer


def bench_notices(config, policies=1_000_000, data_dir=None, dry_run=False, festival=None, sims=32,
                  smpp_rate=10.0, lead_days=3):
    """`appliance bench notices`: the daily notice run over a generated book of
    `policies` policies (see fill_book), in a process of its own so that its time and
    peak RSS are the run's alone. With data_dir the book is kept and reused (the
    notices a run queued are removed afterwards, so every run sends the same day).

    With `festival` (a date with a greeting festival) the runs of the day before the lead
    days (a fresh book's first run catches up there), the `lead_days` days before the
    festival, the day itself and the day after, paced (notices.pace) to a capacity
    scenario: `sims` SIMs in service at the default caps and an SMPP account at
    `smpp_rate` parts/s (0: none). What a run queues counts as sent before the next."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from appliance.config import ensure_data_dir, load_config
    from appliance.models import Policy
    from appliance.services.models import NoticeForecast, NoticeRun

    keep = data_dir is not None
    base = Path(data_dir or tempfile.mkdtemp(prefix="appliance-bench-notices-"))
    base.mkdir(parents=True, exist_ok=True)
    config_file = base / "appliance.toml"
    settings = f'data_dir = "{base / "data"}"\n'
    scenario = None
    if festival is not None:
        scenario = {"sims": sims, "smpp_rate": smpp_rate}
        settings += (f"[notices]\npace = true\ngreeting_lead_days = {lead_days}\n"
                     f"[smpp]\nenabled = {'true' if smpp_rate else 'false'}\nrate = {float(smpp_rate or 10)}\n")
    config_file.write_text(settings, encoding="utf-8")
    # Festival: from the day before the lead days on, so that a fresh book's first run (every
    # catch-up window at once, as a box's first day) is an ordinary day's, not a greeting day's.
    days = [NOTICE_DAY] if festival is None else [festival + datetime.timedelta(days=n)
                                                 for n in range(-lead_days - 1, 2)]
    runs = []
    try:
        bench_config = load_config(config_file)
        ensure_data_dir(bench_config)
        database = dbmod.open_database(bench_config)
        dbmod.migrate(database)
        have = Policy.select().count()
        if have not in (0, policies):
            raise RuntimeError(f"{base} holds {have} policies, not {policies}: use another --dir")
        filled = None
        if not have:
            began = time.perf_counter()
            fill_book(policies)
            filled = round(time.perf_counter() - began, 1)
        database.execute_sql("ANALYZE")
        database.close()
        for day in days:
            child = subprocess.run([sys.executable, "-c", "import sys, json; from appliance.services.bench import "
                                    "_notices_child; _notices_child(sys.argv[1], sys.argv[2], sys.argv[3] == '1', "
                                    "json.loads(sys.argv[4]))",
                                    str(config_file), day.isoformat(), "1" if dry_run else "0", json.dumps(scenario)],
                                   capture_output=True, text=True, timeout=3600)
            if child.returncode != 0:
                raise RuntimeError(f"the notice run of {day} failed:\n{child.stderr[-3000:]}")
            result = json.loads(child.stdout.strip().splitlines()[-1])
            result["day"] = day.isoformat()
            database = dbmod.open_database(bench_config)
            result["greeted"] = _greeted(bench_config, festival) if festival else None
            with write_transaction():  # the SIMs and the SMPP account sent it: the next day starts empty
                database.execute_sql("UPDATE message_part SET state = 'sent' WHERE state = 'queued'")
                database.execute_sql("UPDATE message SET state = 'sent' WHERE state = 'queued'")
            database.close()
            runs.append(result)
        database = dbmod.open_database(bench_config)
        with write_transaction():  # the next bench sends the same days again
            database.execute_sql("DELETE FROM message_part WHERE message_id IN "
                                 "(SELECT id FROM message WHERE source = 'notice')")
            database.execute_sql("DELETE FROM message WHERE source = 'notice'")
            NoticeRun.delete().execute()
            NoticeForecast.delete().execute()
        database.close()
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)
    if festival is None:
        result = runs[0]
        result.update(policies=policies, day=NOTICE_DAY.isoformat(), dry_run=dry_run, filled_in_s=filled)
        result["ok"] = result["seconds"] <= 15 and result["max_rss_mb"] <= 200
        return result
    return _festival_verdict(runs, festival, policies, filled, scenario, lead_days)


def _greeted(config, festival):
    """Festival greetings queued so far (their dedupe keys name the festival and its year)."""
    from appliance.services.festivals import greeting_festivals
    from appliance.sms.models import Message
    names = greeting_festivals(festival, config["notices.festivals"])
    return sum(Message.select().where(Message.dedupe_key.startswith(f"holiday:{name}:{festival.year}:")).count()
               for name in names)


def _festival_verdict(runs, festival, policies, filled, scenario, lead_days):
    """The festival bench's result: each day's run, and whether service went first every
    day, no greeting went after the date and every run met the ordinary day's targets."""
    previous = 0
    for run in runs:
        run["greeting_share"], previous = run["greeted"] - previous, run["greeted"]
    runs[0]["first_run"] = True  # the day before the lead days: a fresh book's catch-up, not a greeting day
    after = [r for r in runs if r["day"] > festival.isoformat()]
    festive = runs[1:]
    checks = {
        "service_first": all(r["counts"]["held"]["service"] == 0 or r["counts"]["greetings"] == 0 for r in runs),
        "none_late": all(r["greeting_share"] == 0 for r in after),
        "time": all(r["seconds"] <= 15 for r in festive), "memory": all(r["max_rss_mb"] <= 200 for r in runs)}
    return {"policies": policies, "festival": festival.isoformat(), "lead_days": lead_days, "scenario": scenario,
            "filled_in_s": filled, "runs": runs, "checks": checks, "ok": all(checks.values())}
