"""`appliance doctor`'s SMPP line (appliance/sms/smpp_doctor.py): off, bound, not bound
and why, or the daemon not running — from the row the smpp daemon writes."""
import datetime

from appliance import clock
from appliance.cluster.identity import box_name
from appliance.sms.models import ModemStatus
from appliance.sms.smpp_doctor import doctor_check


def _row(config, **values):
    now = clock.now()
    ModemStatus.create(box=box_name(config), port="smpp", device="smpp://127.0.0.1:2775", updated_at=now, **values)
    return now


def test_off(config, database):
    [(status, what, detail)] = doctor_check(config)
    assert (status, str(what)) == ("ok", "SMPP link") and "off" in detail


def test_bound_and_not_bound(config, database):
    config = config.replace(smpp__enabled=True, smpp__system_id="branch")
    [(status, _, detail)] = doctor_check(config)
    assert status == "fail" and "not running" in detail
    now = _row(config, state="ok", sent_today=7)
    [(status, _, detail)] = doctor_check(config, now=now)
    assert (status, detail) == ("ok", "bound to 127.0.0.1:2775 as branch; 7 part(s) sent today")
    zh = detail.said_in(lambda msgid: {"bound to {host}:{port} as {system_id}; {n} part(s) sent today":
                                       "已以 {system_id} 登录 {host}:{port}；今日已发送 {n} 条"}[msgid])
    assert zh == "已以 branch 登录 127.0.0.1:2775；今日已发送 7 条"
    ModemStatus.update(state="absent", alarm="the SMSC refused the bind as 'branch': Bind Failed").execute()
    [(status, _, detail)] = doctor_check(config, now=now)
    assert status == "fail" and "refused the bind" in detail
    [(status, _, detail)] = doctor_check(config, now=now + datetime.timedelta(minutes=5))
    assert status == "fail" and "not running" in detail
