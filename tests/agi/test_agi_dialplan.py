"""The Asterisk dialplan snippet agrees with the server it points at."""
import re
from pathlib import Path

from agi import server
from appliance.ivr import prompt_files
from appliance.settings import BY_NAME

SNIPPET = Path(__file__).parents[2] / "image" / "asterisk" / "extensions_appliance.conf"


def test_snippet_routes_to_the_default_fastagi_address_with_a_fallback():
    text = SNIPPET.read_text()
    urls = re.findall(r"AGI\(agi://([^/]+)/(\w+)\)", text)
    assert urls == [(BY_NAME["agi.listen"].default, "ivr")]
    assert "ivr" in server.ROUTES
    assert 'GotoIf($["${AGISTATUS}" = "FAILURE"]?fallback)' in text
    assert f"Dial({BY_NAME['agi.operator'].default},60)" in text
    for name in re.findall(r"Playback\(/var/lib/appliance/prompts/zh/(\w+)\)", text):
        assert "zh" in prompt_files.catalogue()[name]
    assert BY_NAME["data_dir"].default == "/var/lib/appliance"
