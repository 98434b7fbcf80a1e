#!/usr/bin/env bash
# Prints the path of the kubernetes-validate command (PyPI, pinned; it carries the Kubernetes
# schemas, so it works offline), installing it if needed.
exec "$(dirname "$0")/pypi-tool.sh" kubernetes-validate 1.37.0 kubernetes-validate
