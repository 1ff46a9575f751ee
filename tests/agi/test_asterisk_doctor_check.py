"""`appliance doctor`'s Asterisk line against a real Asterisk: a login with the configured
secret, not just a TCP connect."""
from asterisk_support import asterisk, asterisk_install  # noqa: F401  (fixtures)
from peer_support import free_port

from agi.checks.asterisk import doctor_check
from appliance.config import Config


def config_for(tmp_path, port, user, secret):
    return Config({"data_dir": str(tmp_path / "data"), "voice.ami": f"127.0.0.1:{port}",
                   "voice.ami_user": user, "voice.ami_secret": secret})


def test_asterisk_up_and_the_manager_lets_the_box_in(asterisk, tmp_path):
    [(status, what, detail)] = doctor_check(config_for(tmp_path, asterisk.ami_port, asterisk.ami_user,
                                                       asterisk.ami_secret))
    assert (status, what) == ("ok", "Asterisk")
    assert detail.startswith("Asterisk 22") and f"AMI login as {asterisk.ami_user}" in detail


def test_a_wrong_secret_is_a_failure_naming_the_settings(asterisk, tmp_path):
    [(status, _, detail)] = doctor_check(config_for(tmp_path, asterisk.ami_port, asterisk.ami_user, "wrong"))
    assert status == "fail"
    assert "refused" in detail and "voice.ami_secret must match manager.conf" in detail


def test_nothing_listening_is_a_warning_while_no_voice_daemon_runs(tmp_path):
    [(status, _, detail)] = doctor_check(config_for(tmp_path, free_port(), "appliance", "x"))
    assert status == "warn" and "systemctl status asterisk" in detail
