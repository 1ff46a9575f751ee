"""Staff and policies: search, view, edit. Groups: list, create, members. The helpers
every contact page shares (get_or_404, search_page, save_form); customers are in
web/pages/customers.py."""
import datetime

from appliance.db import write_transaction
from appliance.errors import N_, InputError, NotFound
from appliance.ivr import staff_access
from appliance.models import (
    POLICY_STATUSES,
    STAFF_STATUSES,
    ContactGroup,
    Customer,
    GroupMember,
    Policy,
    Product,
    Staff,
)
from appliance.privacy import mask_email, mask_id_number, mask_mobile
from web.pages import keyset_page, page, page_url, respond

NOUNS = {Customer: "customer", Staff: "staff", Policy: "policy", ContactGroup: "group"}


def get_or_404(model, record_id):
    """The record with that id, or NotFound ('customer: no customer 7')."""
    record = model.get_or_none(model.id == record_id)
    if record is None:
        name = NOUNS[model]
        raise NotFound.of(N_("{field}: no {name} {record_id}"), field=name, name=name, record_id=record_id)
    return record


def search_page(ctx, path, template, title, search, id_field):
    """A list page: rows the search term (?q=) finds, newest first, a page at a
    time after the ?before= cursor (no count of the whole table)."""
    term = ctx.query("q")
    rows, next_before = keyset_page(search(term), id_field, ctx.query_int("before"))
    return ctx.render(template, title=title, rows=rows, q=term,
                      next_url=page_url(path, q=term, before=next_before) if next_before else None)


def save_form(ctx, obj, fields, apply, action, target, show_error, saved_url):
    """Apply a form to a record (apply may raise InputError), save it and audit
    what changed (personal data masked) in one transaction; then back to
    saved_url with 'Saved.', or the form again with the error (400)."""
    before = {f: getattr(obj, f) for f in fields}
    try:
        apply(obj)
        with write_transaction():
            obj.save()
            ctx.audit(action, target, describe_changes(before, {f: getattr(obj, f) for f in fields}))
    except InputError as exc:
        return show_error(ctx.error_text(exc))
    ctx.redirect(saved_url, "ok", ctx._("Saved."))


def describe_changes(before, after):
    """'mobile +86138****5678 -> +86139****1234, region …' with personal data masked."""
    masks = {"mobile": mask_mobile, "id_number": mask_id_number, "email": mask_email}
    parts = []
    for name, old in before.items():
        new = after[name]
        if old != new:
            mask = masks.get(name, lambda v: v)
            parts.append(f"{name} {mask(old) if old else '-'} -> {mask(new) if new else '-'}")
    return ", ".join(parts) or "no change"


# --- staff ---------------------------------------------------------------------------

def search_staff(term):
    """Staff whose name or department starts with the term, or with that badge number."""
    query = Staff.select()
    if term:
        query = query.where(Staff.name.startswith(term) | (Staff.badge_no == term) | Staff.department.startswith(term))
    return query


@page("/staff", "view", nav=("Staff", 55))
def staff_list(ctx):
    return search_page(ctx, "/staff", "staff", ctx._("Staff"), search_staff, Staff.id)


@page("/staff/{staff_id:int}", "view")
def staff(ctx, staff_id, error=None, status=200):
    s = get_or_404(Staff, staff_id)
    body = ctx.render("staff_one", title=s.name, s=s, statuses=STAFF_STATUSES, error=error,
                      pin=staff_access.pin_state(s))
    return respond(body, status)


STAFF_TEXTS = ("name", "mobile", "department", "branch", "status")
STAFF_FIELDS = STAFF_TEXTS + ("greetings_opt_out",)


@page("/staff/{staff_id:int}", "contacts", method="POST")
def staff_save(ctx, staff_id):
    def apply(s):
        for f in STAFF_TEXTS:
            setattr(s, f, ctx.form(f) or (None if f == "mobile" else ""))
        s.greetings_opt_out = ctx.form("greetings_opt_out") == "1"
        if not (s.name or "").strip():
            raise InputError.of(N_("{field}: empty"), field="name")
    s = get_or_404(Staff, staff_id)
    return save_form(ctx, s, STAFF_FIELDS, apply, "staff.update", f"staff:{s.id}",
                     lambda error: staff(ctx, staff_id, error=error, status=400), f"/staff/{s.id}")


@page("/staff/{staff_id:int}/unlock", "users", method="POST")
def staff_unlock(ctx, staff_id):
    """Lift the staff line PIN's lockout (admins: it is as much a key as a password)."""
    s = get_or_404(Staff, staff_id)
    staff_access.unlock(s, ctx.user.username, ctx.source)
    ctx.redirect(f"/staff/{s.id}", "ok", ctx._("The staff line PIN is unlocked."))


# --- policies ---------------------------------------------------------------------------

@page("/policies", "view", nav=("Policies", 60))
def policies(ctx):
    term = ctx.query("q")
    status = ctx.query("status")
    query = Policy.select(Policy, Product, Customer).join(Product).switch(Policy).join(
        Customer, on=(Policy.holder == Customer.id))
    if term:
        query = query.where((Policy.policy_no == term) | Customer.name.startswith(term))
    if status:
        if status not in POLICY_STATUSES:
            raise InputError.of(N_("{field}: unknown"), field="status")
        query = query.where(Policy.status == status)
    rows, next_before = keyset_page(query, Policy.id, ctx.query_int("before"))
    return ctx.render("policies", title=ctx._("Policies"), rows=rows, q=term, status=status,
                      statuses=POLICY_STATUSES,
                      next_url=page_url("/policies", q=term, status=status, before=next_before)
                      if next_before else None)


@page("/policies/{policy_id:int}", "view")
def policy(ctx, policy_id, error=None, status=200):
    p = get_or_404(Policy, policy_id)
    body = ctx.render("policy", title=p.policy_no, p=p, statuses=POLICY_STATUSES, error=error)
    return respond(body, status)


@page("/policies/{policy_id:int}", "contacts", method="POST")
def policy_save(ctx, policy_id):
    def apply(p):
        status = ctx.form("status")
        if status not in POLICY_STATUSES:
            raise InputError.of(N_("{field}: must be one of {choices}"),
                                field="status", choices=', '.join(POLICY_STATUSES))
        due = ctx.form("next_due_date")
        try:
            p.next_due_date = datetime.date.fromisoformat(due) if due else None
        except ValueError:
            raise InputError.of(N_("{field}: '{due}' is not a date (YYYY-MM-DD)"), field="next_due_date", due=due) from None
        p.status = status
    p = get_or_404(Policy, policy_id)
    return save_form(ctx, p, ("status", "next_due_date"), apply, "policy.update", f"policy:{p.policy_no}",
                     lambda error: policy(ctx, policy_id, error=error, status=400), f"/policies/{p.id}")


# --- groups ---------------------------------------------------------------------------

@page("/groups", "view", nav=("Groups", 65))
def groups_page(ctx):
    rows = list(ContactGroup.select().order_by(ContactGroup.name))
    counts = {}
    for g in rows:
        if not g.rule:
            counts[g.id] = GroupMember.select().where(GroupMember.group == g).count()
    return ctx.render("groups", title=ctx._("Groups"), rows=rows, counts=counts)


@page("/groups", "contacts", method="POST")
def group_create(ctx):
    from appliance import groups
    try:
        group = groups.create(ctx.form("name"), ctx.form("kind"), ctx.form("rule"), ctx.form("rule_value"),
                              ctx.form("description"))
    except InputError as exc:
        ctx.redirect("/groups", "error", ctx.error_text(exc))
    ctx.audit("group.create", f"group:{group.name}", f"{group.kind} {group.rule}={group.rule_value}")
    ctx.redirect(f"/groups/{group.id}", "ok", ctx._("Group created."))


@page("/groups/{group_id:int}", "view")
def group(ctx, group_id):
    from appliance import groups
    g = get_or_404(ContactGroup, group_id)
    members = groups.recipients(g)
    return ctx.render("group", title=g.name, g=g, members=members[:200], total=len(members))


@page("/groups/{group_id:int}/members", "contacts", method="POST")
def group_members(ctx, group_id):
    from appliance import groups
    g = get_or_404(ContactGroup, group_id)
    keys = [k for k in (ctx.form("keys") or "").replace("，", ",").replace("\n", ",").split(",") if k.strip()]
    action = ctx.form("action")
    try:
        if action == "remove":
            groups.remove_members(g, [k.strip() for k in keys])
        else:
            groups.add_members(g, [k.strip() for k in keys])
    except InputError as exc:
        ctx.redirect(f"/groups/{g.id}", "error", ctx.error_text(exc))
    ctx.audit(f"group.{'remove' if action == 'remove' else 'add'}", f"group:{g.name}", f"{len(keys)} member(s)")
    ctx.redirect(f"/groups/{g.id}", "ok", ctx._("Saved."))
