"""Tables of several boxes on one database: the leases of the singletons (leadership.py)."""
from peewee import CharField, DateTimeField, IntegerField

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
