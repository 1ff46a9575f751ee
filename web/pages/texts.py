"""SMS templates (edit, reset to the default) and common phrases (add, delete).

Everyone may read them; changing them needs the campaigns permission (auditors
read only). The domain (appliance.services.templates, appliance.services.phrases) checks the input.
Resetting a template and deleting a phrase lose text: both ask first (web/pages/confirm.py)."""
from appliance.db import write_transaction
from appliance.errors import NotFound
from appliance.services import phrases, templates
from appliance.services.models import Phrase
from appliance.sms.models import CATEGORIES
from web.pages import N_, page
from web.pages.confirm import ask_first

RESET_QUESTION = N_("Reset the {language} text of the template “{key}” to the default? The edited text is lost.")
DELETE_QUESTION = N_("Delete the common phrase “{text}”? It can no longer be inserted into messages.")
LANGUAGE_NAMES = {"zh": N_("Chinese"), "en": N_("English")}


@page("/templates", "view", nav=("Templates", 72))
def templates_page(ctx):
    return ctx.render("templates", title=ctx._("Templates"), rows=templates.listing(), categories=CATEGORIES)


@page("/templates", "campaigns", method="POST")
def template_save(ctx):
    key, language = ctx.form("key"), ctx.form("language") or "zh"
    with write_transaction():
        templates.put(key, language, ctx.form("text"), category=ctx.form("category") or None,
                      title=ctx.form("title"), user=ctx.user.username)
        ctx.audit("template.update", f"template:{key}/{language}", ctx.form("text")[:200])
    ctx.redirect("/templates", "ok", ctx._("Saved."))


@page("/templates/reset", "campaigns", method="POST")
def template_reset(ctx):
    key, language = ctx.form("key"), ctx.form("language") or "zh"
    templates.check_language(language)
    ask_first(ctx, ctx._(RESET_QUESTION).format(language=ctx._(LANGUAGE_NAMES[language]), key=key),
              ctx._("Reset to the default"), "/templates")
    with write_transaction():
        if templates.reset(key, language):
            ctx.audit("template.reset", f"template:{key}/{language}", "back to the default")
    ctx.redirect("/templates", "ok", ctx._("Template reset to the default."))


@page("/phrases", "view", nav=("Common phrases", 73))
def phrases_page(ctx):
    category = ctx.query("category")
    return ctx.render("phrases", title=ctx._("Common phrases"), rows=phrases.listing(category or None),
                      category=category)


@page("/phrases", "campaigns", method="POST")
def phrase_add(ctx):
    with write_transaction():
        phrase = phrases.add(ctx.form("category"), ctx.form("text"))
        ctx.audit("phrase.add", f"phrase:{phrase.id}", f"{phrase.category}: {phrase.text[:200]}")
    ctx.redirect("/phrases", "ok", ctx._("Phrase added."))


@page("/phrases/{phrase_id:int}/delete", "campaigns", method="POST")
def phrase_delete(ctx, phrase_id):
    phrase = Phrase.get_or_none(Phrase.id == phrase_id)
    if phrase is None:
        raise NotFound.of(N_("{field}: no phrase {phrase_id}"), field="phrase", phrase_id=phrase_id)
    ask_first(ctx, ctx._(DELETE_QUESTION).format(text=phrase.text), ctx._("Delete"), "/phrases")
    with write_transaction():
        phrases.remove(phrase_id)
        ctx.audit("phrase.delete", f"phrase:{phrase_id}")
    ctx.redirect("/phrases", "ok", ctx._("Phrase deleted."))
