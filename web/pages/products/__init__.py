"""The products' pages (a package: web/pages holds its 25 modules). premium_rules.py: the
premium trial calculation, the catalogue, rider rules and rate table imports."""
from web.pages.products import premium_rules  # noqa: F401  (registers the pages)
