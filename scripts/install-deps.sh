#!/usr/bin/env bash
# Installs what building and testing imprint needs on Debian 12, and nothing when it is all
# there already. Safe to run again. Package lists are one per line so additions are small edits.
set -euo pipefail

build_packages=(
  build-essential
  cmake
  ninja-build
  pkg-config
  libsystemd-dev
  libyaml-cpp-dev
  nlohmann-json3-dev
  libcurl4-openssl-dev
  libspdlog-dev
  libcli11-dev
  zlib1g-dev
  libssl-dev
)

test_packages=(
  libgtest-dev
  libgmock-dev
  libcpp-httplib-dev
  nix-bin
  dbus-daemon
  systemd
  python3
  strace
  util-linux
)

# Tools the system tests (tests/system/) use on the host to build and boot their guests.
system_test_packages=(
  debootstrap
  systemd-container
  qemu-system-x86
  qemu-utils
  xorriso
  dosfstools
  mtools
  e2fsprogs
  iproute2
  python3
  # tests/nixos-real: the trixie chroot (debootstrap above) and the nixpkgs tarball.
  xz-utils
)

# libFuzzer targets (tests/fuzz/): Debian's clang and its runtime libraries.
fuzz_packages=(
  clang
  libclang-rt-14-dev
)

want=("${build_packages[@]}")
for arg in "$@"; do
  case "$arg" in
    --demo) want+=(nix-bin) ;;  # the demo parses the overlay with nix-instantiate
    --tests) want+=("${test_packages[@]}") ;;
    --system-tests) want+=("${system_test_packages[@]}") ;;
    --fuzz) want+=("${fuzz_packages[@]}") ;;
    *) echo "install-deps: unknown option $arg (known: --demo --tests --system-tests --fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
