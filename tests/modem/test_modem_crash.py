"""kill -9 of smsd in the middle of a 1,000-message batch: after a restart nothing
is lost and nothing went on the air twice without the database saying so."""
import collections
import os
import signal
import subprocess
import sys

from appliance.sms import outbox
from appliance.sms.models import Message, MessagePart
from modem import pdu


def smsd(config_path):
    return subprocess.Popen([sys.executable, "-m", "appliance.cli", "--config", str(config_path), "-q",
                             "run", "smsd"], start_new_session=True)


def test_kill_9_during_a_batch_loses_nothing_and_duplicates_nothing(database, config, make_sims, tmp_path,
                                                                     wait_for):
    sims = make_sims(4, latency=0.01)
    config_path = tmp_path / "smsd.toml"
    config_path.write_text(f'data_dir = "{config.data_dir}"\n[modems]\nports = ["{sims.dir}/gsm*"]\n'
                           f"command_timeout = 1.0\nsubmit_timeout = 3.0\nretry_base = 0.2\n"
                           f"daily_cap = 0\nmonthly_cap = 0\n")
    ids = outbox.queue_many([{"to_number": "13800138000", "text": f"batch message {i:04d}"}
                             for i in range(1000)])
    first = smsd(config_path)
    try:
        wait_for(lambda: len(sims.air()) >= 250, 60, "a quarter of the batch on the air")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    on_air_at_kill = len(sims.air())
    assert on_air_at_kill < 1000, "the batch finished before the kill; the test proves nothing"

    database.close()  # see the other process's commits afresh
    database.connect()
    second = smsd(config_path)
    try:
        def settled():
            return not Message.select().where(Message.state.in_(("queued", "sending"))).exists()
        wait_for(settled, 90, "the batch settled after the restart")
        second.send_signal(signal.SIGTERM)
        assert second.wait(20) == 0
    finally:
        if second.poll() is None:
            second.kill()

    messages = {m.text: m for m in Message.select()}
    assert len(messages) == 1000 and sorted(m.id for m in messages.values()) == sorted(ids)
    on_air = collections.Counter(pdu.decode(r["pdu"])["text"] for r in sims.air())
    assert max(on_air.values()) == 1, "a message went on the air twice"
    unknown = 0
    for text, message in messages.items():
        part = MessagePart.get(MessagePart.message == message.id)
        assert message.state in ("sent", "delivered", "unknown"), (text, message.state)
        if message.state == "unknown":
            unknown += 1
            assert "interrupted" in part.error
            assert on_air[text] <= 1
        else:
            assert on_air[text] == 1, f"{text} is {message.state} but was not on the air"
    assert unknown <= 4  # at most one part in flight per modem at the kill
    assert sum(on_air.values()) >= 1000 - unknown
