#!/usr/bin/env bash
# Pin the firmware's Python dependencies, with hashes, into image/requirements.lock.
#
#   image/lock-requirements.sh
#
# Run it after changing pyproject.toml's dependencies and commit the lock with the change:
# image/build.sh installs exactly these versions (wheels built on the build host, checked
# against these hashes), so two builds of one commit ship the same firmware.
# pip-compile (pip-tools) does the resolving; it runs from a venv of its own in the cache,
# never the project's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
tools=${XDG_CACHE_HOME:-$HOME/.cache}/appliance/pip-tools
if [ ! -x "$tools/bin/pip-compile" ]; then
    python3 -m venv "$tools"
    "$tools/bin/pip" install -q --disable-pip-version-check "pip-tools==7.6.2"
fi
cd "$top"
# --allow-unsafe: pip/setuptools pins too, should a dependency need them at run time.
CUSTOM_COMPILE_COMMAND="image/lock-requirements.sh" "$tools/bin/pip-compile" -q --generate-hashes \
    --strip-extras --allow-unsafe --no-emit-index-url --output-file image/requirements.lock pyproject.toml
echo "image/requirements.lock: $(grep -c '^[a-z0-9]' image/requirements.lock) packages pinned" >&2
