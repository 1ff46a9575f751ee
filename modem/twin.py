"""An in-memory modem pool: the real pool's interface with no serial ports.

The dispatcher talks to a pool through `ready()`, `hand(worker, job)`,
`events`, `workers` and `rescan()`; TwinPool implements them in memory and lets
the caller decide what becomes of each submit (finish), take modems out and
bring them back, and deliver inbound PDUs. It records every job handed to it,
so a test can follow the dispatcher's choices step by step:

    pool = TwinPool([TwinModem("gsm0", carrier="China Mobile"), TwinModem("gsm1")])
    dispatcher = Dispatcher(config, pool)
    dispatcher.step(0, now=t)
    pool.handed        # [("gsm0", PartJob(...))]
    pool.finish("gsm0")  # sent; the next step records it
"""
import queue

from modem.events import HealthChanged, Inbound, Outcome, SubmitFinished


class TwinModem:
    """One modem of the twin pool: a name, a SIM and the job it is working on."""

    def __init__(self, name, imsi="", carrier=""):
        self.name = self.device = name
        self.state = "ok"
        self.alarm = ""
        self.info = {"imei": "", "imsi": imsi, "iccid": "",
                     "operator": "", "carrier": carrier, "sim_state": "READY", "registration": "home",
                     "signal_dbm": -70}
        self.jobs = []          # handed, not finished, oldest first
        self.errors = 0
        self.received = 0
        self.reference = 0
        self.last_activity = None

    def snapshot(self):
        return {"port": self.name, "device": self.device, "state": self.state, "alarm": self.alarm,
                "errors": self.errors, "received": self.received, "busy": bool(self.jobs),
                "last_activity": self.last_activity, **self.info}


class TwinPool:
    """The pool interface in memory; see the module docstring."""

    def __init__(self, modems):
        self.workers = {m.name: m for m in modems}
        self.events = queue.Queue()
        self.handed = []  # (modem name, PartJob) in the order handed

    # --- the interface the dispatcher uses ---------------------------------------------

    def ready(self):
        return [m for m in self.workers.values() if m.state == "ok"]

    def hand(self, worker, job):
        worker.jobs.append(job)
        self.handed.append((worker.name, job))

    def rescan(self):
        pass  # nothing gets plugged in

    def stop(self):
        pass

    # --- what the caller decides -----------------------------------------------------------

    def finish(self, name, kind="sent", error="", modem_trouble=False):
        """The oldest job of modem NAME ends as KIND (sent | transient | permanent |
        unknown); returns the job."""
        modem = self.workers[name]
        job = modem.jobs.pop(0)
        reference = None
        if kind == "sent":
            modem.reference = (modem.reference + 1) % 256
            reference = modem.reference
        self.events.put(SubmitFinished(modem, job, Outcome(kind, reference, error, modem_trouble)))
        return job

    def finish_all(self, kind="sent"):
        """Every modem's oldest job ends as KIND; returns the jobs."""
        return [self.finish(m.name, kind) for m in self.workers.values() if m.jobs]

    def take_out(self, name, alarm="taken out of the pool"):
        """As the real pool removing a modem: its jobs come back as transient failures."""
        modem = self.workers[name]
        modem.state, modem.alarm = "removed", alarm
        while modem.jobs:
            self.finish(name, "transient", error="modem not available", modem_trouble=True)
        self.events.put(HealthChanged(modem))

    def bring_back(self, name):
        modem = self.workers[name]
        modem.state, modem.alarm = "ok", ""
        self.events.put(HealthChanged(modem))

    def receive(self, name, info, hex_pdu=""):
        """An inbound PDU (decoded as pdu.decode does) arrives on modem NAME; returns
        the Inbound, whose `stored` says whether the dispatcher committed it."""
        item = Inbound(name, info, hex_pdu)
        self.events.put(item)
        return item
