"""`appliance run dialer`: the dialer (agi/dialer.py) as a daemon, with answer monitoring.

One thread runs the dialer loop on a manager (AMI) connection from the [voice] settings.
When Asterisk is down or restarts, the connection closes (AMIClosed) and the loop returns:
the thread connects again with backoff (1, 2, 4 … 30 s), attach()es the new connection and
runs the dialer again, which recovers the calls that were in flight as after a crash
(followed if still up, else read from the CDR, else `unknown`; never dialled again). One
log line when an outage begins and one when it ends, not a traceback per try.

A second thread (appliance.daemon.Loop) starts answer-monitoring rounds when due and sends
their alarms (appliance/voice/monitor.py); it wakes the dialer when it starts a round.

On SIGTERM the dialer places no new call and returns; calls in flight are not hung up:
their attempts stay `dialling`, and the next start follows them to their end.
"""
import logging
import threading
import time


from agi.ami import AMIError, Manager
from agi.dialer import Dialer, box_name, parse_line_groups
from agi.server import parse_listen
from appliance.cluster.leadership import Leadership, LeaseLost
from appliance.daemon import Heartbeat, Loop, serve, threads_alive
from appliance.db import database
from appliance.errors import ConfigError
from appliance.voice import monitor, screening, windows

log = logging.getLogger(__name__)

STALL = 60.0           # seconds without a loop turn that count as stuck (a turn waits ≤ poll_seconds)
BACKOFF = (1, 2, 4, 8, 15, 30)  # seconds between connection tries; the last repeats
BOOT_SECONDS = 30.0    # how long a connected Asterisk may take to finish booting (< STALL)
MONITOR_EVERY = 30.0   # seconds between looks at the monitoring schedule and alarms
MONITOR_LEASE = "voice-monitor"  # the singleton's name (appliance/cluster/leadership.py)


def check_config(config):
    """Refuse [voice] settings the daemon could not act on, naming the key."""
    try:
        parse_listen(config["voice.ami"])
    except ValueError:
        raise ConfigError(f"voice.ami: must be host:port, got {config['voice.ami']!r}", field="voice.ami") from None
    groups = parse_line_groups(config["voice.line_groups"])
    windows.check(config["voice.windows"], "voice.windows")
    monitor.check_config(config)
    if monitor.parse_targets(config["voice.monitor_numbers"]) and config["voice.monitor_line_group"] not in groups:
        raise ConfigError(f"voice.monitor_line_group: no line group {config['voice.monitor_line_group']!r} "
                          "in voice.line_groups", field="voice.monitor_line_group")
    return groups


def make_dialer(config, ami, **overrides):
    """A Dialer as the [voice] settings describe it (the daemon's and `appliance voice dial`'s)."""
    options = dict(ring_seconds=config["voice.ring_seconds"], caller_id=config["voice.caller_id"] or config["hotline"],
                   cdr_path=config["voice.cdr_csv"], default_window=config["voice.windows"],
                   box=box_name(config))
    options.update(overrides)
    return Dialer(ami, parse_line_groups(config["voice.line_groups"]), **options)


class DialerDaemon:
    """The dialer thread (connect, run, reconnect) and the monitoring loop, for serve()."""

    def __init__(self, config, connect=None, **dialer_options):
        self.config = config
        self.dialer_options = dialer_options  # tests: the answered context, short graces
        self.connect = connect or self._connect
        self.heartbeat = Heartbeat("dialer", STALL)
        self.stopping = threading.Event()
        self.dialer = None
        self.ami = None
        self.outages = 0                      # connections lost or refused (one log line each)
        self.thread = threading.Thread(target=self._run, name="dialer", daemon=True)
        self.monitor = Loop("monitor", self._monitor_step, MONITOR_EVERY, stall=STALL * 5)
        self.leadership = Leadership(config)  # one box of several starts the monitor's rounds

    def start(self):
        check_config(self.config)
        # Asterisk records early audio into it, we trim and classify: made ours at every start,
        # not only at first boot (a box may move its data_dir).
        screening.prepare(self.config.data_dir)
        self.thread.start()
        self.monitor.start()
        log.info("dialer: manager at %s", self.config["voice.ami"])

    def alive(self):
        return threads_alive(self.thread) and self.heartbeat.fresh() and self.monitor.alive()

    def stop(self):
        """No new call; calls in flight stay up and recorded `dialling` for the next start."""
        self.stopping.set()
        if self.dialer is not None:
            self.dialer.stop()
        self.thread.join(20)
        self.monitor.stop()
        self.leadership.release_all()
        if self.ami is not None:
            self.ami.close()

    # --- the dialer thread -------------------------------------------------------------
    def _connect(self):
        host, port = parse_listen(self.config["voice.ami"])
        ami = Manager(host, port, self.config["voice.ami_user"], self.config["voice.ami_secret"], timeout=5.0)
        try:
            ami.wait_fully_booted(BOOT_SECONDS)  # a restarting Asterisk answers before its dialplan is loaded
        except AMIError:
            ami.close()
            raise
        return ami

    def _run(self):
        failures = 0  # in a row: a lasting fault is retried ever more slowly, not logged every second
        broken = False
        try:
            while not self.stopping.is_set():
                if self.ami is None or self.dialer.lost or broken:
                    if not self._reconnect():
                        return
                    broken = False
                try:
                    self.dialer.run()
                    failures = 0
                except AMIError as exc:  # the connection broke, or stopped answering, under an action
                    log.debug("dialer: %s", exc)
                    broken = True
                except Exception:  # one failure must not end the daemon: log it, start again
                    wait = BACKOFF[min(failures, len(BACKOFF) - 1)]
                    failures += 1
                    log.exception("dialer: the loop failed (%d in a row); starting it again in %d s", failures, wait)
                    self.heartbeat.beat()
                    self.stopping.wait(wait)
                self.heartbeat.beat()
        finally:
            if not database.is_closed():
                database.close()  # this thread's connection

    def _reconnect(self):
        """Connect (again), retrying with backoff until it works or the daemon stops; one log
        line when the outage begins and one when it ends. False when stopping."""
        lost_at, tries = None, 0
        if self.ami is not None:  # it was up: its closing is the outage
            self.ami.close()
            lost_at = time.monotonic()
            self.outages += 1
            log.error("dialer: lost the Asterisk manager at %s; reconnecting (calls in flight are "
                      "recovered when it answers)", self.config["voice.ami"])
            self.stopping.wait(BACKOFF[0])  # it is going away (a restart): not the same Asterisk again
        while not self.stopping.is_set():
            self.heartbeat.beat()  # waiting for Asterisk is work too: at most ~45 s per try
            try:
                ami = self.connect()
            except (OSError, AMIError) as exc:
                if lost_at is None:
                    lost_at = time.monotonic()
                    self.outages += 1
                    log.error("dialer: cannot reach the Asterisk manager at %s (%s); trying again every "
                              "%d s at most", self.config["voice.ami"], exc, BACKOFF[-1])
                self.heartbeat.beat()
                self.stopping.wait(BACKOFF[min(tries, len(BACKOFF) - 1)])
                tries += 1
                continue
            self._use(ami)
            if lost_at is not None:
                log.warning("dialer: the Asterisk manager answers again after %.0f s", time.monotonic() - lost_at)
            return True
        return False

    def _use(self, ami):
        old, self.ami = self.ami, ami
        if self.dialer is None:
            self.dialer = make_dialer(self.config, ami, **self.dialer_options)
            self.dialer.beat = self.heartbeat.beat
        else:
            self.dialer.attach(ami)
        if old is not None:
            old.close()
        if self.stopping.is_set():  # stop() came while connecting: it may have missed the dialer
            self.dialer.stop()

    # --- the monitoring loop -------------------------------------------------------------
    def _monitor_step(self):
        if not self.leadership.hold(MONITOR_LEASE):
            return  # another box on this database runs the rounds
        try:
            started = monitor.start_due(self.config, fence=self.leadership[MONITOR_LEASE].check)
        except LeaseLost as exc:  # another box took the rounds over meanwhile
            log.warning("answer monitoring: %s", exc)
            return
        if started is not None and self.dialer is not None:
            self.dialer.wake()
        monitor.send_alarms(self.config)


def main(config):
    daemon = DialerDaemon(config)
    return serve("dialer", daemon.start, daemon.stop, daemon.alive)
