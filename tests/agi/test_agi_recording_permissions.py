"""Voice messages as deployed: the agi daemon (one user) makes the day's recording folder,
Asterisk (another user, in the daemon's group) writes the message into it. Two real users
made with useradd; root only (the test machine and CI run as root)."""
import os
import subprocess
import types
import uuid

import pytest

from agi.flows import recording_path
from appliance.config import Config

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: it creates two users with useradd")


@pytest.fixture
def two_users():
    """An `agi` user whose primary group is a shared group, and an `asterisk` user with that
    group as a supplementary one (`usermod -aG appliance asterisk`, image/asterisk/README.md)."""
    tag = uuid.uuid4().hex[:6]
    group, agi, ast = f"tapl{tag}", f"tagi{tag}", f"tast{tag}"
    subprocess.run(["groupadd", group], check=True)
    subprocess.run(["useradd", "-M", "-N", "-g", group, "-s", "/usr/sbin/nologin", agi], check=True)
    subprocess.run(["useradd", "-M", "-U", "-G", group, "-s", "/usr/sbin/nologin", ast], check=True)
    import grp
    import pwd
    try:
        yield types.SimpleNamespace(group=grp.getgrnam(group).gr_gid, agi=pwd.getpwnam(agi), asterisk=pwd.getpwnam(ast))
    finally:
        subprocess.run(["userdel", agi], check=False)
        subprocess.run(["userdel", "-r", ast], check=False, capture_output=True)
        subprocess.run(["groupdel", group], check=False, capture_output=True)
        subprocess.run(["groupdel", ast], check=False, capture_output=True)


def as_user(user, fn, groups="initgroups", umask=0o022):
    """Run fn() in a child process as `user`: with its supplementary groups (initgroups, as
    Asterisk with only runuser set) or none ("none": rungroup's setgroups(0, NULL)).
    Returns fn's result (a short string) or the error it raised."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            if groups == "initgroups":
                os.initgroups(user.pw_name, user.pw_gid)
            else:
                os.setgroups([])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
            os.umask(umask)
            try:
                out = f"ok {fn()}"
            except OSError as exc:
                out = f"error {exc.strerror}"
            os.write(write, out.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        out = pipe.read()
    os.waitpid(pid, 0)
    return out


def test_asterisk_writes_the_message_into_the_folder_the_agi_daemon_made(tmp_path_factory, two_users):
    base = tmp_path_factory.mktemp("perm")
    base.chmod(0o755)
    for parent in base.parents:  # pytest's own temp folders are 0700
        if str(parent).startswith("/tmp/") and parent.stat().st_mode & 0o005 != 0o005:
            parent.chmod(parent.stat().st_mode | 0o005)
    data = base / "data"
    data.mkdir()
    os.chown(data, two_users.agi.pw_uid, two_users.group)
    data.chmod(0o2750)  # what appliance-init leaves: the daemon's, the group may enter
    session = types.SimpleNamespace(config=Config({"data_dir": str(data)}), call_id=7)

    # the agi daemon, under a umask of 022 (the unit's UMask= says 0007; it must not depend on it)
    made = as_user(two_users.agi, lambda: str(recording_path(session)))
    assert made.startswith("ok "), made
    message = made[3:]
    folder = os.path.dirname(message)
    mode = os.stat(folder).st_mode
    assert mode & 0o2070 == 0o2070, oct(mode)  # setgid, group rwx

    # Asterisk as deployed (runuser only: it keeps its groups) records the message
    def record():
        with open(f"{message}.wav", "wb") as out:
            out.write(b"RIFF" + bytes(2000))
        return os.stat(f"{message}.wav").st_gid
    wrote = as_user(two_users.asterisk, record)
    assert wrote == f"ok {two_users.group}", wrote  # the folder's group, thanks to setgid

    # the daemon reads it back (has_audio, the web's player)
    assert as_user(two_users.agi, lambda: len(open(f"{message}.wav", "rb").read())) == "ok 2004"

    # with rungroup set, Asterisk drops its supplementary groups and cannot (image/asterisk/README.md)
    denied = as_user(two_users.asterisk, lambda: open(f"{message}-2.wav", "wb").close(), groups="none")
    assert denied == "error Permission denied"
