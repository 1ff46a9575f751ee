"""The FastAGI channel against Asterisk's real replies, byte for byte: the
unsolicited HANGUP line, 511, 520 usage, 510, -1, a closed socket, and the
server's routing and call limit."""
import socket
import threading

import pytest
from asterisk.agi import AGIInvalidCommand
from peer_support import wait_for

from agi.asterisk_peer import CallerScript, FakeAsterisk, hang_up, press
from agi.channel import AgiUsageError, CallerHungUp, FastAGI
from appliance.ivr.models import Call


def channel_with(replies, env=None):
    """A FastAGI channel whose far end sends the env block, then `replies`
    (one per command received), exactly as given."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        theirs = socket.create_connection(listener.getsockname())
        ours, _ = listener.accept()
    script = CallerScript(steps=[], callerid="unknown")
    theirs.sendall((env or script.env_block()).encode())
    received = []

    def far_end():
        reader = theirs.makefile("r")
        for reply in replies:
            line = reader.readline()
            if not line:
                return
            received.append(line.rstrip("\n"))
            theirs.sendall(reply.encode())
        theirs.close()
    thread = threading.Thread(target=far_end, daemon=True)
    thread.start()
    return FastAGI(ours), received


def test_env_block_parsed_in_asterisk_order_with_empty_accountcode():
    channel, _ = channel_with([])
    assert list(channel.env)[:3] == ["agi_network", "agi_network_script", "agi_request"]
    assert len(channel.env) == 22
    assert channel.env["agi_accountcode"] == "" and channel.env["agi_callerid"] == "unknown"


def test_stream_file_returns_the_ascii_coded_key():
    channel, received = channel_with(["200 result=53 endpos=9760\n", "200 result=0 endpos=32000\n"])
    assert channel.stream("/p/zh/menu_main") == "5"
    assert channel.stream("/p/zh/menu_main") == ""
    assert received[0] == 'STREAM FILE "/p/zh/menu_main" "0123456789*#" 0'


def test_get_data_digits_timeout_and_nothing():
    channel, _ = channel_with(["200 result=12345\n", "200 result=12 (timeout)\n", "200 result= (timeout)\n"])
    assert channel.get_digits("/p/x", 5000, 5) == "12345"
    assert channel.get_digits("/p/x", 5000, 5) == "12"
    assert channel.get_digits("/p/x", 5000, 5) == ""


def test_unsolicited_hangup_then_511_ends_the_call():
    channel, received = channel_with(["200 result=-1 endpos=4000\n", "HANGUP\n511 Command Not Permitted\n"])
    with pytest.raises(CallerHungUp):
        channel.stream("/p/x")
    assert channel.hung_up
    with pytest.raises(CallerHungUp):  # not even sent: the channel is dead
        channel.wait_for_digit(5000)
    assert len(received) == 1


def test_hangup_line_before_a_reply_is_skipped_and_511_raises():
    channel, _ = channel_with(["HANGUP\n511 Command Not Permitted on a dead channel or intercept routine\n"])
    with pytest.raises(CallerHungUp):
        channel.wait_for_digit(5000)


def test_520_usage_is_read_to_its_end_and_the_channel_stays_usable():
    channel, _ = channel_with(["520-Invalid command syntax.  Proper usage follows:\nUsage: GET DATA <file>\n"
                               "520 End of proper usage.\n", "200 result=1\n"])
    with pytest.raises(AgiUsageError) as err:
        channel.execute("GET DATA")
    assert "End of proper usage" in str(err.value)
    assert channel.execute("NOOP")["result"][0] == "1"


def test_510_and_a_closed_socket():
    channel, _ = channel_with(["510 Invalid or unknown command\n"])
    with pytest.raises(AGIInvalidCommand):
        channel.execute("FROB")
    with pytest.raises(CallerHungUp):  # the far end closed after its last reply
        channel.execute("NOOP")


def test_fake_asterisk_answers_as_asterisk_does(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"RIFF")  # exists; contents do not matter for this
    script = CallerScript(steps=[press("a", "5"), hang_up("wait")])
    assert script.handle(f'STREAM FILE "{tmp_path}/a" "0123456789*#" 0') == ["200 result=53 endpos=0"]
    assert script.handle(f'STREAM FILE "{tmp_path}/missing" "0123456789*#" 0') == ["200 result=-1 endpos=0"]
    assert script.handle("WAIT FOR DIGIT 5000") == ["200 result=-1", "HANGUP"]
    assert script.handle("WAIT FOR DIGIT 5000")[-1].startswith("511 ")
    assert script.handle('GET VARIABLE "X"') == ["200 result=0"]  # still answered on a dead channel
    assert script.handle("FROB") == ["510 Invalid or unknown command"]
    assert script.handle("STREAM FILE")[-1] == "520 End of proper usage."


@pytest.mark.parametrize("at,where", [
    ("welcome", "greeting"), ("menu_main", "main"), ("wait", "main"),
    ("agent_enter_badge", "agent_badge"), ("agent_active", "agent_active"), ("agent_options", "agent_active"),
    ("policy_enter_number", "policy_number"), ("policy_enter_id6", "policy_verify"),
    ("claim_enter_number", "claim_number"), ("menu_service_request", "service_request"),
    ("callback_confirm", "callback"), ("message_intro", "message"), ("record", "message_record"),
    ("ticket_opened", "message_record"),
])
def test_hangup_anywhere_closes_the_record_with_where(dial, at, where):
    from appliance.ivr.models import PolicyLockout
    from appliance.tickets.models import Ticket
    from appliance.models import Policy
    route = {"agent_enter_badge": ["2"], "agent_active": ["2"], "agent_options": ["2"],
             "policy_enter_number": ["1"], "policy_enter_id6": ["1"], "claim_enter_number": ["3"],
             "menu_service_request": ["5"], "callback_confirm": ["5"], "message_intro": ["4"],
             "record": ["4"], "ticket_opened": ["4"]}.get(at, [])
    steps = [press("menu_main", key) for key in route]
    if at in ("agent_active", "agent_options"):
        steps.append(press("agent_enter_badge", "35010001#"))
    if at == "policy_enter_id6":
        steps.append(press("policy_enter_number", Policy.select().first().policy_no + "#"))
    if at == "callback_confirm":
        steps.append(press("menu_service_request", "1"))
    if at == "ticket_opened":
        from agi.asterisk_peer import Step
        steps.append(Step("record", record_seconds=1))
    peer = dial(steps + [hang_up(at)], callerid="13912345678")
    # committed before it was told (ticket), or kept (a message cut short); nothing else
    assert Ticket.select().count() == (1 if at in ("ticket_opened", "record") else 0)
    assert PolicyLockout.select().count() == 0
    call = Call.get()
    assert (call.outcome, call.ended_in) == ("caller_hung_up", where)
    assert call.ended_at is not None
    # after the -1 the server sends nothing more on the dead channel, and closes
    dead_at = next(i for i, c in enumerate(peer.commands)
                   if at in c or (at == "wait" and c.startswith("WAIT")))
    assert len(peer.commands) == dead_at + 1
    assert peer.closed_by_server


def test_missing_prompt_file_is_skipped_not_sent(start_server, ivr_config, built_prompts, tmp_path):
    # a data dir of its own, with one prompt deleted
    import shutil
    prompts_dir = ivr_config.data_dir / "prompts"
    prompts_dir.unlink()
    shutil.copytree(built_prompts, prompts_dir, symlinks=False, ignore=shutil.ignore_patterns("cache"))
    (prompts_dir / "zh" / "welcome.wav").unlink()
    (prompts_dir / "en" / "welcome.wav").unlink()
    server = start_server(ivr_config)
    peer = FakeAsterisk(server.address, [hang_up("menu_main")], callerid="unknown").run()
    assert peer.heard == ["menu_main"]
    assert not any("welcome" in c for c in peer.commands)
    assert Call.get().ended_in == "main"


def test_unknown_script_and_call_limit_close_at_once(start_server, ivr_config):
    server = start_server(ivr_config.replace(agi__max_calls=1))
    peer = FakeAsterisk(server.address, [], script="no-such-script", callerid="unknown").run()
    assert peer.commands == [] and peer.closed_by_server
    # one call holds the only slot (waiting in its menu); a second is refused
    holder = socket.create_connection(server.address)
    holder.sendall(CallerScript(steps=[]).env_block().encode())
    # the call is in progress: the watchdog's lease, then ANSWER
    assert holder.makefile("r").readline().startswith("SET AUTOHANGUP ")
    refused = FakeAsterisk(server.address, [], callerid="unknown").run()
    assert refused.commands == [] and refused.closed_by_server
    holder.close()
    wait_for(lambda: Call.select().where(Call.outcome == "caller_hung_up").exists(), what="the held call's end")
    assert [c.outcome for c in Call.select()] == ["caller_hung_up"]


def test_script_with_query_string_is_routed(dial):
    peer = dial([hang_up("menu_main")], script="ivr?lang=en")
    assert peer.heard == ["welcome", "menu_main"]
