"""`appliance run smsd`: the modem pool and the dispatcher, until SIGTERM."""
import logging

from appliance.daemon import sd_notify, stop_event_on_signals

from modem.dispatcher import Dispatcher
from modem.pool import Pool

log = logging.getLogger(__name__)


def main(config):
    stop = stop_event_on_signals()
    pool = Pool(config).start()
    dispatcher = Dispatcher(config, pool)
    log.info("smsd running with %d modem port(s)", len(pool.workers))
    sd_notify("READY=1")
    try:
        dispatcher.run(stop)
    finally:
        sd_notify("STOPPING=1")
        pool.stop()
    log.info("smsd stopped")
    return 0
