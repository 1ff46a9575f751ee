"""SMS keywords (what a customer texts: CX, DY, 退订…) and subscription topics
(create, subscribe or unsubscribe a number). Changes need the campaigns
permission; auditors read only."""
from appliance import phones
from appliance.db import write_transaction
from appliance.privacy import mask_mobile
from appliance.services import autoreply, subscriptions
from appliance.services.models import KEYWORD_ACTIONS, Subscription
from web.pages import N_, keyset_page, page, page_url

ACTION_LABELS = {
    "policies": N_("answer: the sender's policies"), "payments": N_("answer: premiums due"),
    "claims": N_("answer: claim progress"), "performance": N_("answer: staff performance"),
    "subscribe": N_("subscribe to a topic"), "unsubscribe": N_("unsubscribe from a topic"),
    "optout": N_("opt out of marketing"), "reply": N_("reply with a template"),
    "ticket_status": N_("answer: a ticket's state (GD + ticket number)"),
}


@page("/keywords", "view", nav=("Keywords", 74))
def keywords_page(ctx):
    return ctx.render("keywords", title=ctx._("Keywords"), rows=autoreply.listing(), actions=KEYWORD_ACTIONS,
                      labels=ACTION_LABELS)


@page("/keywords", "campaigns", method="POST")
def keyword_save(ctx):
    enabled = ctx.form("enabled", "1") == "1"
    with write_transaction():
        row = autoreply.set_keyword(ctx.form("keyword"), ctx.form("action"), ctx.form("template"), enabled)
        ctx.audit("keyword.set", f"keyword:{row.keyword}",
                  f"{row.action}{' ' + row.template_key if row.template_key else ''}, "
                  f"{'enabled' if row.enabled else 'disabled'}")
    ctx.redirect("/keywords", "ok", ctx._("Saved."))


@page("/topics", "view", nav=("Subscription topics", 75))
def topics_page(ctx):
    return ctx.render("topics", title=ctx._("Subscription topics"), rows=subscriptions.topics_listing())


@page("/topics", "campaigns", method="POST")
def topic_create(ctx):
    with write_transaction():
        topic = subscriptions.create_topic(ctx.form("code"), ctx.form("name"), ctx.form("description"))
        ctx.audit("topic.create", f"topic:{topic.code}", topic.name)
    ctx.redirect(f"/topics/{topic.code}", "ok", ctx._("Topic created."))


@page("/topics/{code}", "view")
def topic_page(ctx, code):
    topic = subscriptions.get_topic(code)
    query = Subscription.select().where(Subscription.topic == topic, Subscription.active == True)  # noqa: E712
    rows, next_before = keyset_page(query, Subscription.id, ctx.query_int("before"))
    return ctx.render("topic", title=ctx._("Topic {name}").format(name=topic.name), topic=topic, rows=rows,
                      next_url=page_url(f"/topics/{topic.code}", before=next_before) if next_before else None)


@page("/topics/{code}/subscribers", "campaigns", method="POST")
def topic_subscribe(ctx, code):
    topic = subscriptions.get_topic(code)
    number = phones.normalize(ctx.form("number"), "number")
    with write_transaction():
        if ctx.form("action") == "unsubscribe":
            changed, action = subscriptions.unsubscribe(topic, number), "topic.unsubscribe"
        else:
            changed, action = subscriptions.subscribe(topic, number, source="web"), "topic.subscribe"
        if changed:
            ctx.audit(action, f"topic:{topic.code}", mask_mobile(number))  # audit never holds a full mobile
    ctx.redirect(f"/topics/{topic.code}", "ok", ctx._("Saved.") if changed else ctx._("No change."))
