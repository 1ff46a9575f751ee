"""The agents' copies of the renewal process (流程通报): every step the holder gets, and the
premium received at the end, to the policy's active agent, once per policy and period."""
import datetime
from decimal import Decimal

from appliance import clock
from appliance.models import Customer, Payment
from appliance.services import notices
from appliance.sms.models import Message

TODAY = datetime.date(2026, 12, 1)
DAY = datetime.timedelta(days=1)


def at(day, hour=10):
    """An instant at `hour` of the box's day `day`."""
    return clock.instant(datetime.datetime.combine(day, datetime.time(hour)))


def agent_messages():
    return sorted((m.to_number, m.dedupe_key, m.text, m.category)
                  for m in Message.select().where(Message.staff.is_null(False)))


def keys():
    return {k for (k,) in Message.select(Message.dedupe_key).tuples()}


def known_book(book):
    """Every step of the process on one day, for one agent; a departed agent's and a
    mobile-less agent's policies beside them."""
    agent = book.agent()
    gone = book.agent("李四", badge="35010002", mobile="+8613900000002", status="left")
    silent = book.agent("赵六", badge="35010003", mobile=None)
    book.policy(book.customer("张伟", "M"), "P-DUE", TODAY + 15 * DAY, agent=agent)
    book.policy(book.customer("李娜", "F"), "P-OVER", TODAY - DAY, agent=agent, premium="860.50")
    book.policy(book.customer("欧阳明", "M"), "P-WARN", TODAY - 50 * DAY, agent=agent)
    # No ID number nor gender on file: the agent reads 王客户, never the full name.
    nameless = Customer.create(name="王芳", mobile="+8613800009999", customer_no="C09999")
    book.policy(nameless, "P-LAPSED", TODAY - 61 * DAY, agent=agent, status="lapsed")
    paid = book.policy(book.customer("陈红", "F"), "P-PAID", TODAY + 100 * DAY, agent=agent)
    received = Payment.create(policy=paid, amount=Decimal("1200.00"), due_date=TODAY - 3 * DAY,
                              paid_on=TODAY - DAY)
    Payment.create(policy=paid, amount=Decimal("1200.00"), due_date=TODAY - 3 * DAY, paid_on=TODAY - 2 * DAY,
                   status="failed", failure_reason="余额不足")
    book.policy(book.customer("孙强", "M"), "P-GONE", TODAY - DAY, agent=gone)
    book.policy(book.customer("周洁", "F"), "P-SILENT", TODAY - DAY, agent=silent)
    return agent, received


def test_the_agent_gets_every_step_once_with_the_customer_masked(book, config):
    agent, received = known_book(book)
    result = notices.run(config, at(TODAY))

    to, cat = agent.mobile, "internal"
    assert agent_messages() == sorted([
        (to, "lapse_warning_agent:P-WARN:2026-12-11",
         ("【平安保险】王建国您好，您服务的客户欧阳先生的保单P-WARN续期保费1200.00元仍未缴纳，"
          "宽限期将于2026年12月11日结束，届时保单将停效，请尽快联系客户。"), cat),
        (to, "lapsed_agent:P-LAPSED:2026-11-30",
         ("【平安保险】王建国您好，您服务的客户王客户的保单P-LAPSED因续期保费1200.00元未缴，"
          "宽限期已于2026年11月30日届满，保单已停效。两年内可申请复效，请联系客户。"), cat),
        (to, "overdue_agent:P-OVER:2026-11-30:1",
         ("【平安保险】王建国您好，您服务的客户李女士的保单P-OVER应于2026年11月30日缴纳的续期保费860.50元"
          "尚未缴纳，宽限期至2027年1月29日，请及时跟进。"), cat),
        (to, f"premium_received_agent:{received.id}",
         "【平安保险】王建国您好，您服务的客户陈女士的保单P-PAID保费1200.00元已于2026年11月30日到帐，感谢您的跟进。",
         cat),
        (to, "renewal_due_agent:P-DUE:2026-12-16:15",
         ("【平安保险】王建国您好，您服务的客户张先生的保单P-DUE续期保费1200.00元将于2026年12月16日到期，"
          "请提醒客户按时缴费。"), cat),
    ])
    # Each copy is keyed like the holder's notice of the same step (the failed payment has none).
    holder_keys = {k for k in keys() if "_agent:" not in k}
    for (_, key, _, _) in agent_messages():
        kind, rest = key.split(":", 1)
        assert f"{kind.removesuffix('_agent')}:{rest}" in holder_keys, key
    assert not any(k.startswith("payment_failed_agent") for k in keys())
    # The departed agent gets nothing; the one without a mobile is reported, not an error.
    assert Message.select().where(Message.to_number == "+8613900000002").count() == 0
    assert "overdue:P-GONE:2026-11-30:1" in holder_keys
    assert result["no_mobile"] == [{"type": "overdue_agent", "key": "overdue_agent:P-SILENT:2026-11-30:1",
                                    "badge_no": "35010003"}]
    # The full name of a holder never reaches an agent.
    assert not any(name in text for (_, _, text, _) in agent_messages() for name in ("王芳", "李娜", "欧阳明"))


def test_repeated_runs_and_the_following_days_send_no_copy_twice(book, config):
    known_book(book)
    first = notices.run(config, at(TODAY))
    sent = agent_messages()
    assert len(sent) == 5
    again = notices.run(config, at(TODAY, 11))  # a second run the same day, or after a restart
    assert again["queued"] == 0
    for day in (TODAY + DAY, TODAY + 2 * DAY):  # still inside each rule's window: the same keys
        notices.run(config, at(day))
    assert agent_messages() == sent
    assert first["queued"] == Message.select().count()


def test_the_agents_own_offsets_and_a_new_period_get_a_new_copy(book, config):
    agent = book.agent()
    policy = book.policy(book.customer(), "P1", TODAY + 15 * DAY, agent=agent)
    notices.run(config, at(TODAY))
    notices.run(config, at(TODAY + 12 * DAY))  # the holder's 3-day reminder: the agent was told at 15
    assert [k for (_, k, _, _) in agent_messages()] == ["renewal_due_agent:P1:2026-12-16:15"]
    Payment.create(policy=policy, amount=policy.premium, due_date=policy.next_due_date, paid_on=TODAY + 14 * DAY)
    policy.next_due_date, policy.grace_end = datetime.date(2027, 12, 16), datetime.date(2028, 2, 14)
    policy.save()
    notices.run(config, at(TODAY + 14 * DAY))
    notices.run(config, at(datetime.date(2027, 12, 1)))
    assert [k.split(":")[0] for (_, k, _, _) in agent_messages()] == [
        "premium_received_agent", "renewal_due_agent", "renewal_due_agent"]
    assert agent_messages()[2][1] == "renewal_due_agent:P1:2027-12-16:15"


def test_a_process_event_from_the_core_systems_goes_to_the_agent_too_once(book, config):
    agent = book.agent()
    gone = book.agent("李四", badge="35010002", mobile="+8613900000002", status="left")
    policy = book.policy(book.customer("李娜", "F"), "P-EV", TODAY - DAY, agent=agent)
    book.policy(book.customer("孙强", "M"), "P-GONE", TODAY - DAY, agent=gone)
    Payment.create(policy=policy, amount=Decimal("1200.00"), due_date=TODAY - DAY, paid_on=TODAY)
    for _ in range(2):  # a retried POST /api/v1/events
        notices.send_event(config, "premium_received", policy_no="P-EV", event_id="E1", now=at(TODAY))
        notices.send_event(config, "overdue", policy_no="P-GONE", event_id="E2", now=at(TODAY))
    assert agent_messages() == [
        (agent.mobile, "event:premium_received_agent:P-EV:E1",
         "【平安保险】王建国您好，您服务的客户李女士的保单P-EV保费1200.00元已于2026年12月1日到帐，感谢您的跟进。",
         "internal")]
    assert keys() == {"event:premium_received:P-EV:E1", "event:overdue:P-GONE:E2",
                      "event:premium_received_agent:P-EV:E1"}
    notices.send_event(config, "agent_changed", policy_no="P-EV", event_id="E3", now=at(TODAY))  # not a step
    assert len(agent_messages()) == 1


def test_the_command_line_run_names_the_agent_without_a_mobile(book, run_cli, config_file):
    silent = book.agent("赵六", badge="35010003", mobile=None)
    book.policy(book.customer("周洁", "F"), "P-SILENT", TODAY - DAY, agent=silent)
    result = run_cli("notices", "run", "--date", TODAY.isoformat(), config_path=config_file)
    assert result.returncode == 0, result.stderr
    assert "no mobile\toverdue_agent:P-SILENT:2026-11-30:1\tstaff 35010003\n" in result.stderr
    assert [k for (k,) in Message.select(Message.dedupe_key).tuples()] == ["overdue:P-SILENT:2026-11-30:1"]
