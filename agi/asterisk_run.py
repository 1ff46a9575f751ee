"""A private Asterisk: one process from a build prefix, for the dialer bench and the tests.

The build comes from image/asterisk/build-asterisk.sh (a prefix keyed by the source
tarball; `find_prefix()` asks the script where, or says why there is none). `Private`
runs it as an ordinary process (`asterisk -C FILE -f`) with every directory under one
scratch folder, no sounds, and the manager (AMI) on 127.0.0.1 on a free port with a
generated secret; `manager()` logs an agi.ami.Manager in. The caller supplies the dialplan
(extensions.conf and the files it includes). Nothing waits by sleeping a fixed time: each
wait polls a condition with a deadline.
"""
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from agi.ami import AMIError, Manager
from agi.bench import free_port

BUILD_SCRIPT = Path(__file__).resolve().parents[1] / "image" / "asterisk" / "build-asterisk.sh"
PREFIX_VARIABLE = "APPLIANCE_ASTERISK_PREFIX"


def find_prefix(explicit=None):
    """(prefix, None) for a good install, else (None, why not).

    An explicit prefix wins, then $APPLIANCE_ASTERISK_PREFIX (set by ./dev test after
    building); otherwise the build script names the prefix its tarball and recipe would use."""
    given = explicit or os.environ.get(PREFIX_VARIABLE)
    if given:
        if not (Path(given) / "sbin" / "asterisk").is_file():
            return None, f"{given} holds no sbin/asterisk"
        return Path(given), None
    if not BUILD_SCRIPT.is_file():
        return None, f"no {BUILD_SCRIPT.name} here (not a source checkout): give the prefix of an Asterisk build"
    try:
        run = subprocess.run(["bash", str(BUILD_SCRIPT), "--print-prefix"], capture_output=True,
                             text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"cannot run {BUILD_SCRIPT.name}: {exc}"
    if run.returncode == 3:
        return None, ("no Asterisk source tarball (../shared/asterisk/asterisk-*.tar.xz next to the clone, "
                      "/work/shared/asterisk, or APPLIANCE_ASTERISK_TARBALL)")
    if run.returncode == 4:
        return None, (f"Asterisk is not built at {run.stdout.strip()}: run ./dev setup "
                      f"(or image/asterisk/build-asterisk.sh)")
    if run.returncode != 0:
        return None, f"{BUILD_SCRIPT.name} --print-prefix failed: {run.stderr.strip()}"
    return Path(run.stdout.strip()), None


def wait_until(predicate, timeout, what, interval=0.05):
    """Poll predicate() until it returns something truthy; return that, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


ASTERISK_CONF = """\
[directories]
astcachedir => {root}/cache
astetcdir => {root}/etc
astmoddir => {prefix}/lib/asterisk/modules
astvarlibdir => {root}/lib
astdbdir => {root}/lib
astkeydir => {root}/lib
astdatadir => {prefix}/var/lib/asterisk
astagidir => {root}/lib/agi-bin
astspooldir => {root}/spool
astrundir => {run}
astlogdir => {root}/log
astsbindir => {prefix}/sbin

[options]
verbose = {verbose}
debug = 0
nocolor = yes
highpriority = no
dumpcore = no
cache_media_frames = no
transmit_silence = no
hideconnect = yes
"""

MODULES_CONF = "[modules]\nautoload = yes\n"

LOGGER_CONF = """\
[general]
dateformat = %F %T.%3q
[logfiles]
full => notice,warning,error,verbose,dtmf
messages => notice,warning,error
"""

MANAGER_CONF = """\
[general]
enabled = yes
port = {port}
bindaddr = 127.0.0.1
webenabled = no
displayconnects = no

[{user}]
secret = {secret}
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
read = all
write = all
writetimeout = 5000
"""

# Files Asterisk complains about when missing; what they hold does not matter here.
# cdr_csv writes log/cdr-csv/Master.csv, which the dialer reads after a restart.
QUIET_CONFIGS = {
    "cdr.conf": "[general]\nenable = yes\n[csv]\nusegmtime = yes\nloguniqueid = yes\n",
    "indications.conf": "[general]\ncountry = cn\n[cn]\ndescription = China\nringcadence = 1000,4000\n"
                        "dial = 450\nring = 450/1000,0/4000\nbusy = 450/350,0/350\n"
                        "congestion = 450/700,0/700\n",
    "musiconhold.conf": "", "ccss.conf": "", "cel.conf": "", "features.conf": "", "acl.conf": "",
    "udptl.conf": "",
}


class Private:
    """One Asterisk process under `root` (etc, lib, spool, run, log).

    extensions: the text of extensions.conf; files: {name: text} more files for etc/
    (what extensions.conf includes); verbose: the console/log verbosity (0 for a bench)."""

    def __init__(self, prefix, root, extensions="", files=None, verbose=3, ami_user="appliance"):
        self.prefix = Path(prefix)
        self.root = Path(root)
        self.binary = self.prefix / "sbin" / "asterisk"
        self.etc = self.root / "etc"
        self.log_dir = self.root / "log"
        self.cdr_path = self.log_dir / "cdr-csv" / "Master.csv"
        # The control socket's path must fit in sockaddr_un (108 bytes).
        run = self.root / "run"
        if len(str(run / "asterisk.ctl")) > 100:
            run = Path(tempfile.mkdtemp(prefix="ast-run-"))
        self.run_dir = run
        self.conf = self.etc / "asterisk.conf"
        self.extensions = extensions
        self.files = dict(files or {})
        self.verbose = verbose
        self.ami_port = free_port()
        self.ami_user = ami_user
        self.ami_secret = secrets.token_hex(16)
        self.proc = None
        self._console = None

    def write_config(self):
        for sub in ("etc", "lib/agi-bin", "spool/outgoing", "log/cdr-csv", "cache"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        fields = {"root": self.root, "prefix": self.prefix, "run": self.run_dir, "verbose": self.verbose}
        files = {"asterisk.conf": ASTERISK_CONF.format(**fields), "modules.conf": MODULES_CONF,
                 "logger.conf": LOGGER_CONF, "extensions.conf": self.extensions,
                 "manager.conf": MANAGER_CONF.format(port=self.ami_port, user=self.ami_user,
                                                     secret=self.ami_secret),
                 **QUIET_CONFIGS, **self.files}
        for name, text in files.items():
            (self.etc / name).write_text(text)

    def start(self, timeout=60.0):
        """Write the configuration, start Asterisk, return once it is fully booted and its
        manager accepts a login."""
        self.write_config()
        self._console = open(self.log_dir / "console.log", "wb")
        self.proc = subprocess.Popen([str(self.binary), "-C", str(self.conf), "-f", "-n"],
                                     stdin=subprocess.DEVNULL, stdout=self._console,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout

        def booted():
            if self.proc.poll() is not None:
                raise RuntimeError(f"asterisk exited with {self.proc.returncode} while starting:\n"
                                   + self.log_tail())
            if not (self.run_dir / "asterisk.ctl").exists():
                return False
            return self.rx("core waitfullybooted", check=False, timeout=max(1.0, deadline - time.monotonic()))
        wait_until(booted, timeout, "Asterisk to boot")
        wait_until(self._manager_or_none, max(1.0, deadline - time.monotonic()),
                   "the Asterisk manager interface").close()
        return self

    def manager(self, manager_class=Manager):
        """A new manager connection, logged in (the caller closes it)."""
        return manager_class("127.0.0.1", self.ami_port, self.ami_user, self.ami_secret)

    def _manager_or_none(self):
        try:
            return self.manager()
        except (OSError, AMIError):
            return None

    def stop(self, timeout=10.0):
        if self.proc is not None and self.proc.poll() is None:
            self.rx("core stop now", check=False, timeout=timeout)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        if self._console is not None:
            self._console.close()
            self._console = None
        if self.run_dir.parent != self.root:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def rx(self, command, check=True, timeout=10.0):
        """`asterisk -C FILE -rx COMMAND`: its output (str), or False if it failed and check=False."""
        try:
            run = subprocess.run([str(self.binary), "-C", str(self.conf), "-rx", command],
                                 capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            if check:
                raise
            return False
        if run.returncode != 0:
            if check:
                raise RuntimeError(f"asterisk -rx {command!r}: exit {run.returncode}: {run.stderr}{run.stdout}")
            return False
        return run.stdout or True

    def log_lines(self, name="full"):
        path = self.log_dir / name
        return path.read_text(errors="replace").splitlines() if path.exists() else []

    def log_tail(self, lines=40):
        text = []
        for name in ("full", "console.log"):
            path = self.log_dir / name
            if path.exists():
                text.append(f"--- {path}")
                text += path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(text)
