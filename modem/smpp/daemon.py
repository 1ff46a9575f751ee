"""`appliance run smpp`: the SMPP bearer beside smsd, until SIGTERM.

With smpp.enabled off it serves idle (systemd keeps the unit in appliance.target either
way); on, its settings are checked first (a bad one ends the start with one line naming
it) and the sender (modem/smpp/sender.py) turns in a thread of its own."""
import logging
import threading

from appliance.config_edit import check_smpp
from appliance.daemon import Heartbeat, serve, threads_alive
from modem.smpp.sender import Sender

log = logging.getLogger(__name__)

# A turn waits at most a fraction of a second on the socket; a minute without one is a
# hang (a database lock never freed), not a busy turn.
STALL = 60.0


class SmppDaemon:
    def __init__(self, config):
        self.config = config
        self.stopping = threading.Event()
        self.heartbeat = Heartbeat("smpp", STALL)
        self.thread = None

    def start(self):
        check_smpp(self.config)
        if not self.config["smpp.enabled"]:
            log.info("smpp: smpp.enabled is off; idle")
            return
        sender = Sender(self.config, self.stopping)
        self.thread = threading.Thread(target=sender.run, args=(self.stopping,), kwargs={"beat": self.heartbeat.beat},
                                       name="smpp", daemon=True)
        self.thread.start()
        log.info("smpp bearer running against %s:%s", self.config["smpp.host"], self.config["smpp.port"])

    def alive(self):
        return self.thread is None or (threads_alive(self.thread) and self.heartbeat.fresh())

    def stop(self):
        """The turn in flight commits; answers to submits in flight are awaited a little."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(15)


def main(config):
    daemon = SmppDaemon(config)
    return serve("smpp", daemon.start, daemon.stop, daemon.alive)
