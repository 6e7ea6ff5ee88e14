#!/usr/bin/env bash
# The README's first command: install what is missing, build imprint, and run its main job on
# the bundled example seed (examples/nocloud) inside a throw-away fake machine (--root), so
# nothing on this machine changes. Shows the detected source, the instance JSON, the overlay
# and the plan of a run, then what to try next.
#   scripts/demo.sh [--keep]     --keep: leave the fake machine in place to look at
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

keep=false
for arg in "$@"; do
  case "$arg" in
    --keep) keep=true ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown option $arg (known: --keep)" >&2; exit 2 ;;
  esac
done

# Bold headings on a terminal only: a log or a pipe gets no raw escape codes.
if [[ -t 1 ]]; then
  section() { printf '\n\033[1m== %s ==\033[0m\n' "$1"; }
else
  section() { printf '\n== %s ==\n' "$1"; }
fi

started=$SECONDS
section "installing what the demo needs (apt, only what is missing)"
"$repo/scripts/install-deps.sh" --demo
section "building imprint (the agent only; about a minute on 2 cores the first time)"
# ninja shows its progress: one updating line on a terminal, a line per step in a log.
NINJA_STATUS="[%f/%t %es] " configure_and_build_agent imprint
echo "built in $((SECONDS - started)) s: $build/imprint"

machine=$(mktemp -d /tmp/imprint-demo.XXXXXX)
$keep || trap 'rm -rf "$machine"' EXIT
mkdir -p "$machine/var/lib/cloud/seed"
cp -r "$repo/examples/nocloud" "$machine/var/lib/cloud/seed/nocloud"
# The fake machine's root filesystem, as the kernel and udev describe it: imprint names it by
# its stable by-uuid path in the overlay (the fact the golden image cannot know).
mkdir -p "$machine/proc/self" "$machine/dev/disk/by-uuid" "$machine/dev/disk/by-label"
echo "22 1 254:3 / / rw,relatime shared:1 - ext4 /dev/vda3 rw" > "$machine/proc/self/mountinfo"
ln -s ../../vda3 "$machine/dev/disk/by-uuid/5c1d2e3f-9a8b-4c7d-8e6f-0a1b2c3d4e5f"
ln -s ../../vda3 "$machine/dev/disk/by-label/nixos"
imprint=("$build/imprint" --root "$machine")

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

section "what to try next"
if $keep; then
  echo "The fake machine stays in $machine (its seed: var/lib/cloud/seed/nocloud)."
else
  echo "The fake machine was removed; scripts/demo.sh --keep leaves it in place (DIR below)."
fi
shown=$($keep && echo "$machine" || echo DIR)
cat <<NEXT
  - Edit the seed (examples/nocloud) and look again:
      $build/imprint --root $shown --source nocloud:$repo/examples/nocloud fetch
  - Commit it for real in the fake machine (the overlay, state and instance JSON; no rebuild):
      $build/imprint --root $shown run --no-rebuild && cat $shown/var/lib/imprint/host.nix
  - Another platform, from the tests' fixtures (the loopback stand-ins are in providers/*/tests/):
      $build/imprint --root $shown --source configdrive:$repo/providers/configdrive/fixtures/basic fetch
  - Bake it into a NixOS image: README.md, "NixOS: bake once, boot many" (examples/nixos).
  - Run every test: scripts/test.sh
NEXT
echo "demo finished in $((SECONDS - started)) s"
