"""The demo's IVR part: prompts ready in the demo's data dir, a note on how to try it."""
from agi.demo import hook
from appliance.config import Config
from appliance.demo import Demo


def test_demo_hook_builds_prompts_once_and_notes_how_to_call(tmp_path, built_prompts):
    import shutil
    data = tmp_path / "demo"
    shutil.copytree(built_prompts, data / "prompts", ignore=shutil.ignore_patterns("cache"))
    demo = Demo(data, Config())
    hook(demo)  # everything already built: nothing regenerated
    assert (data / "prompts" / "zh" / "menu_main.wav").stat().st_mtime == \
        (built_prompts / "zh" / "menu_main.wav").stat().st_mtime
    assert any("dial 2 35010001#" in note for note in demo.notes)
    assert any("staff pin 35010001" in note for note in demo.notes)
