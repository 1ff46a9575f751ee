"""API routes of the products and premium rules: the catalogue (/api/v1/products) and the
premium trial calculation (POST /api/v1/products/quote). appliance.products computes;
these routes only translate. Amounts are strings in yuan both ways, so no client turns
them into floats; a refusal (rider over its limit, age not in the table) is a 409."""
from appliance.products import catalogue, premiums
from web.api import api_route

CODE_PATTERN = "^[A-Za-z0-9_.-]{1,64}$"  # product codes as core systems write them
AMOUNT = {"type": ["string", "integer"], "maxLength": 20, "minimum": 1, "maximum": 10 ** 12 - 1,
          "description": "yuan, as a string (\"200000\", \"1250.50\") or a whole number"}
COUNT = {"type": "integer", "minimum": 1, "maximum": 1000000}
RIDER = {"type": "object", "required": ["product"], "additionalProperties": False,
         "properties": {"product": {"type": "string", "pattern": CODE_PATTERN},
                        "sum_insured": AMOUNT, "units": COUNT}}
QUOTE_BODY = {
    "type": "object", "required": ["product", "age"], "additionalProperties": False,
    "properties": {
        "product": {"type": "string", "pattern": CODE_PATTERN,
                    "description": "the main product's code"},
        "age": {"type": "integer", "minimum": 0, "maximum": 120, "description": "age at entry"},
        "gender": {"type": "string", "enum": ["M", "F", ""], "description": "when the rates differ"},
        "sum_insured": AMOUNT, "units": COUNT,
        "term": {"type": "integer", "minimum": 0, "maximum": 200,
                 "description": "years, 0 whole life; needed when the table has several for this age"},
        "pay_years": {"type": "integer", "minimum": 1, "maximum": 200,
                      "description": "years, 1 single premium; needed when the table has several"},
        "riders": {"type": "array", "maxItems": 20, "items": RIDER}}}
REFUSED = ("a sum insured that is not an amount in yuan above 0 (at most 2 decimals), or missing, or not whole "
           "units of a per-unit product", "gender missing where the rates differ for men and women",
           "term or pay_years missing where the table has several for this age", "a rider given twice")
MONEY = {"type": "string", "pattern": r"^\d+\.\d{2}$"}
LINE = {"type": "object", "properties": {
    "code": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string", "enum": ["main", "rider"]},
    "sum_insured": MONEY, "units": {"type": ["integer", "null"]}, "rate": {"type": "string"},
    "rate_basis": {"type": "string", "enum": ["per_thousand", "per_unit"]}, "premium": MONEY,
    "limit": {"type": ["string", "null"], "description": "a rider's largest sum insured with this main cover"}}}
QUOTE = {"type": "object", "properties": {
    "age": {"type": "integer"}, "gender": {"type": "string"}, "term": {"type": "integer"},
    "pay_years": {"type": "integer"}, "lines": {"type": "array", "items": LINE}, "total": MONEY}}
PRODUCT = {"type": "object", "properties": {
    "code": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"},
    "rate_basis": {"type": "string"}, "unit_amount": {"type": "string"}, "ivr_key": {"type": "string"},
    "rates": {"type": "integer"}, "sold_with": {"type": "array", "items": {"type": "object"}}}}


@api_route("GET", "/products", "The products with their rate tables' size and rider rules", tags=["products"],
           response={"type": "array", "items": PRODUCT})
def list_products(call):
    return catalogue.listing()


@api_route("POST", "/products/quote", "Premium trial calculation (保费试算) of a main cover and its riders",
           tags=["products"], body=QUOTE_BODY, response=QUOTE,
           description="Each line's premium is rate × sum insured / 1000 (or rate × units), rounded half up "
                       "to the fen. Riders go with the main product only within their rule's limit.",
           refusals=REFUSED)
def quote_premium(call):
    body = call.body
    quote = premiums.quote(body["product"], age=body["age"], gender=body.get("gender", ""),
                           sum_insured=body.get("sum_insured"), units=body.get("units"), term=body.get("term"),
                           pay_years=body.get("pay_years"), riders=body.get("riders") or ())
    return quote.as_dict()
