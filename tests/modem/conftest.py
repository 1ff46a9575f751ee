"""Fixtures for the SMS engine: simulated modems on real ptys, and smsd's pool and
dispatcher running in a thread against them."""
import threading

import pytest
from peer_support import wait_for

from appliance.config import Config
from modem.dispatcher import Dispatcher
from modem.pool import Pool
from modem.sim import SimControl, Simulator, read_air

FAST = {  # short timeouts so faults play out in seconds
    "modems.command_timeout": 1.0,
    "modems.submit_timeout": 3.0,
    "modems.retry_base": 0.2,
    "modems.rejoin_interval": 0.5,
    "modems.reset_after": 2,
    "modems.remove_after": 2,
    "modems.health_interval": 60.0,
    "modems.read_interval": 60.0,
}




@pytest.fixture(name="wait_for")
def wait_for_fixture():
    """wait_for(predicate, timeout, what): poll until truthy, else fail."""
    return wait_for


class Sims:
    """A running simulator with helpers for tests."""

    def __init__(self, directory, modems, latency=0.0, pin=""):
        self.dir = directory
        self.sim = Simulator(directory, modems, latency=latency, pin=pin).start()
        self.control = SimControl(directory)

    def air(self, result="ok"):
        return [r for r in read_air(self.dir) if result is None or r.get("result") == result]

    def stop(self):
        self.sim.stop()


@pytest.fixture
def make_sims(tmp_path):
    made = []

    def make(modems=1, latency=0.0, pin=""):
        sims = Sims(tmp_path / f"modems{len(made)}", modems, latency, pin)
        made.append(sims)
        return sims
    yield make
    for sims in made:
        sims.stop()


class Smsd:
    """smsd's pool and dispatcher in a thread (the daemon minus signal handling)."""

    def __init__(self, config):
        self.config = config
        self.stop_event = threading.Event()
        self.pool = Pool(config).start()
        self.dispatcher = Dispatcher(config, self.pool)
        self.thread = threading.Thread(target=self.dispatcher.run, args=(self.stop_event, 0.05),
                                       daemon=True)
        self.thread.start()

    def worker(self, name):
        return next(w for w in self.pool.workers.values() if w.name == name)

    def wait_ready(self, count, timeout=15.0):
        wait_for(lambda: len(self.pool.ready()) >= count, timeout, f"{count} modem(s) ready")

    def stop(self):
        self.stop_event.set()
        self.thread.join(10)
        self.pool.stop()


@pytest.fixture
def sms_config(config, tmp_path):
    """The test configuration with fast timeouts; ports set by start_smsd."""
    return config.replace(**{k.replace(".", "__"): v for k, v in FAST.items()})


@pytest.fixture
def start_smsd(database, sms_config):
    started = []

    def start(sims, ready=None, **overrides):
        values = dict(sms_config.items())
        values["modems.ports"] = [str(sims.dir / "gsm*")]
        values.update({k.replace("__", "."): v for k, v in overrides.items()})
        smsd = Smsd(Config(values))
        started.append(smsd)
        smsd.wait_ready(len(sims.sim.modems) if ready is None else ready)
        return smsd
    yield start
    for smsd in started:
        smsd.stop()
