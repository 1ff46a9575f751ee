"""The JSON API under /api/v1/: one route table that both registers the Bottle
routes and writes the OpenAPI document, so the document always matches what the
server does.

Every module of this package (web/api/*.py) is imported when the app is built; it adds its routes with the decorator, without editing this
file:

    from web.api import api_route, param

    @api_route("GET", "/customers/{customer_id}", "One customer",
               permission="view", tags=["customers"],
               params=[param("customer_id", "path", {"type": "integer"})],
               response={"type": "object"})
    def get_customer(call, customer_id):
        ...                     # call.token, call.actor, call.role, call.source, call.query,
                                # call.body, call.config (the appliance Config)
        return {...}            # JSON-serialisable; or ApiResponse(201, data)

Paths are written OpenAPI-style (`{name}`) relative to /api/v1. Path and query
parameters are converted and checked against their schema (integer, number,
boolean, string with enum/maxLength/pattern); a JSON body against `body` (a small
JSON Schema subset, see check_schema). Raise appliance.errors.InputError (400),
NotFound (404) or ApiError(status, message) for other 4xx; the client gets
{"error": {"status": N, "message": "...", "field": "..."}}.
Permissions are those of appliance.users.PERMISSIONS, checked against the token's role.
"""
import datetime
import decimal
import importlib
import json
import logging
import math
import pkgutil
import re
from dataclasses import dataclass, field

import bottle

from appliance import clock, db as dbmod
from appliance.errors import ApplianceError, InputError
from appliance.tokens import check_token
from appliance.users import PERMISSIONS, can

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
VERSION = "1.0.0"
MAX_BODY = 2 * 1024 * 1024


@dataclass
class Param:
    name: str
    location: str  # "path" or "query"
    schema: dict
    required: bool = False
    description: str = ""


def param(name, location="query", schema=None, required=None, description=""):
    """A path or query parameter; path parameters are always required. Integers
    are 64-bit: the document says so and convert_param refuses the others."""
    schema = dict(schema or {"type": "string"})
    if schema.get("type") == "integer":
        schema.setdefault("minimum", -2 ** 63)
        schema.setdefault("maximum", 2 ** 63 - 1)
    return Param(name, location, schema, location == "path" if required is None else required, description)


@dataclass
class ApiRoute:
    method: str
    path: str
    summary: str
    handler: object
    permission: str = "view"
    params: list = field(default_factory=list)
    body: dict = None
    response: dict = None
    status: int = 200
    tags: list = field(default_factory=list)
    description: str = ""
    also: tuple = ()  # other success statuses the handler answers (an upsert: 201 created, 200 updated)
    refusals: tuple = ()  # the 400s of rules JSON Schema cannot state (named in the 400's description)
    media: str = "application/json"  # what a success answers with (a CSV export: text/csv)

    @property
    def bottle_path(self):
        # Every path parameter is taken as text and converted by convert_param, so a
        # bad one (letters, an integer past 64 bits) is a JSON 400 naming it.
        return PREFIX + re.sub(r"\{(\w+)\}", r"<\1>", self.path)

    @property
    def operation_id(self):
        return self.handler.__name__


ROUTES = []


def api_route(method, path, summary, *, permission="view", params=(), body=None, response=None,
              status=200, tags=(), description="", also=(), refusals=(), media="application/json"):
    """Register an API route (see the module docstring). Returns the function unchanged."""
    method = method.upper()
    if permission not in set().union(*PERMISSIONS.values()):
        raise ValueError(f"unknown permission {permission!r}")

    def register(handler):
        for existing in ROUTES:
            if existing.method == method and existing.path == path:
                if existing.handler is handler or existing.operation_id == handler.__name__:
                    return handler  # the same module imported twice
                raise ValueError(f"API route {method} {path} is registered twice")
        ROUTES.append(ApiRoute(method, path, summary, handler, permission, list(params), body, response,
                               status, list(tags), description, tuple(also), tuple(refusals), media))
        return handler
    return register


class ApiError(ApplianceError):
    def __init__(self, status, message, field=None):
        super().__init__(message)
        self.http_status = status
        self.field = field


@dataclass
class ApiResponse:
    status: int
    data: object


class ApiCall:
    """What a handler gets about the request."""

    def __init__(self, token, query, body, source, config=None):
        self.config = config  # the running server's appliance Config
        self.token = token
        self.actor = f"api:{token.name}"
        self.role = token.role
        self.query = query
        self.body = body
        self.source = source


# --- checking values against schemas -----------------------------------------------------

def check_schema(value, schema, where):
    """Check `value` against a JSON Schema subset: type, properties, required,
    additionalProperties (false or a schema), items, enum, minLength/maxLength, pattern,
    minimum/maximum, maxItems. Raises InputError naming `where`.

    Hand-written because the subset is small and the jsonschema package would add
    four dependencies (one compiled) to the box for it.
    """
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    if value is None:
        if "null" in kinds or schema.get("nullable"):
            return None
        if kinds:
            raise InputError(f"{where}: must not be null", field=where)
        return None
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        # 5.0 is an integer to JSON Schema as well
        "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)
                              or isinstance(v, float) and v.is_integer()),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    if kinds and not any(checks[k](value) for k in kinds):
        raise InputError(f"{where}: must be {' or '.join(kinds)}", field=where)
    if isinstance(value, float) and "integer" in kinds and "number" not in kinds and value.is_integer():
        value = int(value)  # within 64 bits? checked below
    if isinstance(value, int) and not isinstance(value, bool) and not INT64[0] <= value <= INT64[1]:
        raise InputError(f"{where}: must be within 64 bits", field=where)
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{where}: must be a finite number", field=where)
    if "enum" in schema and value not in schema["enum"]:
        raise InputError(f"{where}: must be one of {', '.join(map(str, schema['enum']))}", field=where)
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            raise InputError(f"{where}: at least {schema['minLength']} characters", field=where)
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise InputError(f"{where}: at most {schema['maxLength']} characters", field=where)
        # '$' as in JSON Schema (ECMA): the very end, not before a final newline as in Python.
        if "pattern" in schema and not re.search(re.sub(r"\$$", r"\\Z", schema["pattern"]), value):
            raise InputError(f"{where}: does not match {schema['pattern']}", field=where)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise InputError(f"{where}: must be at least {schema['minimum']}", field=where)
        if "maximum" in schema and value > schema["maximum"]:
            raise InputError(f"{where}: must be at most {schema['maximum']}", field=where)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                raise InputError(f"{name}: required", field=name)
        extra = schema.get("additionalProperties")
        if extra is False:
            for name in value:
                if name not in props:
                    raise InputError(f"{name}: unknown field", field=name)
        for name, sub in props.items():
            if name in value:
                value[name] = check_schema(value[name], sub, name if where == "body" else f"{where}.{name}")
        if isinstance(extra, dict):  # the schema of every other member (free-form `variables`)
            for name, item in value.items():
                if name not in props:
                    check_schema(item, extra, name if where == "body" else f"{where}.{name}")
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise InputError(f"{where}: at most {schema['maxItems']} items", field=where)
        for i, item in enumerate(value):
            value[i] = check_schema(item, schema.get("items", {}), f"{where}[{i}]")
    return value


def convert_param(text, p):
    """A query/path parameter from text to its schema type, checked."""
    kind = p.schema.get("type", "string")
    try:
        if kind == "integer":
            if len(text.strip().lstrip("+-")) > 19:  # past 64 bits; int() of a long text is not linear
                raise InputError(f"{p.name}: must be an integer within 64 bits", field=p.name)
            value = int(text)
        elif kind == "number":
            value = float(text)
        elif kind == "boolean":
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            value = text.lower() in ("true", "1")
        else:
            value = text
    except ValueError:
        raise InputError(f"{p.name}: must be {kind}", field=p.name) from None
    return check_schema(value, p.schema, p.name)


# --- serving -----------------------------------------------------------------------------

def json_default(value):
    if isinstance(value, datetime.datetime):
        return clock.iso(value)  # stored instants shown with the box's offset: '…T09:15:00+08:00'
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_response(status, data, headers=None):
    body = json.dumps(data, ensure_ascii=False, default=json_default)
    response = bottle.HTTPResponse(body=body, status=status, headers=headers or {})
    response.content_type = "application/json; charset=utf-8"
    response.set_header("Cache-Control", "no-store")
    return response


def error_response(status, message, field=None, headers=None):
    error = {"status": status, "message": message}
    if field:
        error["field"] = field
    return json_response(status, {"error": error}, headers)


def client_address():
    return bottle.request.remote_addr or ""


def bearer_token():
    header = bottle.request.get_header("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return check_token(secret.strip())


UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="appliance"'}


def authenticate(permission):
    """The request's token, or raise an HTTPResponse (401/403)."""
    token = bearer_token()
    if token is None:
        raise error_response(401, "a valid bearer token is required", headers=UNAUTHORIZED)
    if not can(token.role, permission):
        raise error_response(403, f"token role {token.role} may not do this")
    return token


def read_body(route):
    if route.body is None:
        return None
    length = bottle.request.content_length
    if length > MAX_BODY:
        raise ApiError(413, f"body: larger than {MAX_BODY} bytes")
    ctype = bottle.request.content_type.split(";")[0].strip().lower()
    if ctype != "application/json":
        raise ApiError(415, "body: Content-Type must be application/json", field="body")
    raw = bottle.request.body.read(MAX_BODY + 1)
    try:
        data = parse_json(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("body: not UTF-8", field="body") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"body: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                         field="body") from None
    refuse_odd_numbers(data, "body")
    return check_schema(data, route.body, "body")


class _OddNumber:
    """A JSON number the box does not take: NaN, ±Infinity, one that overflows a
    double (1e999999), or an integer past 64 bits. Kept as its text so the check
    below names the field instead of the parser failing without one."""

    def __init__(self, text):
        self.text = text


INT64 = (-2 ** 63, 2 ** 63 - 1)


def _parse_int(text):
    # Digits are counted before int() runs: converting a huge digit string costs
    # more than linear time (and Python refuses past 4300 digits with a ValueError).
    if len(text.lstrip("-")) > 19:
        return _OddNumber(text)
    value = int(text)
    return value if INT64[0] <= value <= INT64[1] else _OddNumber(text)


def _parse_float(text):
    value = float(text)
    return value if math.isfinite(value) else _OddNumber(text)


def parse_json(text):
    """json.loads, with odd numbers (see _OddNumber) left for refuse_odd_numbers."""
    return json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_OddNumber)


def refuse_odd_numbers(value, where):
    """InputError (400) naming the field that holds an odd number, anywhere in the body."""
    if isinstance(value, _OddNumber):
        raise InputError(f"{where}: {value.text[:40]} is not a number the box takes "
                         f"(finite, integers within 64 bits)", field=where)
    if isinstance(value, dict):
        for name, item in value.items():
            refuse_odd_numbers(item, name if where == "body" else f"{where}.{name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            refuse_odd_numbers(item, f"{where}[{i}]")


def read_query(route):
    query = {}
    known = {p.name: p for p in route.params if p.location == "query"}
    for name in bottle.request.query.keys():
        if name not in known:
            raise InputError(f"{name}: unknown query parameter", field=name)
    for name, p in known.items():
        text = bottle.request.query.getunicode(name)
        if text is None:  # absent; an empty value is a value, checked like any other
            if p.required:
                raise InputError(f"{name}: required", field=name)
            if "default" in p.schema:
                query[name] = p.schema["default"]
            continue
        query[name] = convert_param(text, p)
    return query


def make_handler(route):
    def handle(**path):
        # A busy database is waited for and tried again; then a JSON 503, never a 500.
        try:
            return dbmod.retrying(attempt, **path)
        except dbmod.Busy as exc:
            log.warning("API %s %s: the database stayed busy", route.method, route.path)
            return error_response(503, str(exc), headers={"Retry-After": "1"})

    def attempt(**path):
        try:
            token = authenticate(route.permission)
            for p in route.params:
                if p.location == "path":
                    path[p.name] = convert_param(path[p.name], p)
            call = ApiCall(token, read_query(route), read_body(route), client_address(),
                           bottle.request.app.config.get("appliance.config"))
            result = route.handler(call, **path)
        except bottle.HTTPResponse:
            raise
        except dbmod.Busy:
            raise
        except ApplianceError as exc:
            status = exc.http_status if 400 <= exc.http_status < 500 else 500
            return error_response(status, str(exc), getattr(exc, "field", None))
        except Exception as exc:
            if dbmod.is_busy(exc):
                raise
            log.exception("API %s %s failed", route.method, route.path)
            return error_response(500, "internal error")
        if isinstance(result, bottle.HTTPResponse):  # not JSON: a CSV export, a recording
            return result
        if isinstance(result, ApiResponse):
            return json_response(result.status, result.data)
        return json_response(route.status, result)
    handle.__name__ = f"api_{route.operation_id}"
    return handle


def load_api_modules():
    """Import every web/api_*.py so their decorators fill ROUTES."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        importlib.import_module(f"{__name__}.{info.name}")


def install(app):
    """Register every API route, the OpenAPI document and JSON errors on `app`."""
    load_api_modules()
    # Static paths before parameterised ones, so /calls/today is not taken by /calls/{id}.
    for route in sorted(ROUTES, key=lambda r: ("{" in r.path, r.path)):
        app.route(route.bottle_path, route.method, make_handler(route), name=f"api:{route.method}:{route.path}")
    app.route(PREFIX + "/openapi.json", "GET", serve_openapi, name="api:openapi")

    patterns = [(re.compile("^/" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(r.path.lstrip("/"))) + "$"), r.method)
                for r in ROUTES] + [(re.compile("^/openapi\\.json$"), "GET")]

    def not_found(path):
        authenticate("view")  # no token: 401, so the API does not reveal which paths exist
        allowed = sorted({method for pattern, method in patterns if pattern.match("/" + path)})
        if allowed:
            allow = ", ".join(allowed + (["HEAD"] if "GET" in allowed else []))
            return error_response(405, f"{bottle.request.method} not allowed here (allowed: {allow})",
                                  headers={"Allow": allow})
        return error_response(404, f"no such API route: {bottle.request.method} {PREFIX}/{path}")
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"):
        app.route(PREFIX + "/<path:path>", method, not_found, name=f"api:404:{method}")


def serve_openapi():
    authenticate("view")
    return json_response(200, openapi_document())


# --- the OpenAPI document ----------------------------------------------------------------

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["status", "message"], "properties": {
        "status": {"type": "integer"}, "message": {"type": "string"}, "field": {"type": "string"}}}},
}


# What each error status means; every operation may answer these (413 and 415 only with a body).
ERROR_STATUSES = {
    400: "the request does not fit this document, or its content is refused (the field is named)",
    401: "no valid bearer token",
    403: "the token's role may not do this",
    404: "what the path names does not exist",
    409: "refused in the present state (e.g. an opted-out number for marketing)",
    413: "body too large",
    415: "body not application/json",
    503: "the database stayed busy; try again (Retry-After)",
}


def refused(route):
    """The 400 description's list of the route's rules beyond this document (JSON
    Schema cannot state them: a phone number's validity, a check digit, a field
    required only when the record is created)."""
    return "".join(f"; {rule}" for rule in route.refusals)


def openapi_document():
    paths = {}
    for route in ROUTES:
        op = {
            "operationId": route.operation_id,
            "summary": route.summary,
            "tags": route.tags,
            "security": [{"bearer": []}],
            "x-permission": route.permission,
            "parameters": [
                {"name": p.name, "in": p.location, "required": p.required, "schema": p.schema,
                 **({"description": p.description} if p.description else {})}
                for p in route.params],
            "responses": {
                **{str(status): {"description": "OK", "content": {
                    route.media: {"schema": route.response or {}}}}
                   for status in sorted({route.status, *route.also})},
                **{str(status): {"$ref": "#/components/responses/Error",
                                 "description": why + refused(route) if status == 400 else why}
                   for status, why in ERROR_STATUSES.items()
                   if status not in (413, 415) or route.body is not None},
            },
        }
        if route.description:
            op["description"] = route.description
        if route.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body}}}
        paths.setdefault(route.path, {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Branch communications appliance API", "version": VERSION},
        "servers": [{"url": PREFIX}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
            "responses": {"Error": {"description": "Error", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
        },
    }


# --- lists ---------------------------------------------------------------------------------
# The listings (inbox, messages, calls) are queried and serialised by the domain
# (appliance.listings and each listing's module), the same as for the command
# line and the pages; these only add the API's paging parameters and list shape.

PAGE_PARAMS = [
    param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}),
    param("before", "query", {"type": "integer", "minimum": 1},
          description="cursor: the `next_before` of the previous page"),
]
# Dates as the server takes them, exactly (1900-2099, leap days included), so the
# document's patterns and the server's checks are one and the same.
DATE_RE = (r"(?:(?:19|20)\d{2}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
           r"|(?:0[13578]|1[02])-31)|(?:19|20)(?:0[48]|[2468][048]|[13579][26])-02-29|2000-02-29)")
CLOCK_RE = r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?"
MONTH = {"type": "string", "pattern": r"^(?:19|20)\d{2}-(?:0[1-9]|1[0-2])$", "description": "YYYY-MM"}
DAY = {"type": "string", "format": "date", "pattern": f"^{DATE_RE}$"}


def list_schema(item):
    return {"type": "object", "properties": {"items": {"type": "array", "items": item},
                                             "next_before": {"type": ["integer", "null"]}}}


def page_json(page, serialize):
    """An appliance.listings.Page as {"items": [...], "next_before": cursor or null}."""
    return {"items": [serialize(row) for row in page.rows], "next_before": page.next_before}
