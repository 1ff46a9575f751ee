"""What a call attempt came to, from what Asterisk said about it.

Asterisk's DIALSTATUS alone is too coarse (a rejected, a vacant and an unreachable number
are all CHANUNAVAIL or NOANSWER over some lines), so the Q.850 hangup cause refines it.
Causes lie in China (MFC/R2 reports 空号 as 20, GSM modules 0, carriers answer to play
announcements): what these rules cannot see, the early-audio classifier will.
"""
INVALID_CAUSES = {1, 3, 22, 28}      # unallocated, no route, number changed, invalid format
UNREACHABLE_CAUSES = {18, 19, 20}     # no user responding, no answer (alerted), subscriber absent
REJECTED_CAUSES = {21}
BUSY_CAUSES = {17}
CONGESTION_CAUSES = {34, 38, 41, 42, 44, 47}


def classify(dial_status, cause=None):
    """A result (appliance.voice.models.RESULTS) from DIALSTATUS and HANGUPCAUSE."""
    status = (dial_status or "").upper()
    if status == "ANSWER":
        return "answered"
    if status == "BUSY":
        return "busy"
    if cause in INVALID_CAUSES:
        return "invalid"
    if cause in REJECTED_CAUSES:
        return "rejected"
    if status == "NOANSWER":
        return "no_answer"
    if status == "CONGESTION":
        return "congestion"
    if cause in BUSY_CAUSES:
        return "busy"
    if cause in UNREACHABLE_CAUSES:
        return "unreachable"
    if cause in CONGESTION_CAUSES:
        return "congestion"
    return "failed"


CDR_DISPOSITIONS = {"ANSWERED": "answered", "BUSY": "busy", "NO ANSWER": "no_answer",
                    "FAILED": "failed", "CONGESTION": "congestion"}


def from_cdr(disposition):
    """A result from a CDR's disposition (coarser than classify: the CDR keeps no cause)."""
    return CDR_DISPOSITIONS.get((disposition or "").upper(), "failed")


def parse_result_variable(value):
    """'ANSWER,16,3,3' (APPLIANCE_RESULT, set by extensions_outbound.conf) ->
    (dial_status, cause or None, answered seconds or None)."""
    parts = (value or "").split(",") + ["", "", ""]
    status, cause, answered = parts[0].strip(), parts[1].strip(), parts[2].strip()
    return (status, int(cause) if cause.isdigit() else None,
            int(answered) if answered.isdigit() else None)


def answer_seconds(value):
    """Seconds from Dial to answer of an answered call, from APPLIANCE_RESULT
    ('ANSWER,16,3,5': answered 3 s of the 5 s since the dialling leg began: 2), else None.
    Whole seconds as Dial gives them, so ±1 s."""
    parts = (value or "").split(",") + ["", "", "", ""]
    status, answered, dialled = parts[0].strip().upper(), parts[2].strip(), parts[3].strip()
    if status != "ANSWER" or not (answered.isdigit() and dialled.isdigit()):
        return None
    return max(0, int(dialled) - int(answered))
