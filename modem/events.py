"""What the dispatcher and a modem pool say to each other.

The dispatcher hands a pool PartJobs (pool.hand); the pool answers on its
`events` queue with SubmitFinished, Inbound and HealthChanged. The real pool
(modem/pool.py) and the in-memory twin (modem/twin.py) speak exactly these.
"""
import threading
from dataclasses import dataclass, field


@dataclass
class PartJob:
    """One part to submit, already claimed (`sending`) in the database."""
    part_id: int
    message_id: int
    number: str
    pdu: str
    length: int
    seq: int
    total: int
    attempts: int
    ready: object = None  # the delivery.ReadyPart it came from


@dataclass
class Outcome:
    kind: str            # sent | transient | permanent | unknown
    reference: int = None
    error: str = ""
    modem_trouble: bool = False


@dataclass
class SubmitFinished:
    """A modem is done with a job it was handed (whatever became of it)."""
    worker: object
    job: PartJob
    outcome: Outcome


@dataclass
class Inbound:
    """A received PDU for the dispatcher to commit; the worker waits for `done`
    and deletes the PDU from the SIM only if `stored`."""
    modem: str
    info: dict
    pdu: str
    done: threading.Event = field(default_factory=threading.Event)
    stored: bool = False


@dataclass
class HealthChanged:
    """A modem's state or health figures changed: its status row needs writing."""
    worker: object
