#!/usr/bin/env bash
# Prints the path of schemathesis's `st` command (PyPI, pinned), installing it if needed.
exec "$(dirname "$0")/pypi-tool.sh" schemathesis 4.32.5 st
