"""The data directory: writable, and room left on its disk."""
import shutil

from appliance.config import ensure_data_dir
from appliance.errors import N_, ApplianceError
from appliance.system.checks import said

MIN_FREE_MB = 500


def data_dir(config):
    """[line]; a failure here means no other check can run."""
    try:
        ensure_data_dir(config)
    except ApplianceError as exc:
        return [("fail", "data_dir", str(exc))]
    return [("ok", "data_dir", said(N_("{path} is writable"), path=config.data_dir))]


def disk(config):
    free_mb = shutil.disk_usage(config.data_dir).free // 2**20
    if free_mb >= MIN_FREE_MB:
        return [("ok", said(N_("disk")), said(N_("{mb} MB free in {path}"), mb=free_mb, path=config.data_dir))]
    return [("warn", said(N_("disk")), said(N_("{mb} MB free in {path}: delete old backups in {path}/backups or lower backup.keep"), mb=free_mb, path=config.data_dir))]
