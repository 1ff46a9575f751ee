"""`appliance bench web`: page render times with a million messages in the database.

Fills a bench database (its own data dir) with a year of outbound messages,
inbound messages and audit entries, serves the app with cheroot on a free
loopback port, signs in, and times sequential requests of the main pages from
request to last byte. Target: p95 <= 100 ms.
"""
import datetime
import http.client
import json
import random
import re
import shutil
import socket
import statistics
import sys
import tempfile
import time
import urllib.parse

from appliance import clock, db as dbmod
from appliance.config import Config, ensure_data_dir

TARGET_P95_MS = 100.0
BENCH_USER, BENCH_PASSWORD = "bench", "bench-password-1"
STATES = [("delivered", 850), ("sent", 50), ("failed", 60), ("expired", 20), ("queued", 15),
          ("sending", 2), ("unknown", 1), ("cancelled", 2)]
TEXTS = ["尊敬的客户，您的保单{n}将于下月到期，请及时缴费。", "您的理赔申请{n}已受理。", "生日快乐！感谢您对我们的信任。{n}",
         "Your policy {n} premium is due.", "【续期提醒】保单{n}应缴保费已扣款成功。"]


def fill(config, messages, inbound=100_000, audit=100_000, out=sys.stderr):
    """Write the bench data with executemany in big transactions (minutes, not hours)."""
    from appliance import demo_data
    from appliance.models import AuditLog, Customer
    from appliance.sms.models import InboundMessage, Message
    db = dbmod.database.obj
    rng = random.Random(6)
    if not Customer.select().exists():
        demo_data.seed(customers=300)
    now = clock.now().replace(microsecond=0)
    start = now - datetime.timedelta(days=365)
    span = (now - start).total_seconds()
    weights = [w for _, w in STATES]
    names = [s for s, _ in STATES]
    numbers = [f"+86138{rng.randrange(10**8):08d}" for _ in range(20_000)]
    batch = 50_000
    began = time.monotonic()
    for offset in range(0, messages, batch):
        rows = []
        for i in range(offset, min(messages, offset + batch)):
            created = start + datetime.timedelta(seconds=span * i / messages)
            state = rng.choices(names, weights)[0]
            sent = created + datetime.timedelta(seconds=5) if state not in ("queued", "cancelled") else None
            rows.append({"to_number": rng.choice(numbers), "text": rng.choice(TEXTS).format(n=886010000000 + i),
                         "state": state, "created_at": created, "updated_at": created, "sent_at": sent,
                         "final_at": sent if state in ("delivered", "failed", "expired") else None,
                         "failure_reason": "no report" if state == "failed" else "", "source": "notice"})
        bulk_insert(Message, rows)
        print(f"\r  messages: {min(messages, offset + batch):,}/{messages:,}", end="", file=out, flush=True)
    print(f" ({time.monotonic() - began:.0f} s)", file=out)
    bulk_insert(InboundMessage, [
        {"from_number": rng.choice(numbers), "text": "查询保单", "modem": "gsm0",
         "received_at": start + datetime.timedelta(seconds=span * i / inbound),
         "state": "handled" if i < inbound - 200 else "new"} for i in range(inbound)])
    bulk_insert(AuditLog, [
        {"at": start + datetime.timedelta(seconds=span * i / audit), "actor": "admin", "action": "sms.send",
         "target": f"message:{i}", "source": "10.0.0.5"} for i in range(audit)])
    db.execute_sql("ANALYZE")  # what a box that ran for a year has: planner statistics


def bulk_insert(model, rows):
    """executemany over every column of the model, defaults filled in as peewee
    would: several times faster than insert_many for a million rows."""
    fields = [f for f in model._meta.sorted_fields if not f.primary_key]
    sql = (f'INSERT INTO "{model._meta.table_name}" ({", ".join(chr(34) + f.column_name + chr(34) for f in fields)})'
           f' VALUES ({", ".join("?" for _ in fields)})')
    defaults = {f.name: f.default for f in fields}

    def value(row, field):
        if field.name in row:
            return field.db_value(row[field.name])
        default = defaults[field.name]
        return field.db_value(default() if callable(default) else default)
    db = dbmod.database.obj
    with dbmod.write_transaction(db):
        db.connection().executemany(sql, [[value(row, f) for f in fields] for row in rows])


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """Sequential requests with a session cookie, over one keep-alive connection."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        text = resp.read().decode("utf-8", errors="replace")
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";")[0]
        return resp.status, text

    def sign_in(self):
        _, html = self.request("GET", "/signin")
        csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
        body = urllib.parse.urlencode({"username": BENCH_USER, "password": BENCH_PASSWORD, "csrf": csrf})
        status, _ = self.request("POST", "/signin", body, {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 303:
            raise RuntimeError(f"bench sign-in failed with HTTP {status}")


def pages():
    from appliance.sms.models import Message
    newest = Message.select(Message.id).order_by(Message.id.desc()).first()
    sample = Message.select().where(Message.id == max(1, newest.id // 2)).first() if newest else None
    today = clock.today()
    paths = ["/", "/history", "/history?state=failed", "/history?state=unknown",
             f"/history?since={today - datetime.timedelta(days=30)}&until={today - datetime.timedelta(days=29)}",
             "/inbox", "/inbox?view=all", "/customers", "/customers?q=" + urllib.parse.quote("王"), "/audit", "/send",
             "/reports", "/campaigns", "/tickets", "/prompts", "/settings"]
    if sample:
        paths += [f"/history/{sample.id}", f"/history?before={sample.id}",
                  "/history?to=" + urllib.parse.quote(sample.to_number)]
    return paths


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run_bench(args, config):
    from appliance.models import AdminUser
    from appliance.sms.models import Message
    from appliance.users import create_user
    from web.app import build_app
    from web.server import make_server, serve_in_thread

    keep = bool(args.dir)
    data_dir = args.dir or tempfile.mkdtemp(prefix="appliance-bench-web-")
    bench_config = Config({"data_dir": data_dir, "web.listen": f"127.0.0.1:{free_port()}", "web.threads": 4})
    ensure_data_dir(bench_config)
    database = dbmod.open_database(bench_config)
    try:
        dbmod.migrate(database)
        have = Message.select().count()
        if have < args.messages:
            print(f"filling the bench database in {data_dir} …", file=sys.stderr)
            fill(bench_config, args.messages - have)
        if not AdminUser.select().where(AdminUser.username == BENCH_USER).exists():
            create_user(BENCH_USER, BENCH_PASSWORD, "admin", actor="bench", source="bench")
            AdminUser.update(must_change_password=False).where(AdminUser.username == BENCH_USER).execute()
        total = Message.select().count()
        server = make_server(bench_config, build_app(bench_config))
        serve_in_thread(server)
        try:
            browser = Browser(server.bind_addr[1])
            browser.sign_in()
            paths = pages()
            for path in paths:  # warm up: templates compiled, caches filled, as on a running box
                browser.request("GET", path)
            times = {path: [] for path in paths}
            for i in range(args.requests):
                path = paths[i % len(paths)]
                began = time.perf_counter()
                status, _ = browser.request("GET", path)
                times[path].append((time.perf_counter() - began) * 1000)
                if status != 200:
                    raise RuntimeError(f"GET {path} answered HTTP {status}")
        finally:
            server.stop()
    finally:
        database.close()
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    every = [t for ts in times.values() for t in ts]
    result = {
        "messages": total, "requests": len(every),
        "p50_ms": round(statistics.median(every), 1), "p95_ms": round(percentile(every, 0.95), 1),
        "max_ms": round(max(every), 1), "target_p95_ms": TARGET_P95_MS,
        "pages": {p: {"p50_ms": round(statistics.median(ts), 1), "p95_ms": round(percentile(ts, 0.95), 1)}
                  for p, ts in times.items() if ts},
    }
    result["ok"] = result["p95_ms"] <= TARGET_P95_MS
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(f"{total:,} messages; {len(every)} page requests: p50 {result['p50_ms']} ms, "
              f"p95 {result['p95_ms']} ms, max {result['max_ms']} ms (target p95 <= {TARGET_P95_MS:g} ms)")
        for path, row in result["pages"].items():
            print(f"  {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f}  {path}")
    return 0 if result["ok"] else 1
