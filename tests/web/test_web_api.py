"""The JSON API framework: bearer tokens, JSON errors, the OpenAPI document
generated from the same route table that registers the routes."""
import pytest

from appliance import tokens
from web import api
from web.api import InputError, api_route, check_schema, param


def test_api_refuses_without_a_token(client):
    resp = client.api("GET", "/api/v1/me")
    assert resp.status == 401
    assert resp.json["error"]["status"] == 401
    assert resp.getheader("WWW-Authenticate").startswith("Bearer")


def test_api_refuses_a_wrong_or_revoked_token(client, api_token):
    assert client.api("GET", "/api/v1/me", token=api_token + "x").status == 401
    assert client.api("GET", "/api/v1/me", token="apt_nonsense").status == 401
    tokens.revoke_token("core-system")
    assert client.api("GET", "/api/v1/me", token=api_token).status == 401


def test_api_answers_with_a_token(client, api_token):
    resp = client.api("GET", "/api/v1/me", token=api_token)
    assert resp.status == 200, resp.text
    assert resp.json == {"name": "core-system", "role": "operator"}
    assert resp.getheader("Content-Type").startswith("application/json")


def test_unknown_api_path_is_json_404_only_with_a_token(client, api_token):
    assert client.api("GET", "/api/v1/nothing-here").status == 401
    resp = client.api("GET", "/api/v1/nothing-here", token=api_token)
    assert resp.status == 404 and "nothing-here" in resp.json["error"]["message"]


def test_bad_query_parameter_is_a_4xx_naming_it(client, api_token):
    resp = client.api("GET", "/api/v1/calls?limit=abc", token=api_token)
    assert resp.status == 400 and resp.json["error"]["field"] == "limit"
    resp = client.api("GET", "/api/v1/calls?limit=100000", token=api_token)
    assert resp.status == 400 and "at most" in resp.json["error"]["message"]
    resp = client.api("GET", "/api/v1/calls?bogus=1", token=api_token)
    assert resp.status == 400 and resp.json["error"]["field"] == "bogus"


def test_openapi_lists_exactly_the_registered_routes(client, api_token, server):
    resp = client.api("GET", "/api/v1/openapi.json", token=api_token)
    assert resp.status == 200
    doc = resp.json
    assert doc["openapi"].startswith("3.")
    documented = {(m.upper(), path) for path, ops in doc["paths"].items() for m in ops}
    assert documented == {(r.method, r.path) for r in api.ROUTES}
    assert ("GET", "/me") in documented and ("GET", "/calls") in documented
    # And each documented route is really served: with a token, nothing documented is a 404.
    for method, path in documented:
        if "{" in path:
            continue
        got = client.api(method, "/api/v1" + path, token=api_token, payload={} if method != "GET" else None)
        assert got.status != 404 or "no such API route" not in got.text, (method, path)


def test_a_module_adds_a_route_with_the_decorator(web_config, web_db):
    """Another file registers a route + its OpenAPI entry without editing web/api.py."""
    import bottle

    @api_route("POST", "/test-echo/{n}", "Echo for the test", permission="send",
               params=[param("n", "path", {"type": "integer", "maximum": 10})],
               body={"type": "object", "required": ["text"], "additionalProperties": False,
                     "properties": {"text": {"type": "string", "maxLength": 5}}})
    def echo_for_test(call, n):
        return {"n": n, "text": call.body["text"], "actor": call.actor}
    try:
        from web_support import Client

        from web.app import build_app
        from web.server import make_server, serve_in_thread
        srv = make_server(web_config, build_app(web_config))
        serve_in_thread(srv)
        c = Client("http://%s:%s" % srv.bind_addr[:2])
        _, secret = tokens.create_token("writer", "operator")
        _, reader = tokens.create_token("reader", "auditor")
        ok = c.api("POST", "/api/v1/test-echo/3", secret, {"text": "你好"})
        assert ok.status == 200 and ok.json == {"n": 3, "text": "你好", "actor": "api:writer"}
        assert c.api("POST", "/api/v1/test-echo/3", reader, {"text": "x"}).status == 403
        bad = c.api("POST", "/api/v1/test-echo/3", secret, {"text": "toolong"})
        assert bad.status == 400 and bad.json["error"]["field"] == "text"
        assert c.api("POST", "/api/v1/test-echo/3", secret, {"txt": "x"}).json["error"]["field"] == "text"
        assert c.api("POST", "/api/v1/test-echo/11", secret, {"text": "x"}).json["error"]["field"] == "n"
        broken = c.request("POST", "/api/v1/test-echo/3", b'{"text": ', {
            "Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
        assert broken.status == 400 and "line 1 column" in broken.text
        wrong_type = c.request("POST", "/api/v1/test-echo/3", b"text=x", {
            "Authorization": f"Bearer {secret}", "Content-Type": "application/x-www-form-urlencoded"})
        assert wrong_type.status == 415
        doc = c.api("GET", "/api/v1/openapi.json", secret).json
        assert doc["paths"]["/test-echo/{n}"]["post"]["requestBody"]["content"]["application/json"]["schema"][
            "required"] == ["text"]
        srv.stop()
    finally:
        api.ROUTES[:] = [r for r in api.ROUTES if r.handler is not echo_for_test]
        bottle  # noqa: B018


@pytest.mark.parametrize("value, schema, message", [
    ("x", {"type": "integer"}, "must be integer"),
    (True, {"type": "integer"}, "must be integer"),
    ({"a": 1}, {"type": "object", "required": ["b"]}, "b: required"),
    ([1, "x"], {"type": "array", "items": {"type": "integer"}}, "v[1]: must be integer"),
    ("c", {"type": "string", "enum": ["a", "b"]}, "one of a, b"),
])
def test_check_schema_names_the_problem(value, schema, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        check_schema(value, schema, "v")
