"""Departments that handle tickets, each with a head told of overdue ones (escalation.py)."""
from appliance.db import retry_writes, write_transaction
from appliance.errors import N_, InputError, NotFound, Refused
from appliance.models import Staff, audit
from appliance.tickets import sla
from appliance.tickets.models import Department, Ticket


def listing():
    """[{id, name, head, head_badge, open}] by name: the head's name and how many open tickets it has."""
    rows = []
    for department in Department.select().order_by(Department.name):
        head = department.head if department.head_id else None
        rows.append({"id": department.id, "name": department.name, "head": head.name if head else "",
                     "head_badge": head.badge_no if head else "", "open": _open_count(department)})
    return rows


def get(name):
    department = Department.get_or_none(Department.name == str(name).strip())
    if department is None:
        raise NotFound.of(N_("{field}: no department {name}"), field="department", name=name)
    return department


@retry_writes
def add(name, head=None, *, actor="", source=""):
    """A new department; `head` a staff badge number (or None)."""
    name = str(name or "").strip()
    if not name or len(name) > 64:
        raise InputError.of(N_("{field}: 1 to 64 characters"), field="name")
    staff = _staff(head) if head else None
    with write_transaction():
        if Department.select().where(Department.name == name).exists():
            raise Refused.of(N_("{field}: department {name} exists already"), field="name", name=name)
        department = Department.create(name=name, head=staff)
        audit(actor or "system", "tickets.department.add", name, staff.badge_no if staff else "", source)
    return department


@retry_writes
def set_head(name, head, *, actor="", source=""):
    """Make staff member `head` (badge number) the department's head."""
    staff = _staff(head)
    with write_transaction():
        department = get(name)
        department.head = staff
        department.save()
        audit(actor or "system", "tickets.department.head", department.name, staff.badge_no, source)
    return department


@retry_writes
def remove(name, *, actor="", source=""):
    """Remove a department that has no open tickets (its closed ones keep their history)."""
    with write_transaction():
        department = get(name)
        if _open_count(department):
            raise Refused.of(N_("{field}: department {name} still has open tickets; assign them elsewhere first"),
                             field="department", name=department.name)
        department.delete_instance()
        audit(actor or "system", "tickets.department.remove", department.name, "", source)


def _open_count(department):
    return Ticket.select().where(Ticket.department == department, Ticket.status.in_(sla.OPEN_STATUSES)).count()


def _staff(badge):
    staff = Staff.get_or_none(Staff.badge_no == str(badge).strip())
    if staff is None:
        raise InputError.of(N_("{field}: no staff member with badge number {badge}"), field="head", badge=badge)
    return staff
