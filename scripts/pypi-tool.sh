#!/usr/bin/env bash
# Usage: scripts/pypi-tool.sh PACKAGE VERSION COMMAND
# Makes sure PACKAGE==VERSION (PyPI) is installed in a virtual environment of its own and prints
# the path of its COMMAND. Installs python3-venv from Debian's packages if needed.
set -euo pipefail
package=$1 version=$2 command=$3
venv="${XDG_CACHE_HOME:-$HOME/.cache}/catcat-$package-$version"
bin="$venv/bin/$command"
if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
fi
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$venv/bin/pip" install -q --disable-pip-version-check "$package==$version" >&2
echo "$bin"
