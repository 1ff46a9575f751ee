"""The opt-out list (退订: no marketing) and the do-not-disturb list (nothing
but service notices). Changes need the contacts permission; numbers are
masked for roles that do not see mobiles."""
from appliance import phones
from appliance.db import write_transaction
from appliance.errors import InputError
from appliance.privacy import mask_mobile
from appliance.services import optout
from appliance.services.models import OPTOUT_KINDS, OptOut
from web.pages import N_, keyset_page, page, page_url
from web.pages.confirm import ask_first

REMOVE_QUESTION = N_("Remove {number} from the list “{kind}”? Messages it kept away may reach this number again.")
KIND_LABELS = {"optout": N_("opted out (no marketing)"), "dnd": N_("do not disturb (service notices only)")}


@page("/optouts", "view", nav=("Opt-outs and do-not-disturb", 76))
def optouts_page(ctx):
    kind = ctx.query("kind")
    query = OptOut.select()
    if kind:
        if kind not in OPTOUT_KINDS:
            raise InputError.of(N_("{field}: unknown"), field="kind")
        query = query.where(OptOut.kind == kind)
    rows, next_before = keyset_page(query, OptOut.id, ctx.query_int("before"))
    return ctx.render("optouts", title=ctx._("Opt-outs and do-not-disturb"), rows=rows, kind=kind,
                      kinds=OPTOUT_KINDS, labels=KIND_LABELS,
                      next_url=page_url("/optouts", kind=kind, before=next_before) if next_before else None)


@page("/optouts", "contacts", method="POST")
def optout_change(ctx):
    number, kind = phones.normalize(ctx.form("number"), "number"), ctx.form("kind")
    if ctx.form("action") == "remove":
        shown_kind = ctx._(KIND_LABELS.get(kind, kind))
        ask_first(ctx, ctx._(REMOVE_QUESTION).format(number=ctx.mobile(number), kind=shown_kind),
                  ctx._("Remove"), page_url("/optouts", kind=kind))
    with write_transaction():
        if ctx.form("action") == "remove":
            changed, action = optout.remove(number, kind), "optout.remove"
        else:
            changed, action = optout.add(number, kind, ctx.form("reason"), source="web"), "optout.add"
        if changed:
            # The audit log never holds a full mobile.
            ctx.audit(action, f"{kind}:{mask_mobile(number)}", ctx.form("reason"))
    ctx.redirect(page_url("/optouts", kind=kind), "ok", ctx._("Saved.") if changed else ctx._("No change."))
