#!/usr/bin/env bash
# The benchmark, from a fresh clone, in one command (as root, on Debian 12):
#
#   bench/run.sh                 every tier; about 10 minutes on 2 cores once the images are cached
#   bench/run.sh --skip-boot     without the systemd-nspawn boot tier
#
# Installs what it needs, builds imprint in Release (-DIMPRINT_BUILD_BENCH=ON for the
# microbenchmarks), runs bench/bench.py and prints bench/results/latest.md (also latest.json and
# latest.png there). IMPRINT_BENCH_BUILD and IMPRINT_BENCH_WORK move the build and scratch
# directories (default under /var/tmp/imprint-bench). Not part of the CI test command.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
work=${IMPRINT_BENCH_WORK:-/var/tmp/imprint-bench}
build=${IMPRINT_BENCH_BUILD:-$work/build}

if [[ $(id -u) -ne 0 ]]; then
  echo "bench/run.sh: run as root (apt-get, overlay mounts and systemd-nspawn need it)" >&2
  exit 2
fi

skip_boot=0
for arg in "$@"; do
  case "$arg" in
    --skip-boot) skip_boot=1 ;;
  esac
done

# cloud-init is the reference, never a participant: on a machine without it, the disabled-file
# exists before the package does, so its units never run here. A machine that already has
# cloud-init is left exactly as it was.
if ! dpkg-query -W -f='${Status}' cloud-init 2>/dev/null | grep -q "install ok installed"; then
  mkdir -p /etc/cloud
  touch /etc/cloud/cloud-init.disabled
fi

deps=(--tests)
((skip_boot)) || deps+=(--system-tests)
"$src/scripts/install-deps.sh" "${deps[@]}"

bench_packages=(hyperfine time cloud-init python3 python3-matplotlib libbenchmark-dev)
((skip_boot)) || bench_packages+=(systemd-container debootstrap)
missing=()
for p in "${bench_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bench/run.sh: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "bench/run.sh: building imprint (Release) in $build" >&2
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DIMPRINT_BUILD_TESTS=OFF \
  -DIMPRINT_BUILD_BENCH=ON >/dev/null
ninja -C "$build" -j2 imprint imprint-micro-bench >/dev/null

exec /usr/bin/python3 "$here/bench.py" --build "$build" --work "$work" --out "$here/results" "$@"
