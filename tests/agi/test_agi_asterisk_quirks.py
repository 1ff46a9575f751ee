"""What a real Asterisk 22 does that the IVR must live with (issue 10, observed with
image/asterisk/extensions_appliance.conf), through the fake peer taught the same:
keys beyond GET DATA's maximum reach the next command, keys between commands are lost,
RECORD FILE's BEEP without core sounds is `randomerror`, no DID is `unknown`.
The same behaviour through the real Asterisk: test_agi_real_asterisk.py."""
from agi.asterisk_peer import CallerScript, FakeAsterisk, Step, hang_up, press
from appliance.ivr.models import AgentCheck, Call
from appliance.tickets.models import Ticket
from appliance.sms.models import Message
from test_agi_flows import holder_with_due_policy, last_call


# --- the fake peer itself ----------------------------------------------------------------------

def run_script(script, commands):
    return [script.handle(command) for command in commands]


def test_peer_passes_keys_beyond_get_data_maximum_to_the_next_command(built_prompts):
    prompt = built_prompts / "zh" / "policy_enter_id6"
    script = CallerScript(steps=[press("policy_enter_id6", "123456#")])
    replies = run_script(script, [f'GET DATA "{prompt}" 5000 6',
                                  f'STREAM FILE "{built_prompts}/zh/policy_status_is" "0123456789*#" 0'])
    assert replies[0] == ["200 result=123456"]
    assert replies[1] == [f"200 result={ord('#')} endpos=0"]


def test_peer_drops_keys_pressed_between_commands(built_prompts):
    script = CallerScript(steps=[Step("menu_main", after="5")])
    replies = run_script(script, [f'STREAM FILE "{built_prompts}/zh/menu_main" "0123456789*#" 0',
                                  "WAIT FOR DIGIT 5000"])
    assert replies[0][0].startswith("200 result=0 endpos=")
    assert replies[1] == ["200 result=0"]  # the 5 was pressed while no command ran: lost
    assert ("caller", "presses 5 between commands (dropped)") in script.events


def test_peer_record_file_beep_without_core_sounds_is_randomerror(tmp_path):
    script = CallerScript(steps=[])
    assert script.handle(f'RECORD FILE "{tmp_path}/m" wav "#" 2000 BEEP') == ["200 result=-1 (randomerror) endpos=0"]
    assert not list(tmp_path.iterdir())
    assert script.handle(f'RECORD FILE "{tmp_path}/m" wav "#" 2000')[0].startswith("200 result=0 (timeout)")


def test_peer_without_a_did_says_unknown():
    env = dict(line.split(": ", 1) for line in CallerScript(steps=[], dnid="").env_block().splitlines() if line)
    assert (env["agi_dnid"], env["agi_extension"], env["agi_calleridname"]) == ("unknown", "s", "unknown")


# --- the IVR with it ---------------------------------------------------------------------------

def test_badge_keyed_over_the_agent_intro_keeps_its_first_digit(dial):
    """`35010001#` keyed during the intro: 3 stops the intro, the rest reaches GET DATA."""
    peer = dial([press("menu_main", "2"), press("agent_intro", "35010001#"), hang_up("agent_options")],
                callerid="13912345678")
    check = AgentCheck.get()
    assert check.badge_no == "35010001" and check.result == "active"
    assert "agent_unknown" not in peer.heard and "agent_active" in peer.heard
    assert ["agent_badge", "35010001"] in last_call().key_list


def test_hash_after_the_six_id_digits_does_not_skip_the_policy_information(dial):
    customer, policy = holder_with_due_policy()
    id6 = customer.id_number[-6:].replace("X", "*")
    peer = dial([press("menu_main", "1"), press("policy_other", "1"), press("policy_enter_id6", id6 + "#"),
                 press("after_info", "*"), hang_up("menu_main")], callerid=customer.mobile)
    info = peer.heard.index("policy_status_is")
    assert peer.heard[info:info + 4][1:3] == ["policy_status_in_force", "product_is"]
    assert "last_payment_is" in peer.heard and "after_info" in peer.heard
    assert "#" not in [keys for _, keys in last_call().key_list]


def test_voice_message_plays_our_beep_and_never_asks_asterisk_for_its_own(dial):
    peer = dial([press("menu_main", "4"), Step("record", record_seconds=2.0, record_end="dtmf"),
                 hang_up("menu_main")], callerid="13912345678")
    records = [c for c in peer.commands if c.startswith("RECORD FILE")]
    assert records and not any("BEEP" in c.upper() for c in records)
    assert peer.heard[peer.heard.index("message_intro") + 1] == "beep"
    assert Ticket.get(Ticket.kind == "complaint").recording == peer.recordings[0]


def test_randomerror_from_record_file_is_a_failure_not_a_hangup(agi_server, monkeypatch):
    """Asterisk could not play the beep: the caller is still there and hears so."""
    from agi import channel
    monkeypatch.setattr(channel.FastAGI, "record",
                        lambda self, path, *a, **k: self.execute("RECORD FILE", f'"{path}"', "wav", '"#"', 2000, "BEEP"))
    peer = FakeAsterisk(agi_server.address, [press("menu_main", "4"), hang_up("menu_main")],
                        callerid="13912345678").run()
    assert "service_unavailable" in peer.heard
    call = last_call()
    assert call.outcome == "caller_hung_up" and "recording failed" in call.detail
    assert not Ticket.select().exists()


def test_without_a_did_the_call_record_has_no_called_number_nor_name(dial):
    dial([hang_up("menu_main")], dnid="", callerid="13912345678")
    call = last_call()
    assert (call.called_number, call.caller_name) == ("", "")


def test_sms_committed_while_the_caller_hangs_up_during_ack_is_in_the_call_record(dial):
    dial([press("menu_main", "2"), press("agent_enter_badge", "35019001#"), press("agent_options", "1"),
          hang_up("ack")], callerid="13912345678")
    message = Message.get()
    assert "35019001" in message.text
    call = last_call()
    assert call.outcome == "caller_hung_up" and "sms agent_check_found" in call.detail


def test_goodbye_fallback_hangs_up_once_and_says_the_ivr_finished(dial):
    peer = dial([press("menu_main", "")])
    assert peer.heard[-1] == "goodbye"
    assert peer.commands.count("HANGUP") == 1
    assert peer.commands[-2:] == ['SET VARIABLE "APPLIANCE_IVR" "done"', "HANGUP"]
    assert peer.variables["APPLIANCE_IVR"] == "done"


def test_every_command_runs_under_the_watchdog(dial, ivr_config):
    peer = dial([press("menu_main", "")])
    assert peer.commands[0].startswith("SET AUTOHANGUP ")
    assert 0 < peer.autohangup <= 60 + ivr_config["agi.watchdog_seconds"]
    assert Call.get().outcome == "completed"


def test_operator_dial_runs_without_the_watchdog(dial):
    peer = dial([press("menu_main", "0"), Step("dial", dial_status="ANSWER")])
    dial_at = next(i for i, c in enumerate(peer.commands) if c.startswith("EXEC Dial"))
    assert peer.commands[dial_at - 1] == "SET AUTOHANGUP 0"
    assert last_call().outcome == "transferred"
    assert peer.variables["APPLIANCE_IVR"] == "done"
