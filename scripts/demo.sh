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
# The fake machine's root filesystem, as the kernel and udev describe it: imprint names it by
# its stable by-uuid path in the overlay (the fact the golden image cannot know).
mkdir -p "$machine/proc/self" "$machine/dev/disk/by-uuid" "$machine/dev/disk/by-label"
echo "22 1 254:3 / / rw,relatime shared:1 - ext4 /dev/vda3 rw" > "$machine/proc/self/mountinfo"
ln -s ../../vda3 "$machine/dev/disk/by-uuid/5c1d2e3f-9a8b-4c7d-8e6f-0a1b2c3d4e5f"
ln -s ../../vda3 "$machine/dev/disk/by-label/nixos"
imprint=("$build/imprint" --root "$machine")

# Bold headings on a terminal only: a log or a pipe gets no raw escape codes.
if [[ -t 1 ]]; then
  section() { printf '\n\033[1m== %s ==\033[0m\n' "$1"; }
else
  section() { printf '\n== %s ==\n' "$1"; }
fi
section "imprint detect   (local signals only, no network)"
"${imprint[@]}" detect
section "imprint fetch    (the normalized instance, /run/imprint/instance.json)"
"${imprint[@]}" fetch
# Each notice once: the later steps read the same seed, so they log warnings and errors only.
section "imprint render   (the overlay module, /var/lib/imprint/host.nix)"
"${imprint[@]}" -q render
section "imprint run --dry-run   (the plan)"
"${imprint[@]}" -q run --dry-run
if command -v nix-instantiate >/dev/null; then
  section "nix-instantiate --parse on the overlay"
  "${imprint[@]}" -q render > "$machine/host.nix"
  # No build users are needed to parse: an empty build-users-group keeps Nix from warning.
  NIX_STATE_DIR="$machine/nix" nix-instantiate --option build-users-group "" --parse "$machine/host.nix" >/dev/null &&
    echo "the overlay is valid Nix"
fi
