"""`appliance doctor`'s Asterisk line: is Asterisk up, and does its manager interface (AMI)
let the box's user in with the configured secret (voice.ami, voice.ami_user,
voice.ami_secret)? A login, not just a TCP connect: a wrong secret stops the dialer as
surely as a stopped Asterisk."""
from appliance.daemon import running_daemons
from appliance.errors import N_
from appliance.system.checks import said

from agi.ami import AMIError, Manager

TIMEOUT = 5.0


def doctor_check(config):
    listen = config["voice.ami"]
    host, _, port = listen.rpartition(":")
    what = said(N_("Asterisk"))
    try:
        manager = Manager(host.strip("[]"), int(port), config["voice.ami_user"], config["voice.ami_secret"],
                          timeout=TIMEOUT)
    except OSError as exc:
        # Without agi or dialer running (the demo, a test) nothing needs Asterisk yet.
        needed = {"agi", "dialer"} & set(running_daemons(config.data_dir))
        return [("fail" if needed else "warn", what, said(N_("nothing answers on {listen} ({why}): systemctl status asterisk; check voice.ami"), listen=listen, why=exc.strerror or exc))]
    except AMIError as exc:
        return [("fail", what, said(N_("the manager on {listen} refused {user} ({why}): voice.ami_user and voice.ami_secret must match manager.conf"),
                                    listen=listen, user=config["voice.ami_user"], why=_reason(exc)))]
    try:
        settings = manager.action("CoreSettings", timeout=TIMEOUT)
        status = manager.action("CoreStatus", timeout=TIMEOUT)
    except AMIError as exc:
        return [("warn", what, said(N_("signed in on {listen}, but it does not answer ({why})"),
                                    listen=listen, why=_reason(exc)))]
    finally:
        manager.close()
    return [("ok", what, said(N_("Asterisk {version} up since {since}; {calls} call(s) now; AMI login as {user}"),
                              version=settings.get("AsteriskVersion", "?"),
                              since=f"{status.get('CoreStartupDate', '')} {status.get('CoreStartupTime', '')}".strip(),
                              calls=status.get("CoreCurrentCalls", "?"), user=config["voice.ami_user"]))]


def _reason(exc):
    return str(exc).rsplit(": ", 1)[-1]
