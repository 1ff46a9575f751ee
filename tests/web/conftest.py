"""Web fixtures: a real cheroot server on a free 127.0.0.1 port, an HTTP client
that keeps cookies, signed-in users and API tokens (helpers in web_support.py)."""
import pytest
from peer_support import free_port
from web_support import Client, make_user

from appliance import db as dbmod, tokens
from appliance.config import Config, ensure_data_dir
from web.app import build_app
from web.server import make_server, serve_in_thread


@pytest.fixture
def web_config(tmp_path):
    return Config({"data_dir": str(tmp_path / "data"), "web.listen": f"127.0.0.1:{free_port()}",
                   "web.threads": 4})


@pytest.fixture
def web_db(web_config):
    ensure_data_dir(web_config)
    db = dbmod.open_database(web_config)
    dbmod.migrate(db)
    yield db
    db.close()


@pytest.fixture
def server(web_config, web_db):
    """A running server; yields its base URL."""
    srv = make_server(web_config, build_app(web_config))
    serve_in_thread(srv)
    host, port = srv.bind_addr[:2]
    yield f"http://{host}:{port}"
    srv.stop()


@pytest.fixture
def client(server):
    return Client(server)


@pytest.fixture
def admin_client(server):
    make_user("root", "admin")
    c = Client(server)
    assert c.sign_in("root").status == 303
    return c


@pytest.fixture
def api_token(web_db):
    _, secret = tokens.create_token("core-system", "operator")
    return secret


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """One headless Chromium per test module (browser_support.start_chromium). Imported here,
    not at the top: browser_support skips a module that has no Chromium, and this conftest
    serves every web test."""
    from browser_support import start_chromium
    driver = start_chromium(tmp_path_factory.mktemp("chrome-profile"))
    yield driver
    driver.quit()
