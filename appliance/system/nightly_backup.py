"""The nightly backup: `appliance backup nightly`, run by appliance-backup.timer.

Each run writes data_dir/backups/nightly-STAMP.tar.gz (appliance.backup: an online
snapshot, daemons keep running) and then keeps the newest `backup.keep` nightly
archives, deleting older ones. Only nightly-* archives are pruned: a backup taken by
hand (appliance-STAMP.tar.gz) or before an upgrade (pre-upgrade-*.tar.gz) is branch
IT's to remove.

Crash rules: the archive is written as .partial and renamed (appliance.backup), and
pruning starts only after the rename, so a kill -9 at any point leaves at least the
`keep` newest complete archives; a .partial left over is removed by the next run.
"""
import datetime
from pathlib import Path

from appliance import clock
from appliance.backup import backup

PREFIX = "nightly-"
SUFFIX = ".tar.gz"


def backup_dir(config):
    return Path(config.data_dir) / "backups"


def run_nightly(config, now=None):
    """Take tonight's backup, then prune; returns (the new archive, [the archives removed])."""
    stamp = clock.format(now or clock.now(), "%Y%m%d-%H%M%S")
    folder = backup_dir(config)
    for leftover in folder.glob(f"{PREFIX}*.partial"):  # a run killed mid-write
        leftover.unlink()
    archive = backup(config, folder / f"{PREFIX}{stamp}{SUFFIX}")
    return archive, prune(folder, config["backup.keep"])


def prune(folder, keep):
    """Delete all but the `keep` newest nightly archives (by the stamp in their names)."""
    nightly = sorted(folder.glob(f"{PREFIX}*{SUFFIX}"), reverse=True)
    removed = nightly[max(keep, 1):]  # never the one just written
    for path in removed:
        path.unlink()
    return removed


def last_backup(config):
    """(path, modification instant as naive UTC) of the newest complete archive of any kind,
    or None: the doctor's "last backup" line."""
    archives = [p for p in backup_dir(config).glob(f"*{SUFFIX}") if p.is_file()]
    if not archives:
        return None
    newest = max(archives, key=lambda p: p.stat().st_mtime)
    return newest, datetime.datetime.fromtimestamp(newest.stat().st_mtime, clock.UTC).replace(tzinfo=None)
