#!/usr/bin/env bash
# Makes sure kubernetes-validate (PyPI, pinned; it carries the Kubernetes schemas, so it works
# offline) is installed in a virtual environment of its own and prints the path of its command.
# Installs python3-venv from Debian's packages if needed.
set -euo pipefail
version=1.37.0
venv="${XDG_CACHE_HOME:-$HOME/.cache}/catcat-kubernetes-validate-$version"
kv="$venv/bin/kubernetes-validate"
if [ -x "$kv" ] && "$kv" --version >/dev/null 2>&1; then
  echo "$kv"
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
"$venv/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==$version" >&2
echo "$kv"
