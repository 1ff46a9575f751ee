"""Unpacking a tar archive safely on every Python 3.11 the firmware meets.

`tarfile`'s extraction filters (`filter="data"`) came in 3.11.4; the box runs Debian 12's
3.11.2, where `extractall(filter=...)` is a TypeError. There, `extract_all` does what the
data filter does for the archives we unpack (backups, firmware bundles): it refuses
members that are not plain files or folders, or that would land outside the target.
"""
import os
import tarfile


def extract_all(tar, path, members=None):
    """tar.extractall(path, members) with the "data" filter, or its equivalent before 3.11.4."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(path, members=members, filter="data")
        return
    chosen = list(members) if members is not None else tar.getmembers()
    root = os.path.realpath(path)
    for member in chosen:
        target = os.path.realpath(os.path.join(root, member.name))
        if not (member.isfile() or member.isdir()) or os.path.commonpath([root, target]) != root:
            raise tarfile.TarError(f"refusing {member.name!r}: not a plain file inside the archive's folder")
        member.mode &= 0o755  # as the data filter: no set-id bits, nothing writable by others
    tar.extractall(path, members=chosen)
