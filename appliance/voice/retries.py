"""Retries: which results call a number again, and when.

A number is called again (try_no + 1, not before the end of this call + the campaign's
retry_minutes) while try_no < max_tries, when the call did not reach anyone and might
next time:

- busy, no_answer, congestion, failed, unreachable (powered off, out of coverage);
- machine: an answering machine took it, the person has not heard the notice.

Never again by itself:
- invalid (空号: calling again reaches no one either);
- rejected: the callee (or their network, for them) refused this call; calling again
  within the hour is harassment, and key 8 is there to stop calls for good;
- confirmed, answered, completed: the person was reached;
- unknown: the call may have been answered (a dialer crash): never re-dialled by rule;
- skipped: do-not-call and screened-invalid numbers stay uncalled.

retry() runs inside the transaction that records the result (agi/dialer.py finish), so
a kill -9 leaves both or neither: no lost retry, never two.
"""
import datetime

from appliance.voice.models import CallAttempt, VoiceCampaign

RETRY_RESULTS = ("busy", "no_answer", "congestion", "failed", "unreachable", "machine")


def retry(attempt, result, ended_at):
    """Queue the next try of `attempt` (a CallAttempt whose result is `result`, ended at
    instant `ended_at`) if the rule says so; returns the new attempt or None. Call it in
    the transaction that writes the result."""
    if result not in RETRY_RESULTS:
        return None
    campaign = VoiceCampaign.get_by_id(attempt.campaign_id)
    if attempt.try_no >= campaign.max_tries or campaign.state == "cancelled":
        return None
    return CallAttempt.create(
        campaign=campaign.id, number=attempt.number, customer=attempt.customer_id, policy=attempt.policy_id,
        variables=attempt.variables, line_group=attempt.line_group, try_no=attempt.try_no + 1,
        queued_at=ended_at, not_before=ended_at + datetime.timedelta(minutes=campaign.retry_minutes))

