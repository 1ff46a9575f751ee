"""Products and premium rules on the admin page: the premium trial calculation (保费试算)
form and its result, the catalogue with each product's rate table and rider rules, and
(for those who may) adding a product, letting a rider go with a main product and
importing rate tables from CSV or XLSX.

appliance.products computes and refuses; a refusal or bad input is said on this page in
its language naming the field, the form keeping what was typed, nothing changed. A rate
file with errors lists each by line and column, and nothing of it is imported.
"""
import os
import re
import secrets

import bottle

from appliance.errors import InputError
from appliance.importer import ImportFailed
from appliance.products import catalogue, premiums, rate_import
from web.pages import N_, check_upload_size, page, respond

MAX_UPLOAD = 5 * 1024 * 1024
# The codes' words on the page (never the codes themselves).
WORDS = {"main": N_("main cover"), "rider": N_("rider cover"), "per_thousand": N_("per 1,000 yuan of sum insured"),
         "per_unit": N_("per unit"), "main_sum": N_("times the main cover's sum insured"),
         "main_premium": N_("times the main cover's premium"), "M": N_("male"), "F": N_("female")}
QUOTE_FIELDS = ("product", "age", "gender", "sum_insured", "units", "term", "pay_years")
# The fields as this page's forms label them: an error names the field the person sees.
LABELS = {"product": N_("Main product"), "age": N_("Age"), "gender": N_("Gender"),
          "sum_insured": N_("Sum insured (yuan)"), "units": N_("Units"), "term": N_("Term (years, 0 whole life)"),
          "pay_years": N_("Payment period (years, 1 single premium)"), "code": N_("Code"), "name": N_("Name"),
          "unit_amount": N_("Sum insured of a unit (yuan)"), "ivr_key": N_("Phone key (1-8, empty: not offered)"),
          "rider": N_("Rider"), "main": N_("Main product"), "limit_ratio": N_("At most")}


def render(ctx, status=200, **values):
    products = catalogue.listing()
    values.setdefault("form", {})
    body = ctx.render("products", title=ctx._("Products and premiums"), products=products,
                      mains=[p for p in products if p["kind"] == "main"],
                      riders=[p for p in products if p["kind"] == "rider" and p["sold_with"]],
                      quote=values.pop("quote", None), error=values.pop("error", None),
                      errors=values.pop("errors", []), report=values.pop("report", None), product_words=WORDS,
                      **values)
    return respond(body, status)


@page("/products", "view", nav=("Products and premiums", 62))
def products_page(ctx):
    return render(ctx)


@page("/products/quote", "view", method="POST")
def quote_form(ctx):
    form = {name: ctx.form(name) for name in QUOTE_FIELDS}
    riders = []
    for product in catalogue.listing():
        if product["kind"] == "rider":
            value = ctx.form(f"rider_{product['code']}")
            form[f"rider_{product['code']}"] = value
            if value:
                key = "units" if product["rate_basis"] == "per_unit" else "sum_insured"
                riders.append({"product": product["code"], key: value})
    try:
        quote = premiums.quote(form["product"], age=form["age"] or None, gender=form["gender"],
                               sum_insured=form["sum_insured"] or None, units=form["units"] or None,
                               term=form["term"] or None, pay_years=form["pay_years"] or None, riders=riders)
    except InputError as exc:
        return render(ctx, exc.http_status, form=form, error=error_text(ctx, exc, riders))
    return render(ctx, form=form, quote=quote)


def error_text(ctx, exc, riders=()):
    """The error naming the field by its label on this page ('riders[0].units': the rider's
    name and Units), in the page's language."""
    field = exc.field or ""
    label = ctx._(LABELS[field]) if field in LABELS else field
    rider = re.fullmatch(r"riders\[(\d+)\]\.(\w+)", field)
    if rider and int(rider.group(1)) < len(riders):
        names = {p["code"]: p["name"] for p in catalogue.listing()}
        code = riders[int(rider.group(1))]["product"]
        label = f"{names.get(code, code)} · {ctx._(LABELS.get(rider.group(2), rider.group(2)))}"
    if getattr(exc, "msgid", None):
        exc.values = {**exc.values, "field": label}
    return ctx.error_text(exc)


@page("/products", "settings", method="POST")
def product_save(ctx):
    form = {name: ctx.form(name) for name in ("code", "name", "kind", "rate_basis", "unit_amount", "ivr_key")}
    try:
        product, created = catalogue.save_product(
            form["code"], form["name"], kind=form["kind"] or "main", rate_basis=form["rate_basis"] or "per_thousand",
            unit_amount=form["unit_amount"] or "1000", ivr_key=form["ivr_key"], actor=ctx.user.username,
            source=ctx.source)
    except InputError as exc:
        return render(ctx, exc.http_status, product_form=form, error=error_text(ctx, exc))
    ctx.redirect("/products", "ok", ctx._("Product {code} saved.").format(code=product.code))


@page("/products/riders", "settings", method="POST")
def rider_rule(ctx):
    form = {name: ctx.form(name) for name in ("rider", "main", "limit_basis", "limit_ratio")}
    try:
        catalogue.set_rider_rule(form["rider"], form["main"], form["limit_basis"], form["limit_ratio"],
                                 actor=ctx.user.username, source=ctx.source)
    except InputError as exc:
        return render(ctx, exc.http_status, rider_form=form, error=error_text(ctx, exc))
    ctx.redirect("/products", "ok", ctx._("Rider {rider} may go with {main}.").format(**form))


@page("/products/rates", "import", method="POST")
def rates_upload(ctx):
    upload = bottle.request.files.get("file")
    if upload is None or not upload.raw_filename:
        return render(ctx, 400, error=ctx.error_text(InputError.of(N_("{field}: choose a file"), field="file")))
    name = os.path.basename(upload.raw_filename)
    if os.path.splitext(name)[1].lower() not in (".csv", ".xlsx"):
        return render(ctx, 400, error=ctx.error_text(InputError.of(N_("{field}: {name}: only .csv and .xlsx files"),
                                                                   field="file", name=name)))
    folder = ctx.config.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{secrets.token_hex(4)}-{name}"  # the reader goes by the suffix: keep the name
    try:
        upload.save(str(path))
        check_upload_size(path.stat().st_size, MAX_UPLOAD)
        report = rate_import.import_rates(path, actor=ctx.user.username, source=ctx.source, file_name=name)
    except ImportFailed as exc:
        return render(ctx, 400, errors=exc.errors, error=ctx._(
            "Nothing was imported: the file has errors. Fix them and upload it again."))
    except InputError as exc:
        return render(ctx, 400, error=ctx.error_text(exc))
    finally:
        path.unlink(missing_ok=True)
    return render(ctx, report=report)
