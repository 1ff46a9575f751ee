"""The FastAGI channel on random and mutated replies from Asterisk: every
command returns what it can answer or raises one of the channel's own errors
(pyst2's AGIError family: CallerHungUp, AgiReplyError, AgiUsageError…), and a
long line is read in linear time (pyst2's reply regex took 24.7 s on a 40 KB
line). A 4,300-digit GET DATA answer used to end in ValueError, `result=3tmf)`
or `result=99999999` where a key was expected in ValueError/OverflowError. A
bounded run on every test run; HYPOTHESIS_LONG=1 for the long one
(tests/fuzz_support.py)."""
import socket
import threading
import time
from types import SimpleNamespace

import pytest
from asterisk import agi as pyst
from fuzz_support import fuzz
from hypothesis import example, given, strategies as st

from agi.asterisk_peer import CallerScript
from agi.channel import DTMF_KEYS, MAX_LINE, AgiReplyError, FastAGI, parse_reply
from agi.session import Session

ENV = CallerScript(steps=[], callerid="unknown").env_block()
REPLIES = [
    "200 result=53 endpos=9760", "200 result=0 endpos=32000", "200 result=12345", "200 result=12 (timeout)",
    "200 result= (timeout)", "200 result=-1 endpos=4000", "HANGUP", "511 Command Not Permitted",
    "520-Invalid command syntax.  Proper usage follows:", "Usage: GET DATA <file>", "520 End of proper usage.",
    "510 Invalid or unknown command", "200 result=1 (value (with) brackets)", "200 result=0",
    "200 result=-1 (randomerror) endpos=0", "200 result=-1 (writefile)", "200 result=1 (dtmf) endpos=800",
    "200 result=3tmf)", "200 result=99999999", "200 result=" + "1" * 4300, "1" * 4300 + " result=1",
    "200 result=-2", "200 result=٣", "200 result=²", "200 result=35", "200 result=42 (hangup)", "",
    "FAILURE", "200", "200 result", "200 =1", "200 result=1 (", "200 result=1 ((((", "5200 result=1",
]
LINE = st.one_of(
    st.sampled_from(REPLIES),
    st.text(max_size=40),
    st.builds(lambda a, b: a + b, st.sampled_from(REPLIES), st.text(max_size=10)),
    st.builds(lambda a, b: a[:b], st.sampled_from(REPLIES), st.integers(0, 30)),
    # long lines: a pattern repeated to tens of KB (pyst2's regex backtracks on these)
    st.builds(lambda head, unit, n: head + unit * n, st.sampled_from(["200 ", "200 result=1 ", ""]),
              st.sampled_from(["(", "a=", "a=b (", "x ", "=(", "result=1 (x) "]), st.integers(1, 20000)),
)
COMMANDS = st.lists(st.sampled_from(["stream", "wait", "digits", "record", "get_variable", "appexec",
                                     "answer", "set_variable", "hangup", "channel_status", "noop"]),
                    min_size=1, max_size=6)


@pytest.fixture(scope="module")
def listener():
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server


def channel_on(listener, data, timeout=10):
    """A FastAGI channel whose far end has sent `data` (bytes) and then closed."""
    theirs = socket.create_connection(listener.getsockname())
    ours, _ = listener.accept()
    ours.settimeout(timeout)

    def far_end():
        try:
            theirs.sendall(data)
            theirs.shutdown(socket.SHUT_WR)
            while theirs.recv(65536):  # the commands, until our side closes
                pass
        except OSError:
            pass
        finally:
            theirs.close()
    threading.Thread(target=far_end, daemon=True).start()
    return ours


def run_commands(channel, commands, max_digits):
    for command in commands:
        if command == "stream":
            assert channel.stream("/p/x") in ("", *DTMF_KEYS)
        elif command == "wait":
            assert channel.wait_for_digit(5000) in ("", *DTMF_KEYS)
        elif command == "digits":
            digits = channel.get_digits("/p/x", 5000, max_digits)
            assert len(digits) <= max_digits and all(ch in DTMF_KEYS for ch in digits)
        elif command == "record":
            assert isinstance(channel.record("/tmp/fuzz-never-written", max_ms=1000), str)
        elif command == "get_variable":
            assert isinstance(channel.get_variable("X"), str)
        elif command == "appexec":
            channel.appexec("Playback", "x")
        elif command == "answer":
            channel.answer()
        elif command == "set_variable":
            channel.set_variable("X", "1")
        elif command == "hangup":
            channel.hangup()
        elif command == "channel_status":
            channel.channel_status()
        else:
            channel.noop()


@fuzz(400)
@given(env_cut=st.one_of(st.none(), st.integers(0, len(ENV))), lines=st.lists(LINE, max_size=8),
       ends=st.sampled_from(["\n", "\r\n"]), noise=st.one_of(st.none(), st.binary(max_size=16)),
       commands=COMMANDS, max_digits=st.integers(1, 20), watchdog=st.sampled_from([0, 30]))
@example(env_cut=None, lines=["200 result=" + "1" * 4300], ends="\n", noise=None, commands=["digits"],
         max_digits=6, watchdog=0)
@example(env_cut=None, lines=["200 result=3tmf)", "200 result=99999999"], ends="\n", noise=None,
         commands=["stream", "wait"], max_digits=6, watchdog=0)
def test_fuzz_channel_answers_or_raises_its_own_errors(listener, env_cut, lines, ends, noise, commands,
                                                       max_digits, watchdog):
    env = ENV if env_cut is None else ENV[:env_cut]
    data = env.encode() + "".join(line + ends for line in lines).encode("utf-8", "surrogatepass")
    if noise is not None:
        data += noise
    sock = channel_on(listener, data)
    started = time.monotonic()
    channel = None
    try:
        channel = FastAGI(sock, watchdog=watchdog)
        run_commands(channel, commands, max_digits)
    except pyst.AGIError:
        pass  # the channel's own errors (CallerHungUp, AgiReplyError, AgiUsageError, …)
    finally:
        if channel is not None:
            channel.close()
        else:
            sock.close()
    assert time.monotonic() - started < 5, "a reply took seconds to read"


def test_a_long_reply_line_is_parsed_in_linear_time():
    line = "result=1 " + "(" * 40_000
    started = time.monotonic()
    assert parse_reply(line)["result"] == ("1", "")
    assert parse_reply("result=1 (a) endpos=3") == {"result": ("1", "a"), "endpos": ("3", "")}
    assert parse_reply("result=-1 (randomerror) endpos=0")["result"] == ("-1", "randomerror")
    assert time.monotonic() - started < 0.5


def test_a_line_beyond_the_limit_ends_the_connection_cleanly(listener):
    sock = channel_on(listener, ENV.encode() + b"200 result=1 (" + b"x" * MAX_LINE + b")\n200 result=1\n")
    channel = FastAGI(sock)
    with pytest.raises(AgiReplyError):
        channel.get_variable("X")
    with pytest.raises(AgiReplyError):  # out of step: nothing more is sent
        channel.noop()
    channel.close()


def test_a_4300_digit_entry_is_refused_and_the_caller_asked_again(listener):
    sock = channel_on(listener, ENV.encode() + b"200 result=" + b"1" * 4300 + b"\n200 result=123456\n")
    channel = FastAGI(sock)
    pressed = []
    context = SimpleNamespace(config={}, writer=None,
                              finder=SimpleNamespace(path=lambda name, language: f"/p/{name}"))
    call = SimpleNamespace(id=1, caller_id="", pressed=lambda where, keys, secret=False: pressed.append(keys))
    session = Session(channel, context, call)
    assert session.ask_digits("policy_enter_id6", 6) == ""
    assert session.ask_digits("policy_enter_id6", 6) == "123456"
    assert pressed == ["123456"]
    channel.close()
