"""The configuration loader on random and mutated TOML files: a Config, or a
one-line ConfigError naming the file or the key. Arrays or inline tables nested
thousands deep used to end in RecursionError (tomllib recurses per level), a
dotted key thousands deep in RecursionError (flatten), an integer of 4,300
digits in ValueError, a port in other scripts' digits ('1:²') in ValueError. A
bounded run on every test run; HYPOTHESIS_LONG=1 for the long one
(tests/fuzz_support.py)."""
from fuzz_support import fuzz
from hypothesis import example, given, strategies as st

from appliance.config import Config, load_config
from appliance.errors import ConfigError

LINES = [
    'data_dir = "/var/lib/appliance"', 'language = "zh"', "[agi]", "watchdog_seconds = 30", "[web]",
    'listen = "127.0.0.1:8080"', 'listen = "1:²"', 'listen = "h:' + "9" * 5000 + '"', "[modems]",
    'ports = ["/dev/ttyUSB*"]', "ports = [1]", "x = inf", "watchdog_seconds = nan", "watchdog_seconds = -1",
    "watchdog_seconds = " + "9" * 5000, "[[a]]", "a.b.c = 1", 'timezone = "Asia/Shanghai"', "= 1", "[",
    '"""', "x = 1979-05-27T07:32:00Z", "[database]", 'url = ""', "\x00", "language = {}",
]
NESTED = st.builds(lambda key, opener, closer, n: f"{key} = {opener * n}{closer * n}\n",
                   st.sampled_from(["a", "data_dir", "agi.watchdog_seconds"]),
                   st.sampled_from(["[", "{a=", "[{a="]), st.sampled_from(["]", "}", "}]"]), st.integers(1, 5000))
DOTTED = st.builds(lambda n: "a." * n + "a = 1\n", st.integers(1, 5000))


@st.composite
def config_bytes(draw):
    lines = draw(st.lists(st.one_of(st.sampled_from(LINES), st.text(max_size=20)), max_size=8))
    text = "\n".join(lines) + "\n"
    if draw(st.integers(0, 3)) == 0:
        text += draw(st.one_of(NESTED, DOTTED))
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=6)) + data[at:]
    return data


@fuzz(300)
@given(config_bytes())
@example(b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n")
@example(b"a = " + b"{a=" * 3000 + b"1" + b"}" * 3000 + b"\n")
@example(b"a." * 3000 + b"a = 1\n")
def test_fuzz_config_loads_or_names_the_file(tmp_path_factory, data):
    path = tmp_path_factory.getbasetemp() / "fuzz-appliance.toml"
    path.write_bytes(data)
    try:
        config = load_config(str(path))
    except ConfigError as exc:
        message = str(exc)
        assert "\n" not in message
        assert str(path) in message or exc.field or "configuration key" in message
        return
    assert isinstance(config, Config)
