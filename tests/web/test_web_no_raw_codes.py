"""Every page, rendered with data in Chinese and in English, speaks in words: no raw
state code (delivered, in_force, READY), no audit action code (policy.update), no
target code (numbers:2, group:…), and no untranslated English on a Chinese page.
A real server and database; the data made through the pages and the domain."""
import io
import re
import uuid
import wave
from html import unescape
from pathlib import Path

import pytest
from peer_support import free_port, wait_for
from web_support import PASSWORD, Client, make_user

from appliance import db as dbmod, demo_data
from appliance.config import Config, ensure_data_dir
from appliance.errors import InputError
from appliance.ivr.tickets import open_ticket
from appliance.models import AdminUser, ContactGroup, Customer, ImportJob, Policy, Staff
from appliance.services import campaigns, schedules
from appliance.sms.models import InboundMessage, Message
from appliance.sms.outbox import queue_message
from appliance.tickets.models import Ticket
from web import i18n, words
from web.app import build_app
from web.pages import PAGES, load_page_modules
from web.server import make_server, serve_in_thread


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("words")
    config = Config({"data_dir": str(base / "data"), "web.listen": f"127.0.0.1:{free_port()}",
                     "web.threads": 2})
    ensure_data_dir(config)
    database = dbmod.open_database(config)
    dbmod.migrate(database)
    demo_data.seed(customers=12, staff=6)
    server = make_server(config, build_app(config))
    serve_in_thread(server)
    host, port = server.bind_addr[:2]
    make_user("root", "admin")
    try:
        client = Client(f"http://{host}:{port}")
        client.base = f"http://{host}:{port}"
        assert client.sign_in("root").status == 303
        make_data(client, config)
        yield client
    finally:
        server.stop()
        database.close()


def make_data(client, config):
    """Messages in several states, an inbound one, a campaign, a schedule, a ticket,
    audited edits (a policy's status, a customer) and an import with a bad row."""
    for state in ("delivered", "failed", "queued"):
        message = queue_message("13800138000", "您好，保单已生效。")
        Message.update(state=state).where(Message.id == message.id).execute()
    InboundMessage.create(from_number="+8613900139000", text="TD", received_at=message.created_at)
    group = ContactGroup.select().first().name
    campaigns.send_to_group(config, "续期提醒", group, text="{salutation}您好", category="service",
                            created_by="root")
    schedules.create(config, "每日提醒", text="您好", category="service", numbers=["13800138000", "13900139000"],
                     cron="0 9 * * *", created_by="root")
    open_ticket("complaint", "sms", number="+8613800138000", text="理赔款迟迟未到账")
    policy = Policy.select().where(Policy.status == "in_force").first()
    client.page(f"/policies/{policy.id}")
    client.post(f"/policies/{policy.id}", {"status": "lapsed"})
    upload(client, "客户号,姓名,手机号\nC001,张三,13800138000\nC002,李四,12345\n")


def upload(client, csv_text):
    client.page("/import")
    boundary = "----words-test"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{client.csrf}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ncustomers\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"客户.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n{csv_text}\r\n--{boundary}--\r\n").encode()
    return client.request("POST", "/import", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})


# English a Chinese page may show: names of things (the language switch, Asterisk) and
# the test's own data (the user root). All-capital acronyms (SMS, CSV, VIP, TD) pass too,
# except the raw codes below.
ALLOWED = {"English", "Asterisk", "FastAGI", "root", "test"}
RAW_CAPS = {"READY", "IDLE", "ERROR", "FAILED", "DELIVERED", "SENT", "QUEUED", "NEW"}
DOTTED_CODE = re.compile(r"[a-z]+(?:\.[a-z_]+)+")           # policy.update
TARGET_CODE = re.compile(r"[a-z_]+:[^\s:]+")               # numbers:2, group:个险一部
SNAKE_CODE = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")       # in_force, no_answer
TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_.:]*[A-Za-z0-9]|[A-Za-z]")


def visible_text(html):
    """What a reader sees, leaving out what the page marks as not in its language:
    <code> (an identifier to type: a CSV column, a setting's key) and lang="en" parts."""
    html = re.sub(r"(?s)<(script|style|code)\b.*?</\1>", " ", html)
    html = re.sub(r"(?s)<!--.*?-->", " ", html)
    html = re.sub(r'(?s)<(\w+)[^>]*\blang="en"[^>]*>.*?</\1>', " ", html)
    html = re.sub(r"<[^>]*>", " ", html)
    text = re.sub(r"\{[a-z_]+\}", " ", unescape(html))  # a template's {variables}: syntax to type
    return re.sub(r"\S+\.(?:csv|xlsx)\b", " ", text)  # file names are the user's


def raw_codes(text):
    """Tokens that are a code, not words (in either language)."""
    bad = []
    for token in TOKEN.findall(text):
        token = token.rstrip(".:")
        if (DOTTED_CODE.fullmatch(token) or TARGET_CODE.fullmatch(token) or SNAKE_CODE.fullmatch(token)
                or token in RAW_CAPS):
            bad.append(token)
    return bad


def english_words(text):
    """Words of English on a Chinese page (acronyms and ALLOWED names aside)."""
    return [t for t in TOKEN.findall(text) if t not in ALLOWED and not t.isupper() and not t.isdigit()]


def state_badges(html):
    """The text of every state badge (class "state")."""
    return [unescape(t).strip() for t in re.findall(r'class="state[^"]*"[^>]*>([^<]*)<', html)]


def menu_paths():
    load_page_modules()
    return sorted(p.path for p in PAGES if p.method == "GET" and "{" not in p.path and not p.public
                  and not p.path.endswith((".json", ".csv", ".xlsx")))


# Detail pages of the data made above: (label, the first such page's path).
DETAILS = {
    "customer": lambda: f"/customers/{Customer.select().first().id}",
    "policy": lambda: f"/policies/{Policy.select().where(Policy.status == 'lapsed').first().id}",
    "staff": lambda: f"/staff/{Staff.select().first().id}",
    "group": lambda: f"/groups/{ContactGroup.select().first().id}",
    "sent message": lambda: f"/history/{Message.select().where(Message.state == 'delivered').first().id}",
    "inbound message": lambda: f"/inbox/{InboundMessage.select().first().id}",
    "ticket": lambda: f"/tickets/{Ticket.select().first().id}",
    "import job": lambda: f"/import/jobs/{ImportJob.select().first().id}",
}

# Chinese pages whose owners are still putting their codes into words (issue 14, in
# progress): the test runs them and reports what it finds, without failing the build.
PENDING = {}


def cases(pending=PENDING):
    out = []
    for name in menu_paths() + list(DETAILS):
        marks = [pytest.mark.xfail(reason=pending[name], strict=False)] if name in pending else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out


def fetch(client, lang, name):
    client.get(f"/lang/{lang}?next=/")
    path = DETAILS[name]() if name in DETAILS else name
    resp = client.page(path)
    assert resp.status == 200, (path, resp.status)
    return resp.text


@pytest.mark.parametrize("name", cases())
def test_chinese_page_shows_no_code_and_no_english(site, name):
    text = visible_text(fetch(site, "zh", name))
    assert sorted(set(raw_codes(text) + english_words(text))) == []


@pytest.mark.parametrize("name", cases(pending={}))
def test_english_page_shows_no_code(site, name):
    html = fetch(site, "en", name)
    bad = raw_codes(visible_text(html)) + [b for b in state_badges(html) if i18n.CODE_RE.fullmatch(b)]
    assert sorted(set(bad)) == []


def test_every_code_has_english_words():
    """A code shown through _(code) reads as words in English too (web/locale/en)."""
    assert i18n.codes_without_english() == []


def test_audit_entries_in_words(site):
    site.get("/lang/zh?next=/")
    html = site.page("/audit").text
    assert "保单 · 已修改" in html and "状态：有效 → 失效" in html
    site.get("/lang/en?next=/")
    html = site.page("/audit").text
    assert "Policy · changed" in html and "Status: In force → Lapsed" in html


def test_words_that_were_wrong(site):
    """'Sent' is a count or a direction (已发送), its time 发送时间; a person has a 姓名;
    the English welcome names the insurer in English."""
    site.get("/lang/zh?next=/")
    assert "已发送 " in site.page("/campaigns").text
    assert "<th>发送时间</th>" in site.page(DETAILS["sent message"]()).text
    assert "<th>姓名</th>" in site.page("/staff").text and "<th>姓名</th>" in site.page(DETAILS["group"]()).text
    prompts = site.page("/prompts").text
    assert "Welcome to Ping An Insurance." in prompts and "Welcome to 平安保险" not in prompts


def test_validation_messages_in_the_pages_language(site):
    """A refused form says why in Chinese, naming the field; the data stay as they were."""
    site.get("/lang/zh?next=/")
    site.page("/users")
    assert site.post("/users", {"username": "a b", "role": "operator"}).status == 303
    assert "用户名：1 至 64 个字符，不含空格" in site.page("/").text
    assert not AdminUser.select().where(AdminUser.username == "a b").exists()



# Bad input for the forms of the Chinese pages (path, form, the field the message names): each
# refusal is said in Chinese. The values are Chinese or digits, so any English is the message's.
BAD_FORMS = [
    ("/schedules", {"name": "每日问候", "numbers": "13800138000", "text": "您好", "category": "service",
                    "repeat": "advanced", "cron": "每天九点"}, "cron"),
    ("/templates", {"key": "坏 键", "language": "zh", "category": "service", "text": "您好"}, "key"),
    ("/phrases", {"category": "", "text": "您好"}, "category"),
    ("/keywords", {"keyword": "两 个", "action": "reply", "template": ""}, "keyword"),
    ("/topics", {"code": "订 阅", "name": "理财"}, "code"),
    ("/tokens", {"name": "", "role": "operator"}, "name"),
    ("/groups", {"name": "一部", "kind": "客户"}, "kind"),
    ("/customers/new", {"name": "王五", "mobile": "12345"}, "mobile"),
    ("/optouts", {"number": "12345", "kind": "optout"}, "number"),
    ("/voice", {"name": "回访", "kind": "notice", "source": "list", "numbers": "0", "text": "您好"}, "numbers"),
    ("/ivr/hours", {"day": ["1", "2"], "start": "九点", "end": "17:30"}, "start"),
    ("/surveys", {"name": "", "numbers": "13800138000"}, "name"),
    ("/send", {"mode": "single", "to": "13800138000", "text": "您好{未知}", "category": "service"}, "text"),
    ("/keywords", {"keyword": "理赔", "action": "reply", "template": "无此模板"}, "template"),
    ("/templates", {"key": "问候", "language": "zh", "category": "营销", "text": "您好"}, "category"),
    ("/templates", {"key": "问候", "language": "zh", "category": "service", "text": "您好{未知}"}, "text"),
]


def refusal(client, path, form):
    """The error a page shows for a refused form: on the page itself (400) or flashed
    on the page it sends the reader back to (303)."""
    client.page(path if path != "/tokens" else "/users")
    return shown_error(client, client.post(path, form), path)


def shown_error(client, resp, path):
    """The error of a refused form's response: on the page itself (400) or flashed after a 303."""
    html = client.page(resp.getheader("Location")).text if resp.status == 303 else resp.text
    assert resp.status in (303, 400), (path, resp.status)
    found = re.findall(r'class="flash error"[^>]*>(.*?)</p>', html, re.S)
    assert found, (path, resp.status, visible_text(html)[-500:])
    return unescape(re.sub(r"<[^>]*>", "", found[0])).strip()


@pytest.mark.parametrize("path, form, field", BAD_FORMS, ids=[f[0] for f in BAD_FORMS])
def test_refused_forms_say_why_in_chinese(site, path, form, field):
    """Every form's refusal reads as Chinese naming the field by its label (定时表达式, not
    cron; a field without a label in words.ERROR_FIELDS by its name, the only Latin word
    allowed): no English sentence from the domain on a Chinese page."""
    site.get("/lang/zh?next=/")
    text = refusal(site, path, form)
    assert text.startswith("输入有误: "), text
    assert re.search(r"[\u4e00-\u9fff]", text.removeprefix("输入有误: ")), text
    allowed = set() if field in words.ERROR_FIELDS else {field}
    assert [w for w in english_words(text) if w not in allowed] == [], text


def silent_wav(seconds=1, rate=8000):
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(b"\0\0" * rate * seconds)
    return out.getvalue()


def test_a_refused_prompt_upload_says_why_in_chinese(site):
    """The prompt page's upload refusal names the file field by its label (文件, not file)."""
    site.get("/lang/zh?next=/")
    site.page("/prompts/welcome")
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{site.csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="静音"\r\n'
            f'Content-Type: application/octet-stream\r\n\r\n')
    body = head.encode() + silent_wav() + f"\r\n--{boundary}--\r\n".encode()
    resp = site.request("POST", "/prompts/welcome/zh", body,
                        {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert resp.status == 303, resp.status
    text = shown_error(site, resp, "/prompts/welcome/zh")
    assert text.startswith("输入有误: 文件：静音"), text
    assert english_words(text) == [], text


def test_a_settings_value_refused_in_chinese(site):
    """The settings page's refusal of a bad number is Chinese too, and nothing is written."""
    from appliance import config_edit
    number = next(s.name for s in config_edit.EDITABLE if s.type_name == "int" and not s.secret)
    site.get("/lang/zh?next=/")
    site.page("/settings")
    text = refusal(site, "/settings", {number: "很多", "version": ""})
    assert text.startswith("输入有误: ") and "应为整数" in text, text
    assert [w for w in english_words(text) if w != number] == [], text


def test_a_refused_sms_says_why_in_chinese(site):
    """The outbox's checks carry msgids: English for the CLI and API, Chinese on the page."""
    for text, english, chinese in (("", "text: empty", "text：不能为空"),
                                   ("长" * 20000, "text: too long", "text：太长")):
        with pytest.raises(InputError) as refused:
            queue_message("13800138000", text)
        assert str(refused.value).startswith(english)
        assert i18n.gettext_for("zh")(refused.value.msgid).format(**refused.value.values).startswith(chinese)


# --- phone-sized screens ------------------------------------------------------------

@pytest.fixture(scope="module")
def phone(site, tmp_path_factory):
    """Headless Chromium at a phone's 390×844, signed in as root (skipped without it)."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    if not (Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists()):
        pytest.skip("chromium and chromium-driver are not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=zh-CN",
                 f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.set_window_size(390, 844)
        driver.get(f"{site.base}/signin")
        driver.find_element(By.ID, "username").send_keys("root")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "signin").click()
        wait_for(lambda: "/signin" not in driver.current_url, 20, "the sign-in")
        yield driver
    finally:
        driver.quit()


@pytest.mark.browser
@pytest.mark.slow
def test_no_page_scrolls_sideways_on_a_phone(site, phone):
    """At 390 px every page fits: the menu folds away, wide tables scroll inside themselves."""
    too_wide = {}
    for name in menu_paths() + list(DETAILS):
        phone.get(site.base + (DETAILS[name]() if name in DETAILS else name))
        wait_for(lambda: phone.execute_script("return document.readyState") == "complete", 20, name)
        width, inner = phone.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]")
        if width > inner:
            too_wide[name] = width
    assert too_wide == {}, f"wider than the 390 px window: {too_wide}"


@pytest.mark.browser
@pytest.mark.slow
def test_the_menu_folds_on_a_phone(site, phone):
    from selenium.webdriver.common.by import By
    phone.get(site.base + "/inbox")
    menu = phone.find_element(By.ID, "side-menu")
    assert not menu.is_displayed()
    phone.find_element(By.ID, "menu-button").click()
    wait_for(menu.is_displayed, 5, "the menu to open")
    assert "收件箱" in menu.text
