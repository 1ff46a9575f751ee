"""The retry rule (appliance/voice/retries.py) and the dial-time skips (skips.py)."""
import datetime

import pytest

from appliance.services import optout
from appliance.voice import retries, skips
from appliance.voice.models import RESULTS, CallAttempt, ScreenedNumber, VoiceCampaign

END = datetime.datetime(2026, 10, 15, 11, 0)


def attempt_of(max_tries=3, retry_minutes=30, try_no=1, state="running", kind="notice", number="13040000000"):
    campaign = VoiceCampaign.create(name="c", kind=kind, max_tries=max_tries, retry_minutes=retry_minutes,
                                    state=state)
    return CallAttempt.create(campaign=campaign, number=number, try_no=try_no, state="done",
                              variables='{"name": "张三"}', line_group="gsm")


@pytest.mark.parametrize("result", [r for r in RESULTS if r])
def test_which_results_are_tried_again(database, result):
    attempt = attempt_of()
    again = retries.retry(attempt, result, END)
    expected = result in ("busy", "no_answer", "congestion", "failed", "unreachable", "machine")
    assert (again is not None) == expected
    if again:
        assert (again.try_no, again.state, again.not_before, again.number) == (2, "queued", END + datetime.timedelta(minutes=30),
                                                                               attempt.number)
        assert (again.line_group, again.variables, again.campaign_id) == ("gsm", attempt.variables, attempt.campaign_id)


def test_no_retry_past_max_tries_or_for_a_cancelled_campaign(database):
    assert retries.retry(attempt_of(max_tries=3, try_no=3), "busy", END) is None
    assert retries.retry(attempt_of(max_tries=1), "busy", END) is None
    assert retries.retry(attempt_of(state="cancelled"), "busy", END) is None
    assert retries.retry(attempt_of(max_tries=3, try_no=2, retry_minutes=5), "busy", END).not_before == \
        END + datetime.timedelta(minutes=5)


def test_skips_do_not_call_and_screened_invalid_but_screening_campaigns_check_again(database):
    optout.add("13900139000", kind="dnd", reason="asked", source="cli")
    ScreenedNumber.create(number="+8613700137000", status="invalid", screened_at=datetime.datetime(2026, 11, 28, 3))
    ScreenedNumber.create(number="13600136000", status="unreachable")
    notice = [attempt_of(number=n) for n in ("13900139000", "13700137000", "13600136000", "13500135000")]
    screening = [attempt_of(kind="screening", number=n) for n in ("13900139000", "13700137000")]
    got = skips.reasons(notice + screening)
    assert got == {notice[0].id: "on the do-not-call list", notice[1].id: "screened invalid on 2026-11-28",
                   screening[0].id: "on the do-not-call list"}
