"""The e-mail pages (a package: web/pages holds its 25 modules). outbox.py: /mail, every
mail with its state in words, and sending an interrupted one again."""
from web.pages.mail import outbox  # noqa: F401  (registers the pages)
