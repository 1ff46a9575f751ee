"""`appliance upgrade BUNDLE`: a new firmware release, with a way back.

Bundle format and release layout: appliance/system/releases.py. The steps, each written
to the journal ROOT/upgrade.json (fsynced) before it starts:

 1. install   the bundle into ROOT/releases/NEW (a .partial folder renamed whole); the
              running release and `current` are untouched. NEW's `appliance config check`
              must pass, or NEW is deleted and nothing else happens.
 2. stop      `systemctl stop appliance.target`.
 3. backup    the OLD release's `appliance backup` to
              data_dir/backups/pre-upgrade-OLD-to-NEW-STAMP.tar.gz (a failure here starts
              the daemons again on OLD and stops the upgrade).
 4. switch    `previous` -> OLD, then `current` -> NEW (atomic symlink renames).
 5. migrate   NEW's `appliance init`.
 6. start     `systemctl start appliance.target`, then wait until every daemon's unit is
              active (Type=notify: after its READY=1) and stays so for `settle` seconds,
              within `deadline` seconds.
 7. done      the journal is removed; releases other than current and previous are deleted.

The first release on a box (no `current` yet: the image build) is only installed and
`current` pointed at it; first boot initialises the database.

A failure in 5 or 6 rolls back: stop, `current` -> OLD, OLD's `appliance restore` of the
backup (the database as it was before NEW migrated it), start, wait; then the upgrade
reports the failure (exit 1). The daemons are started again after every failure, even a
failed restore (which is then reported with the command to run by hand). The steps that
touch data (backup, init, restore) run as the data dir's owner with the units' umask, so
no file of the appliance user becomes root's or readable by others.

A power cut (kill -9) at each point, and what the next boot does — appliance-init.service
runs `appliance upgrade --recover` (as root, before any daemon) which reads the journal:
 - during 1: no journal yet; the box boots OLD. A .partial release is deleted next time.
 - during 2 or 3: journal step stop/backup: `current` is still OLD and the database was not
   touched: the journal is removed and OLD boots.
 - during 4, 5, 6 or a rollback: `current` may be NEW and its migrations may have run:
   recover points `current` at OLD and restores the pre-upgrade backup (complete, it was
   renamed into place before step 4 began), then OLD boots. Run the upgrade again.
 - after 7: nothing to do; NEW boots.
Data written between step 6 and a power cut during the wait is lost with the rollback:
the daemons had been up for at most `deadline` seconds.
"""
import json
import logging
import os
import subprocess
import time
from pathlib import Path

from appliance import clock
from appliance.errors import ApplianceError, InputError
from appliance.system import releases

log = logging.getLogger(__name__)
JOURNAL = "upgrade.json"
RUN_TIMEOUT = 600  # seconds for one backup, migration or restore
DATA_UMASK = 0o027  # the units' UMask= (systemd/)


class UpgradeFailed(ApplianceError):
    """The new release did not come up; the box is back on the old one."""


class Box:
    """Where the firmware and the data are, and how its daemons are driven. On the box:
    Box(config); in tests and image builds the root, systemctl and units are given."""

    def __init__(self, config, root=releases.DEFAULT_ROOT, systemctl="systemctl", units=None,
                 deadline=120.0, settle=5.0, python=None, image=None):
        # image: an image's root filesystem the first release goes into (the root as seen inside it)
        self.config, self.seen_as = config, Path(root)
        self.root = Path(image) / Path(root).relative_to("/") if image else Path(root)
        self.image = image
        self.systemctl, self.deadline, self.settle, self.python = systemctl, deadline, settle, python
        self.units = units or [f"appliance-{name}.service" for name in _daemons()]

    def journal(self):
        path = self.root / JOURNAL
        return json.loads(path.read_text()) if path.exists() else None

    def note(self, **record):
        """Write the journal (whole, fsynced) before the step it names begins."""
        path, tmp = self.root / JOURNAL, self.root / f".{JOURNAL}.new"
        with open(tmp, "w") as fh:
            json.dump(record, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        releases._fsync_dir(self.root)
        log.info("upgrade: %s", record)

    def forget(self):
        (self.root / JOURNAL).unlink(missing_ok=True)
        releases._fsync_dir(self.root)

    def run_release(self, version, *args):
        """Run `appliance ARGS` of release VERSION as the data dir's owner; InputError on failure."""
        argv = [str(releases.release_dir(self.root, version) / "bin" / "appliance")]
        if self.config.path:
            argv += ["--config", str(self.config.path)]
        data_dir = Path(self.config.data_dir)
        owner = data_dir.stat() if data_dir.exists() else None
        as_owner = ({"user": owner.st_uid, "group": owner.st_gid, "extra_groups": []}
                    if owner and os.geteuid() == 0 != owner.st_uid else {})
        # umask as the units': the backup holds customers' data (0640, never root's 0644)
        result = subprocess.run(argv + [str(a) for a in args], capture_output=True, text=True,
                                timeout=RUN_TIMEOUT, env=_release_env(), umask=DATA_UMASK, **as_owner)
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or [f"exit code {result.returncode}"])[-1]
            raise InputError(f"release {version}: appliance {args[0]} failed: {last}")
        return result.stdout

    def daemons(self, action):
        if action == "start":
            # A daemon that kept dying (a broken release) hit its unit's start limit: systemd
            # refuses to start it again, even for the release rolled back to, until reset.
            subprocess.run([self.systemctl, "reset-failed", *self.units], capture_output=True, timeout=30)
        subprocess.run([self.systemctl, action, "appliance.target"], capture_output=True, timeout=RUN_TIMEOUT)

    def wait_ready(self):
        """True when every unit is active and stays so for `settle` seconds, within the deadline."""
        end = time.monotonic() + self.deadline
        up_since = None
        while time.monotonic() < end:
            # One state a line, a unit each: the exit code says only whether ANY is active.
            states = subprocess.run([self.systemctl, "is-active", *self.units], capture_output=True,
                                    text=True, timeout=30).stdout.split()
            active = len(states) == len(self.units) and all(state == "active" for state in states)
            up_since = (up_since or time.monotonic()) if active else None
            if up_since is not None and time.monotonic() - up_since >= self.settle:
                return True
            time.sleep(0.5)  # polling systemd's state with a deadline; nothing to wait on instead
        return False


def upgrade(box, bundle):
    """Upgrade to the bundle's release; returns its version. UpgradeFailed after a rollback."""
    if box.journal():
        raise InputError("upgrade: an earlier upgrade was interrupted; run appliance upgrade --recover first")
    box.root.mkdir(parents=True, exist_ok=True)
    old = releases.current(box.root)
    if box.image and old:
        raise InputError(f"upgrade: --image is for the first release; {box.root} has {old}", field="image")
    new = releases.install(bundle, box.root, box.python, box.seen_as)
    if old is None:  # the image build: nothing runs yet, nothing to migrate or roll back to
        releases.switch(box.root, "current", new)
        return new
    _preflight(box, new)
    backup = _stop_and_back_up(box, old, new)
    box.note(step="switch", old=old, new=new, backup=backup)
    releases.switch(box.root, "previous", old)
    releases.switch(box.root, "current", new)
    try:
        box.note(step="migrate", old=old, new=new, backup=backup)
        box.run_release(new, "init")
        box.note(step="start", old=old, new=new, backup=backup)
        box.daemons("start")
        if not box.wait_ready():
            raise InputError(f"release {new}: the daemons did not come up within {box.deadline:.0f} s "
                             f"({', '.join(box.units)})")
    except (ApplianceError, OSError, subprocess.TimeoutExpired) as exc:
        roll_back(box, old, new, backup)
        raise UpgradeFailed(f"upgrade to {new} failed ({exc}); rolled back to {old}"
                            + (f" and the database of {backup}" if backup else "")) from None
    box.forget()
    releases.prune(box.root, {new, old})
    return new


def _preflight(box, new):
    """NEW's command line reads this box's configuration before anything stops: a release
    that cannot even start (a wheel for another Python, a syntax error) costs no downtime."""
    try:
        box.run_release(new, "config", "check")
    except (ApplianceError, OSError, subprocess.TimeoutExpired):
        releases.prune(box.root, {releases.current(box.root), releases.previous(box.root)})
        raise


def _stop_and_back_up(box, old, new):
    """Stop the daemons and take OLD's backup; returns its path (None: no database yet).
    A failure here starts the daemons again on OLD, untouched, and is raised."""
    box.note(step="stop", old=old, new=new, backup=None)
    box.daemons("stop")
    if not _has_data(box.config):
        return None
    stamp = clock.format(clock.now(), "%Y%m%d-%H%M%S")
    backup = str(Path(box.config.data_dir) / "backups" / f"pre-upgrade-{old}-to-{new}-{stamp}.tar.gz")
    box.note(step="backup", old=old, new=new, backup=None)
    try:
        box.run_release(old, "backup", "--output", backup)
    except (ApplianceError, OSError, subprocess.TimeoutExpired):
        box.forget()
        box.daemons("start")
        raise
    return backup


def roll_back(box, old, new, backup):
    """Back to release OLD and the pre-upgrade backup, then the daemons start whatever
    happens (a box without daemons is the one outcome never chosen). A failed restore is
    raised after the start, naming the backup to restore by hand."""
    box.note(step="rollback", old=old, new=new, backup=backup)
    box.daemons("stop")
    releases.switch(box.root, "current", old)
    failure = None
    if backup:
        try:
            _restore(box, old, backup)
        except (ApplianceError, OSError, subprocess.TimeoutExpired) as exc:
            failure = exc
    box.forget()  # a later boot must not restore again over what OLD writes from now on
    box.daemons("start")
    if not box.wait_ready():
        log.error("upgrade: after the rollback to %s the daemons are not all up either", old)
    if failure:
        raise UpgradeFailed(f"upgrade to {new} failed; back on {old}, but restoring {backup} failed "
                            f"({failure}): stop the daemons and run appliance restore {backup}")


def recover(box):
    """At boot, before the daemons: finish what a power cut interrupted (see the module
    docstring). Returns what was done, in words."""
    record = box.journal()
    if record is None:
        return "no upgrade was interrupted"
    old, new, backup = record.get("old"), record.get("new"), record.get("backup")
    if record.get("step") in ("stop", "backup"):
        box.forget()
        return f"the upgrade to {new} stopped before switching; {old or new} stays"
    releases.switch(box.root, "current", old)
    if backup:
        _restore(box, old, backup)
    box.forget()
    return f"the upgrade to {new} was interrupted; back on {old}" + (f" with the database of {backup}" if backup else "")


def _restore(box, old, backup):
    """OLD's restore of the backup. On PostgreSQL every box sharing the database had NEW's
    migrations too: the database before them is the one to go back to (--yes-all-boxes)."""
    shared = [] if box.config.database_url.startswith("sqlite:///") else ["--yes-all-boxes"]
    box.run_release(old, "restore", backup, *shared)


def _has_data(config):
    url = config.database_url
    return not url.startswith("sqlite:///") or Path(url[len("sqlite:///"):]).exists()


def _daemons():
    from appliance.plugins import plugins
    return sorted(plugins("appliance.daemons"))


def _release_env():
    """A release runs its own code: no PYTHONPATH of whoever called us."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env
