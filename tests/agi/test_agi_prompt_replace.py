"""A running IVR server plays an admin's replacement from the next call on,
and the default again after a restore (the admin page and the CLI change the
files from another process; the server's prompt lookup must notice)."""
import shutil
import subprocess

from agi.asterisk_peer import FakeAsterisk, hang_up
from agi.prompts import PromptFinder
from appliance.ivr import prompt_files


def tone(path):
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "2", str(path), "synth", "1", "sine", "440"], check=True)


def own_prompts(ivr_config, built_prompts):
    """A copy of the built prompts (ivr_config's is a link to the shared build)."""
    target = ivr_config.data_dir / "prompts"
    target.unlink()
    shutil.copytree(built_prompts, target, ignore=shutil.ignore_patterns("cache"))


def test_finder_sees_a_replacement_and_a_restore_without_being_told(ivr_config, built_prompts, tmp_path):
    own_prompts(ivr_config, built_prompts)
    finder = PromptFinder(ivr_config)
    assert finder.path("goodbye", "zh").endswith("/prompts/zh/goodbye")
    tone(tmp_path / "mine.wav")
    prompt_files.install(ivr_config, "goodbye", tmp_path / "mine.wav", "zh")
    assert finder.path("goodbye", "zh").endswith("/prompts/custom/zh/goodbye")
    assert finder.path("goodbye", "en").endswith("/prompts/en/goodbye")  # the other language untouched
    assert prompt_files.restore_default(ivr_config, "goodbye", "zh")
    assert finder.path("goodbye", "zh").endswith("/prompts/zh/goodbye")


def test_the_next_call_hears_the_replacement(start_server, ivr_config, built_prompts, tmp_path):
    own_prompts(ivr_config, built_prompts)
    server = start_server(ivr_config)

    def welcome_played():
        peer = FakeAsterisk(server.address, [hang_up("menu_main")], callerid="unknown").run()
        return [c for c in peer.commands if "welcome" in c]

    assert "/prompts/zh/welcome" in welcome_played()[0]
    tone(tmp_path / "mine.wav")
    prompt_files.install(ivr_config, "welcome", tmp_path / "mine.wav", "zh")
    assert "/prompts/custom/zh/welcome" in welcome_played()[0]
    prompt_files.restore_default(ivr_config, "welcome", "zh")
    played = welcome_played()[0]
    assert "/prompts/zh/welcome" in played and "custom" not in played
