#!/usr/bin/env bash
# The system tests: tests/system/run-all.sh BUILD_DIR [--tier nspawn|qemu|all] [--only a,b]
# Boots real guests (systemd-nspawn: real PID-1 systemd; qemu TCG: real seed block devices)
# from a Debian 12 image cached in /var/cache/imprint-system-tests. Needs root and
# `scripts/install-deps.sh --system-tests`; fails (never skips) when a prerequisite is missing.
set -euo pipefail
if [[ $# -lt 1 || "$1" == -* ]]; then
  echo "usage: $0 BUILD_DIR [--tier nspawn|qemu|all] [--only NAME,...]" >&2
  exit 2
fi
build_dir=$1
shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's python3, not whatever a PATH shim picks.
py=/usr/bin/python3
[[ -x $py ]] || py=python3
exec "$py" "$here/run.py" --build-dir "$build_dir" "$@"
