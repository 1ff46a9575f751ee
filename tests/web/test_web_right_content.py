"""Right content, or nothing, on the admin page: bad configurations are refused
when saved, naming the field in the page's language (Chinese by default); sending
keeps the same rules as the command line and the API; an auditor cannot read the
IVR's secret (the ID number's last six) off a customer's page."""
import datetime
import html

from web_support import Client, make_user

from appliance import idcard
from appliance.ivr.menus import ensure_default_menu
from appliance.ivr.models import MenuNode
from appliance.models import Customer
from appliance.services import optout
from appliance.services.models import Keyword, Schedule, Template
from appliance.sms.models import Message


def flashed(client, resp):
    assert resp.status == 303
    return html.unescape(client.page(resp.getheader("Location")).text)


def test_a_template_with_an_unknown_variable_is_refused_in_chinese(admin_client):
    admin_client.page("/templates")
    resp = admin_client.post("/templates", {"key": "meeting_note", "language": "zh", "category": "internal",
                                            "text": "{nmae}您好，明天九点开会。"})
    assert "输入有误: 内容：未知变量 {nmae}，是否应为 {name}？" in flashed(admin_client, resp)
    assert Template.select().count() == 0


def test_a_keyword_naming_a_missing_template_is_refused_in_chinese(admin_client):
    admin_client.page("/keywords")
    resp = admin_client.post("/keywords", {"keyword": "KF", "action": "reply", "template": "nope", "enabled": "1"})
    assert "模板：没有名为 nope 的模板" in flashed(admin_client, resp)
    assert not Keyword.select().where(Keyword.keyword == "KF").exists()


def test_a_menu_node_naming_a_missing_prompt_is_refused_in_chinese(admin_client):
    ensure_default_menu()
    node = MenuNode.get(MenuNode.name == "claim")
    admin_client.page(f"/ivr/{node.id}")
    form = {"title": "理赔查询", "prompt": "claim_intro_new", "action": "claim", "digit": "3",
            "timeout_ms": "5000", "retries": "3", "fallback": "goodbye", "position": "3", "enabled": "1"}
    resp = admin_client.post(f"/ivr/{node.id}", form)
    assert resp.status == 400 and "提示音：没有名为 claim_intro_new 的语音提示" in html.unescape(resp.text)
    assert MenuNode.get_by_id(node.id).prompt == "claim_intro"


def test_a_schedule_whose_template_needs_more_variables_is_refused_in_chinese(admin_client):
    admin_client.page("/schedules")
    resp = admin_client.post("/schedules", {"name": "续期", "template": "renewal_due", "numbers": "13800138000",
                                            "run_at": "2030-01-01 10:00"})
    assert resp.status == 400
    assert "模板：模板需要 " in html.unescape(resp.text) and "{policy_no}" in html.unescape(resp.text)
    assert Schedule.select().count() == 0


def test_the_send_page_keeps_opt_out_like_the_cli_and_api(admin_client):
    optout.add("13800138000", "optout")
    admin_client.page("/send")
    resp = admin_client.post("/send", {"mode": "single", "to": "13800138000", "text": "新品上市",
                                       "category": "marketing"})
    assert resp.status == 400 and "不接收营销类短信（已退订或免打扰）" in html.unescape(resp.text)  # the category in words
    assert Message.select().count() == 0


def test_an_auditor_cannot_read_the_last_six_of_an_id_number(server):
    born = datetime.date(1990, 3, 7)
    number = idcard.make_id_number("350503", born, 90)
    customer = Customer.create(name="林晓", gender="M", mobile="+8613800138000", id_number=number,
                               customer_no="C9")
    make_user("audrey", "auditor")
    auditor = Client(server)
    assert auditor.sign_in("audrey").status == 303
    for path in ("/customers", f"/customers/{customer.id}"):
        text = auditor.page(path).text
        assert number[:6] in text or path == "/customers"
        assert number[-4:] not in text and number[-6:] not in text  # neither tail nor…
        assert "03-07" not in text and "0307" not in text and born.isoformat() not in text  # …the birth day
    assert "1990-**-**" in auditor.page(f"/customers/{customer.id}").text
    make_user("root", "admin")
    admin = Client(server)
    admin.sign_in("root")
    page = admin.page(f"/customers/{customer.id}").text
    assert number in page and born.isoformat() in page  # admins see them in full
