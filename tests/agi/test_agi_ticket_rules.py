"""A ticket opened in the IVR follows the box's configured service levels and routing
(the session's configuration reaches open_ticket), through the fake Asterisk peer."""
import datetime

from agi.asterisk_peer import FakeAsterisk, hang_up, press
from appliance.tickets import departments, lifecycle
from appliance.tickets.models import Ticket


def test_an_ivr_callback_is_due_and_routed_by_the_configuration(start_server, ivr_config):
    departments.add("回访组")
    server = start_server(ivr_config.replace(tickets__sla=["callback=1.5h"], tickets__departments=["callback=回访组"]))
    FakeAsterisk(server.address, [press("menu_main", "5"), press("menu_service_request", "1"),
                                  press("callback_confirm", "1"), hang_up("menu_main")], callerid="13912345678").run()
    ticket = Ticket.get()
    assert (ticket.kind, ticket.status, ticket.department.name) == ("callback", "assigned", "回访组")
    assert ticket.due_at == ticket.created_at + datetime.timedelta(hours=1.5)
    assert [e.action for e in lifecycle.history(ticket)] == ["opened", "assigned"]
