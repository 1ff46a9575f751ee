"""The confirmation step of destructive actions: the same POST, asked first.

A destructive handler calls `ask_first(ctx, question, button, back)` before acting.
Without the form field `confirmed=1` it answers with a page that states what will
happen and repeats the submitted fields in a form of its own (the CSRF token too),
so confirming sends the very same request once more, confirmed; nothing has
changed meanwhile. A person sees the question with or without JavaScript; no
handler trusts a JS confirm() alone. Registers no page of its own.
"""
from web.pages import respond

CONFIRM_FIELD = "confirmed"


def ask_first(ctx, question, button, back):
    """Return when the person confirmed; else raise the confirmation page (200)."""
    if ctx.form(CONFIRM_FIELD) == "1":
        return
    forms = ctx.request.forms.decode()  # UTF-8 values as text (see NOTES-libraries: getunicode)
    fields = [(name, value) for name, value in forms.allitems() if name not in ("csrf", CONFIRM_FIELD)]
    body = ctx.render("confirm", title=ctx._("Please confirm"), question=question, button=button, back=back,
                      action=ctx.request.path, fields=fields)
    raise respond(body, 200)
