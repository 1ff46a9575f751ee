"""Common phrases (常用短语) by category, for admins composing messages."""
from appliance.errors import N_, InputError, NotFound
from appliance.services.models import Phrase


def add(category, text):
    if not (category or "").strip():
        raise InputError.of(N_("{field}: empty"), field="category")
    if not (text or "").strip():
        raise InputError.of(N_("{field}: empty"), field="text")
    return Phrase.create(category=category.strip(), text=text.strip())


def remove(phrase_id):
    if not Phrase.delete().where(Phrase.id == phrase_id).execute():
        raise NotFound.of(N_("{field}: no phrase {phrase_id}"), field="phrase", phrase_id=phrase_id)


def listing(category=None):
    query = Phrase.select().order_by(Phrase.category, Phrase.id)
    if category:
        query = query.where(Phrase.category == category)
    return [{"id": p.id, "category": p.category, "text": p.text} for p in query]
