#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run imprint's main job on
# the bundled example seed (examples/nocloud) inside a throw-away fake machine (--root), so
# nothing on this machine changes. Shows the detected source, the instance JSON, the overlay
# and the plan of a run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$repo/scripts/install-deps.sh" --tests
configure_and_build imprint >/dev/null

machine=$(mktemp -d /tmp/imprint-demo.XXXXXX)
trap 'rm -rf "$machine"' EXIT
mkdir -p "$machine/var/lib/cloud/seed"
cp -r "$repo/examples/nocloud" "$machine/var/lib/cloud/seed/nocloud"
imprint=("$build/imprint" --root "$machine")

section() { printf '\n\033[1m== %s ==\033[0m\n' "$1"; }
section "imprint detect   (local signals only, no network)"
"${imprint[@]}" detect
section "imprint fetch    (the normalized instance, /run/imprint/instance.json)"
"${imprint[@]}" fetch
section "imprint render   (the overlay module, /var/lib/imprint/host.nix)"
"${imprint[@]}" render
section "imprint run --dry-run   (the plan)"
"${imprint[@]}" run --dry-run
if command -v nix-instantiate >/dev/null; then
  section "nix-instantiate --parse on the overlay"
  "${imprint[@]}" render > "$machine/host.nix"
  NIX_STATE_DIR="$machine/nix" nix-instantiate --parse "$machine/host.nix" >/dev/null && echo "the overlay is valid Nix"
fi
