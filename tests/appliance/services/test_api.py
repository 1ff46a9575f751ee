"""The services' JSON API against a real server: events, messages, inbox, upserts, campaigns."""
import datetime

from appliance.models import Customer, Policy
from appliance.services import inbound as inbound_router, optout
from appliance.sms.models import InboundMessage, Message


def load_book(api):
    assert api("PUT", "/customers/C100", {"name": "张伟", "mobile": "138 0013 8000", "gender": "M"})[0] == 201
    assert api("PUT", "/customers/C100", {"region": "福州市鼓楼区"})[0] == 200
    assert api("PUT", "/staff/35010001", {"name": "王建国", "mobile": "13900139000"})[0] == 201
    status, body = api("PUT", "/policies/P100", {"product_code": "A101", "product_name": "安康终身寿险",
                                                  "holder_no": "C100", "agent_badge": "35010001",
                                                  "premium": "1200", "next_due_date": "2026-12-20"})
    assert status == 201, body


def test_upserts_clean_numbers_and_name_bad_fields(api):
    load_book(api)
    customer = Customer.get(Customer.customer_no == "C100")
    assert (customer.mobile, customer.region) == ("+8613800138000", "福州市鼓楼区")
    assert Policy.get(Policy.policy_no == "P100").agent.name == "王建国"
    status, body = api("PUT", "/customers/C101", {"name": "李娜", "mobile": "12345"})
    assert status == 400 and body["error"]["field"] == "mobile"
    status, body = api("PUT", "/policies/P101", {"product_code": "A101", "holder_no": "C404", "premium": 1})
    assert status == 400 and body["error"]["field"] == "holder_no" and "C404" in body["error"]["message"]
    status, body = api("PUT", "/customers/C102", {"name": "x", "shoe_size": "42"})
    assert status == 400 and body["error"]["field"] == "shoe_size"
    assert not Customer.select().where(Customer.customer_no.in_(["C101", "C102"])).exists()
    assert api("POST", "/payments", {"policy_no": "P100", "amount": 1200, "paid_on": "2026-12-01"})[0] == 201
    assert api("POST", "/payments", {"policy_no": "P100", "amount": 1200, "paid_on": "2026-12-01"})[0] == 200
    assert api("PUT", "/customers/C103", {"name": "x"}, role="auditor")[0] == 403


def test_event_sends_at_once_once_per_event_id(api):
    load_book(api)
    status, body = api("POST", "/events", {"type": "missing_documents", "policy_no": "P100", "event_id": "E-1",
                                           "variables": {"documents": "体检报告", "due_date": "12月10日"}})
    assert status == 201, body
    assert body["state"] == "queued" and body["to_number"] == "+8613800138000"
    assert "体检报告" in body["text"] and "张先生" in body["text"]
    again = api("POST", "/events", {"type": "missing_documents", "policy_no": "P100", "event_id": "E-1",
                                    "variables": {"documents": "体检报告", "due_date": "12月10日"}})[1]
    assert again["id"] == body["id"] and Message.select().count() == 1
    status, body = api("GET", f"/messages/{body['id']}", role="auditor")
    assert status == 200 and body["to_number"] == "+86138****8000"  # auditors see masked numbers
    status, body = api("POST", "/events", {"type": "lapsed", "policy_no": "NOPE"})
    assert status == 404 and body["error"]["field"] == "policy_no"
    status, body = api("POST", "/events", {"type": "wedding", "policy_no": "P100"})
    assert status == 400 and body["error"]["field"] == "type"


def test_messages_templates_opt_out_and_inbox(api):
    load_book(api)
    status, body = api("POST", "/messages", {"to": "13800138000", "template": "birthday",
                                             "variables": {"salutation": "张先生"}})
    assert status == 201 and body["category"] == "marketing" and body["text"].endswith("回T退订")
    optout.add("+8613800138000", "optout")
    status, body = api("POST", "/messages", {"to": "13800138000", "text": "促销", "category": "marketing"})
    assert status == 409 and body["error"]["field"] == "to"
    status, body = api("POST", "/messages", {"to": "13800138000", "text": "您的保单已生效。"})
    assert status == 201 and body["category"] == "service"
    assert api("GET", "/messages/99999")[0] == 404

    message = InboundMessage.create(from_number="+8613800138000", text="CX", received_at=datetime.datetime.now())
    from appliance.config import Config
    inbound_router.route_pending(Config())
    status, page = api("GET", "/inbox")
    assert status == 200 and page["items"][0]["id"] == message.id
    assert page["items"][0]["handled_as"] == "policies" and page["items"][0]["state"] == "handled"
    reply = api("GET", f"/messages/{page['items'][0]['reply_id']}")[1]
    assert "P100" in reply["text"]


def test_campaign_preview_and_send_and_openapi(api):
    load_book(api)
    from appliance import groups
    groups.create("鼓楼", "customer", rule="region", rule_value="福州市鼓楼区")
    status, body = api("POST", "/campaigns", {"group": "鼓楼", "text": "{salutation}，周六客户节。",
                                              "category": "marketing", "preview": True})
    assert status == 200 and body["recipients"] == 1 and body["samples"][0]["text"] == "张先生，周六客户节。回T退订"
    assert Message.select().count() == 0
    status, body = api("POST", "/campaigns", {"group": "鼓楼", "name": "客户节", "text": "{salutation}，周六客户节。",
                                              "category": "marketing"}, role="admin")
    assert status == 201 and body["queued"] == 1
    status, doc = api("GET", "/openapi.json")
    assert {"/events", "/messages", "/messages/{message_id}", "/inbox", "/customers/{customer_no}",
            "/payments", "/campaigns"} <= set(doc["paths"])
    assert doc["paths"]["/events"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "properties"]["type"]["enum"][0] == "policy_confirmation"


def test_inbox_reply_forward_delete(api):
    load_book(api)
    message = InboundMessage.create(from_number="+8613800138000", text="请问保单怎么复效？",
                                    received_at=datetime.datetime.now(),
                                    customer=Customer.get(Customer.customer_no == "C100"))
    status, body = api("POST", f"/inbox/{message.id}/reply", {"text": "您好，请携带身份证到柜面办理。"})
    assert status == 201 and body["to_number"] == "+8613800138000" and body["category"] == "service"
    assert InboundMessage.get_by_id(message.id).state == "handled"
    status, body = api("POST", f"/inbox/{message.id}/forward", {"to": "13900139000"})
    assert status == 201 and body["text"] == "【转发】+8613800138000（张伟）来信：请问保单怎么复效？"
    status, body = api("POST", f"/inbox/{message.id}/state", {"state": "deleted"})
    assert status == 200 and body["state"] == "deleted"
    assert InboundMessage.select().where(InboundMessage.id == message.id).exists()  # kept
    assert api("POST", "/inbox/999/state", {"state": "handled"})[0] == 404
    assert api("POST", f"/inbox/{message.id}/state", {"state": "gone"})[0] == 400
    assert api("POST", f"/inbox/{message.id}/reply", {"text": "x"}, role="auditor")[0] == 403
