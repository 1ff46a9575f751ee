"""Firmware bundles of this source tree for upgrade tests, made in a second.

The test venv has no wheel builder (setuptools without bdist_wheel, and build isolation
would download one), so the firmware wheel is zipped here as PEP 427 describes it: the
packages' files plus a dist-info with the entry points of pyproject.toml. The box's real
bundles are built from the lock file (image/). Dependencies are not bundled: the test
releases run on this venv's interpreter, which has them.
"""
import base64
import hashlib
import tomllib
import zipfile
from pathlib import Path

from appliance.system.releases import make_bundle

SOURCE = Path(__file__).parents[1]
PACKAGES = ("appliance", "agi", "modem", "web")
NAME, VERSION = "insurance_branch_appliance", "0.1.0"


def entry_points():
    project = tomllib.loads((SOURCE / "pyproject.toml").read_text())["project"]
    groups = {"console_scripts": project.get("scripts", {}), **project.get("entry-points", {})}
    return "".join(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n"
                   for group, eps in groups.items())


def make_wheel(folder, patches=None):
    """The firmware wheel in `folder`; patches: {path in the wheel: text appended to it (a new
    file when the tree has none)}."""
    patches = patches or {}
    dist = f"{NAME}-{VERSION}.dist-info"
    files = {}
    for package in PACKAGES:
        for path in sorted((SOURCE / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                name = path.relative_to(SOURCE).as_posix()
                files[name] = path.read_bytes() + patches.get(name, "").encode()
    files.update({name: text.encode() for name, text in patches.items() if name not in files})
    files[f"{dist}/METADATA"] = f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n".encode()
    files[f"{dist}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{dist}/entry_points.txt"] = entry_points().encode()
    record = "".join(f"{name},sha256={_digest(data)},{len(data)}\n" for name, data in files.items())
    files[f"{dist}/RECORD"] = (record + f"{dist}/RECORD,,\n").encode()
    wheel = Path(folder) / f"{NAME}-{VERSION}-py3-none-any.whl"
    Path(folder).mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return wheel


def _digest(data):
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_firmware(tmp_path, version, patches=None):
    """A bundle of this tree as release `version`."""
    wheels = tmp_path / f"wheels-{version}"
    make_wheel(wheels, patches)
    return make_bundle(wheels, version, tmp_path / f"firmware-{version}.tar.gz")
