#!/usr/bin/env bash
# The README's second command: install what is missing, build, and run every test tier.
#   unit + integration + Nix checks (ctest), the system tests (real systemd under
#   systemd-nspawn, qemu guests with real seed media), a short run of every fuzz target, and
#   the whole unit+integration suite again under AddressSanitizer + UndefinedBehaviorSanitizer,
#   and the NixOS tier: the module and the rendered overlays evaluated on a real nixpkgs tree
#   (tests/nixos-real; Nix 2.26 in a cached Debian 13 chroot).
# A tier whose prerequisite cannot exist on this machine fails loudly; nothing is skipped silently.
# Tiers can be chosen for local work: scripts/test.sh [ctest] [system] [nixos] [fuzz] [sanitize]
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

tiers=("$@")
((${#tiers[@]})) || tiers=(ctest system nixos fuzz sanitize)

"$repo/scripts/install-deps.sh" --tests --system-tests --fuzz || exit 1
configure_and_build || exit 1

passed=0 failed=0 failed_names=()
tier() {
  local name=$1; shift
  printf '\n==== %s ====\n' "$name"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    printf '==== %s: ok (%ds) ====\n' "$name" $((SECONDS - start))
  else
    failed=$((failed + 1)); failed_names+=("$name")
    printf '==== %s: FAILED (%ds) ====\n' "$name" $((SECONDS - start))
  fi
}

for t in "${tiers[@]}"; do
  case "$t" in
    ctest) tier "unit, integration and Nix checks" ctest --test-dir "$build" --output-on-failure -j2 --timeout 600 ;;
    system) tier "system tests" "$repo/tests/system/run-all.sh" "$build" ;;
    nixos) tier "NixOS on the real nixpkgs tree" python3 "$repo/tests/nixos-real/run.py" "$repo" ;;
    fuzz) tier "fuzzing (short)" "$repo/tests/fuzz/run-short.sh" ;;
    sanitize) tier "sanitizers (ASan+UBSan)" "$repo/scripts/sanitize.sh" ;;
    *) echo "unknown tier $t (ctest system nixos fuzz sanitize)" >&2; exit 2 ;;
  esac
done

printf '\n'
((failed == 0)) || printf 'failed tiers: %s\n' "${failed_names[*]}"
printf 'tiers: %d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
