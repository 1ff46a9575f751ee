"""`appliance products …` (registered through the appliance.commands entry point
`products`): list the catalogue, add or change a product's premium settings, let a rider
go with a main product, import rate tables, and the premium trial calculation (保费试算).
Bad input exits 2 with one line naming the field."""
from appliance.cli import ArgumentParser, add_command, print_json
from appliance.errors import InputError

ACTOR = "cli"
LIST_COLUMNS = ("code", "kind", "rate_basis", "unit_amount", "ivr_key", "rates", "name")


def cmd_list(args, config):
    from appliance.products import catalogue
    rows = catalogue.listing()
    if args.json:
        print_json(rows)
        return 0
    print("\t".join(LIST_COLUMNS + ("sold_with",)))
    for row in rows:
        rules = ", ".join(f"{r['main']} ({r['limit_basis']} × {r['limit_ratio']})" for r in row["sold_with"])
        print("\t".join(str(row[c]) for c in LIST_COLUMNS) + "\t" + rules)
    return 0


def cmd_add(args, config):
    from appliance.products import catalogue
    product, created = catalogue.save_product(args.code, args.name, kind=args.kind, rate_basis=args.basis,
                                              unit_amount=args.unit, ivr_key=args.ivr_key, actor=ACTOR,
                                              source="cli")
    print(f"{'added' if created else 'changed'} {product.code}")
    return 0


def cmd_rider(args, config):
    from appliance.products import catalogue
    catalogue.set_rider_rule(args.rider, args.main, args.limit_basis, args.limit_ratio, actor=ACTOR, source="cli")
    print(f"{args.rider} may go with {args.main}: at most {args.limit_ratio} × the main's "
          f"{'sum insured' if args.limit_basis == 'main_sum' else 'premium'}")
    return 0


def cmd_import(args, config):
    from appliance.products import rate_import
    report = rate_import.import_rates(args.file, actor=ACTOR, source="cli")
    if args.json:
        print_json(report)
    else:
        print(f"{report['file']}: {report['rows']} rates for "
              + ", ".join(f"{code} ({n})" for code, n in report["products"].items()))
    return 0


def riders_of(args):
    riders = []
    for text, key in [(t, "sum_insured") for t in args.rider or ()] + [(t, "units") for t in args.rider_units or ()]:
        code, sep, value = text.partition("=")
        if not sep:
            raise InputError(f"rider: {text!r} must be CODE=AMOUNT (--rider) or CODE=UNITS (--rider-units)",
                             field="rider")
        riders.append({"product": code.strip(), key: value.strip()})
    return riders


def cmd_quote(args, config):
    from appliance.products import premiums
    quote = premiums.quote(args.product, age=args.age, gender=args.gender or "", sum_insured=args.sum_insured,
                           units=args.units, term=args.term, pay_years=args.pay_years, riders=riders_of(args))
    if args.json:
        print_json(quote.as_dict())
        return 0
    print("\t".join(("product", "kind", "sum_insured", "units", "rate", "premium")))
    for line in quote.lines:
        print("\t".join(str(v) for v in (line.code, line.kind, line.sum_insured, line.units or "", line.rate,
                                         line.premium)))
    print(f"total\t\t\t\t\t{quote.total}")
    return 0


def register(sub):
    parser = add_command(sub, "products", None, "products and premium rules: catalogue, rate tables, quotes",
                         needs_db=False)
    psub = parser.add_subparsers(dest="products_command", metavar="ACTION", parser_class=ArgumentParser,
                                 required=True)
    listing = add_command(psub, "list", cmd_list, "list the products with their rate tables and rider rules")
    listing.add_argument("--json", action="store_true")

    add = add_command(psub, "add", cmd_add, "add a product or change its premium settings")
    add.add_argument("code")
    add.add_argument("name")
    add.add_argument("--kind", choices=("main", "rider"), default="main")
    add.add_argument("--basis", choices=("per_thousand", "per_unit"), default="per_thousand",
                     help="rates per 1,000 yuan of sum insured (default) or per unit")
    add.add_argument("--unit", default="1000", help="sum insured of one unit in yuan (per_unit; default 1000)")
    add.add_argument("--ivr-key", default="", help="the key (1-8) a caller presses for it on the phone")

    rider = add_command(psub, "rider", cmd_rider, "let a rider be sold with a main product, up to a limit")
    rider.add_argument("rider")
    rider.add_argument("main")
    rider.add_argument("--limit-basis", choices=("main_sum", "main_premium"), default="main_sum",
                       help="the limit is a multiple of the main's sum insured (default) or of its premium")
    rider.add_argument("--limit-ratio", required=True, help="the multiple, e.g. 0.5")

    imp = add_command(psub, "import-rates", cmd_import,
                      "import rate tables from CSV or XLSX (all or nothing; each product's table replaced)")
    imp.add_argument("file")
    imp.add_argument("--json", action="store_true")

    quote = add_command(psub, "quote", cmd_quote, "premium trial calculation (保费试算), exact to the fen")
    quote.add_argument("product", help="the main product's code")
    quote.add_argument("--age", required=True, help="age at entry")
    quote.add_argument("--gender", help="M or F (when the rates differ)")
    quote.add_argument("--sum", dest="sum_insured", help="sum insured in yuan")
    quote.add_argument("--units", help="units (per-unit products)")
    quote.add_argument("--term", help="term in years (0: whole life), when the table has several")
    quote.add_argument("--pay-years", help="payment period in years (1: single premium), when several")
    quote.add_argument("--rider", action="append", metavar="CODE=AMOUNT", help="a rider with its sum insured")
    quote.add_argument("--rider-units", action="append", metavar="CODE=UNITS", help="a per-unit rider's units")
    quote.add_argument("--json", action="store_true", help="the quote as JSON (amounts as strings)")
