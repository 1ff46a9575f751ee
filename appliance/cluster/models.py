"""Tables of several boxes on one database: the leases of the singletons (leadership.py)
and each box's heartbeat (boxes.py).

Each box's smsd beats its `box` row every few seconds (appliance.cluster.boxes.beat). A box
whose beat is older than `box.heartbeat_timeout` is taken for dead: the others mark the parts
it was submitting `unknown` (appliance.sms.delivery.recover_dead_boxes) and send its queued
work, which no box owns. The row stays: `modem list` and doctor show the box as silent.
"""
from peewee import CharField, DateTimeField, IntegerField

from appliance import clock
from appliance.db import BaseModel


class Lease(BaseModel):
    """Who may do one singleton's work (the daily notice run, schedule firing…) until when.
    `token` grows by one at every taking: the fencing token a holder's writes check."""
    name = CharField(primary_key=True)
    holder = CharField(default="")            # "BOX:PID"; empty: free
    token = IntegerField(default=0)
    taken_at = DateTimeField(null=True)
    expires_at = DateTimeField(null=True)

    class Meta:
        table_name = "lease"


class Box(BaseModel):
    """One box (box.name) and its smsd's heartbeat."""
    name = CharField(unique=True)
    started_at = DateTimeField(default=clock.now)  # when its smsd last started
    last_beat = DateTimeField(default=clock.now, index=True)
    version = CharField(default="")                # the firmware it runs
