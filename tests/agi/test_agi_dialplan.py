"""The Asterisk dialplan snippet agrees with the server it points at."""
import re
from pathlib import Path

from agi import server
from appliance.ivr import prompt_files
from appliance.settings import BY_NAME

SNIPPET = Path(__file__).parents[2] / "image" / "asterisk" / "extensions_appliance.conf"


def test_snippet_routes_to_the_default_fastagi_address_with_a_fallback():
    text = SNIPPET.read_text()
    globals_ = dict(re.findall(r"^(APPLIANCE_\w+)=(.*)$", text, re.M))
    # one [globals] line each for the server and the data_dir: what branch IT (and the tests) change
    assert globals_["APPLIANCE_AGI"] == f"agi://{BY_NAME['agi.listen'].default}"
    assert globals_["APPLIANCE_DATA"] == BY_NAME["data_dir"].default == "/var/lib/appliance"
    assert re.findall(r"AGI\(\$\{APPLIANCE_AGI\}/(\w+)\)", text) == ["ivr"]
    assert "ivr" in server.ROUTES
    assert "agi://" not in text.replace(globals_["APPLIANCE_AGI"], "", 1).split("[appliance-inbound]")[1]
    assert "/var/lib/appliance" not in text.split("[appliance-inbound]")[1]
    # the fallback unless the IVR said it finished; a hung server ends AGI() through T
    assert 'GotoIf($["${APPLIANCE_IVR}" = "done"]?done:fallback)' in text
    assert "Set(AGIEXITONHANGUP=yes)" in text and "exten => T,1," in text
    assert "Set(TIMEOUT(absolute)=${APPLIANCE_AGI_START_SECONDS})" in text
    assert f"Dial({BY_NAME['agi.operator'].default},60)" in text
    played = re.findall(r"Playback\(\$\{APPLIANCE_DATA\}/prompts/zh/(\w+)\)", text)
    assert played == ["operator_transfer", "operator_busy"]
    for name in played:
        assert "zh" in prompt_files.catalogue()[name]
