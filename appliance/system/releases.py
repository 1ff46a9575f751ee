"""Firmware releases side by side: the bundle `appliance upgrade` takes, and how it is installed.

A firmware bundle is a .tar.gz holding

    manifest.json      {"format": 1, "version": "2026.12.1"}   (version: letters, digits, . _ + -)
    wheels/*.whl       every wheel the firmware needs: ours and each dependency, pinned
                       (made at build time from the lock file; nothing is resolved or
                       downloaded on the box)

`appliance release make WHEEL_DIR --version V --output FILE` writes one.

Installed, a release is a folder under the firmware root (default /opt/appliance):

    ROOT/releases/VERSION/site/          the wheels, `pip install --no-index --no-deps --target`
    ROOT/releases/VERSION/bin/python     the interpreter with site/ first on its path
    ROOT/releases/VERSION/bin/appliance  the command line of that release
    ROOT/releases/VERSION/manifest.json
    ROOT/current  -> releases/VERSION    what the units run (/opt/appliance/current/bin/appliance)
    ROOT/previous -> releases/OLD        what a rollback returns to

A release needs no virtualenv: bin/ are small shell scripts naming the interpreter the
release was installed with (the system's python3 on the box) and its own site/, so a
release is never half-shared with another. It is built as releases/VERSION.partial and
renamed whole; `current` and `previous` are switched by renaming a new symlink over the
old one (atomic: a reader sees the old or the new release, never neither).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from appliance.errors import InputError
from appliance.system.archives import extract_all

FORMAT = 1
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
DEFAULT_ROOT = Path("/opt/appliance")
PIP_TIMEOUT = 900  # seconds: numpy and friends unpacked on a slow flash disk


def read_manifest(bundle):
    """The bundle's manifest (a dict with a valid version), or InputError naming the file."""
    bundle = Path(bundle)
    try:
        with tarfile.open(bundle, "r:gz") as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
            wheels = [m.name for m in tar.getmembers() if m.isfile() and m.name.startswith("wheels/")
                      and m.name.endswith(".whl")]
    except (OSError, tarfile.TarError, KeyError, ValueError, EOFError, AttributeError) as exc:
        raise InputError(f"upgrade: {bundle} is not a firmware bundle ({exc})", field="bundle") from None
    if not isinstance(manifest, dict):
        manifest = {}
    version = str(manifest.get("version", ""))
    if manifest.get("format") != FORMAT or not VERSION_RE.match(version):
        raise InputError(f"upgrade: {bundle}: manifest.json needs format {FORMAT} and a version "
                         f"of letters, digits and . _ + -", field="bundle")
    if not wheels:
        raise InputError(f"upgrade: {bundle} holds no wheels/*.whl", field="bundle")
    return manifest


def make_bundle(wheel_dir, version, output):
    """Write a bundle from every wheel in wheel_dir; returns its path."""
    wheels = sorted(Path(wheel_dir).glob("*.whl"))
    if not VERSION_RE.match(version):
        raise InputError("release: --version: letters, digits and . _ + - only", field="version")
    if not wheels:
        raise InputError(f"release: no .whl files in {wheel_dir}", field="wheel_dir")
    output = Path(output)
    with tempfile.TemporaryDirectory() as tmp:
        manifest = Path(tmp) / "manifest.json"
        manifest.write_text(json.dumps({"format": FORMAT, "version": version}))
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(manifest, arcname="manifest.json")
            for wheel in wheels:
                tar.add(wheel, arcname=f"wheels/{wheel.name}")
        partial.rename(output)
    return output


def release_dir(root, version):
    return Path(root) / "releases" / version


def current(root):
    """The version `current` points at, or None (no release installed yet)."""
    return _target(Path(root) / "current")


def previous(root):
    return _target(Path(root) / "previous")


def _target(link):
    try:
        return Path(os.readlink(link)).name
    except (FileNotFoundError, OSError):
        return None


def install(bundle, root, python=None, seen_as=None):
    """Install the bundle as ROOT/releases/VERSION (replacing a copy that is not current);
    returns the version. Nothing the units run changes. python: the interpreter the release
    runs with (default this one); seen_as: where ROOT is when the release runs, when that
    differs (an image's root filesystem mounted at IMAGE: ROOT=IMAGE/opt/appliance,
    seen_as=/opt/appliance)."""
    version = read_manifest(bundle)["version"]
    old_umask = os.umask(0o022)  # code for everyone to read, whatever the caller's umask
    try:
        return _install(bundle, root, version, python, seen_as)
    finally:
        os.umask(old_umask)


def _install(bundle, root, version, python, seen_as):
    target = release_dir(root, version)
    if current(root) == version:
        raise InputError(f"upgrade: release {version} is the one running", field="bundle")
    partial = target.with_name(version + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # a build killed earlier
    (partial / "bin").mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(bundle, "r:gz") as tar:
        extract_all(tar, tmp)
        wheels = sorted(str(w) for w in Path(tmp, "wheels").glob("*.whl"))
        _pip_install(sys.executable, wheels, partial / "site")  # same Python version as `python`
        shutil.copy(Path(tmp) / "manifest.json", partial / "manifest.json")
    _write_launchers(partial, release_dir(seen_as or root, version), python or sys.executable)
    if target.exists():
        shutil.rmtree(target)  # an earlier install of this version, never the running one
    partial.rename(target)
    _fsync_dir(target.parent)
    return version


def _pip_install(python, wheels, site):
    pip = [python, "-m", "pip"]
    bundled = [w for w in wheels if Path(w).name.startswith("pip-")]
    if bundled:  # the box's python3 has no pip: run the bundle's own (a wheel runs as a zip)
        pip = [python, f"{bundled[0]}/pip"]
    result = subprocess.run([*pip, "install", "--quiet", "--disable-pip-version-check", "--no-index",
                             "--no-deps", "--no-compile", "--target", str(site), *wheels],
                            capture_output=True, text=True, timeout=PIP_TIMEOUT)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise InputError(f"upgrade: installing the wheels failed: {last}", field="bundle")


def _write_launchers(folder, final, python):
    """bin/python and bin/appliance, naming the release's final path (not .partial).
    -P: `python -m` would put the working directory first on the path, before site/."""
    site = final / "site"
    scripts = {
        "python": f'#!/bin/sh\nPYTHONPATH="{site}${{PYTHONPATH:+:$PYTHONPATH}}" exec "{python}" -P "$@"\n',
        "appliance": f'#!/bin/sh\nexec "{final}/bin/python" -m appliance.cli "$@"\n',
    }
    for name, text in scripts.items():
        path = folder / "bin" / name
        path.write_text(text)
        path.chmod(0o755)


def switch(root, link, version):
    """Point ROOT/link (current or previous) at releases/VERSION atomically."""
    root = Path(root)
    tmp = root / f".{link}.new"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(Path("releases") / version)
    os.replace(tmp, root / link)
    _fsync_dir(root)


def prune(root, keep):
    """Remove releases other than `keep` (current and previous) and leftover .partial builds."""
    for folder in (Path(root) / "releases").iterdir():
        if folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
