"""`appliance run smsd`: the modem pool and the dispatcher, until SIGTERM."""
import logging
import threading

from appliance.daemon import Heartbeat, serve, threads_alive
from modem.dispatcher import Dispatcher
from modem.pool import Pool

log = logging.getLogger(__name__)

# A dispatcher turn waits at most a fraction of a second for modem events; a
# minute without one is a hang (a database lock never freed), not a busy turn.
STALL = 60.0


class Smsd:
    """smsd as serve() drives it: the pool's modem threads and the dispatcher loop's thread."""

    def __init__(self, config):
        self.config = config
        self.stopping = threading.Event()
        self.heartbeat = Heartbeat("dispatcher", STALL)
        self.pool = self.thread = None

    def start(self):
        self.pool = Pool(self.config).start()
        dispatcher = Dispatcher(self.config, self.pool)
        self.thread = threading.Thread(target=dispatcher.run, args=(self.stopping,),
                                       kwargs={"beat": self.heartbeat.beat}, name="dispatcher", daemon=True)
        self.thread.start()
        log.info("smsd running with %d modem port(s)", len(self.pool.workers))

    def alive(self):
        return threads_alive(self.thread) and self.heartbeat.fresh()

    def stop(self):
        """The turn in flight finishes and commits; then the modems finish their AT command."""
        self.stopping.set()
        self.thread.join(10)
        self.pool.stop()


def main(config):
    smsd = Smsd(config)
    return serve("smsd", smsd.start, smsd.stop, smsd.alive)
