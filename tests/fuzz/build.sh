#!/usr/bin/env bash
# Configures and builds the clang ASan+UBSan build directory shared by the fuzz targets
# (tests/fuzz/run-short.sh) and the sanitized test suite (tests/fuzz/run-sanitized-tests.sh).
#   tests/fuzz/build.sh [TARGET...]     default targets: imprint-fuzz
# IMPRINT_ASAN_BUILD_DIR chooses the directory (default: build-asan beside the source tree's
# build/, i.e. <repo>/build-asan). Debian's clang and libclang-rt-14-dev provide libFuzzer.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${IMPRINT_ASAN_BUILD_DIR:-$src/build-asan}
command -v clang++ >/dev/null || { echo "build.sh: clang++ missing (scripts/install-deps.sh --tests)" >&2; exit 2; }
if [[ ! -f $build/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DIMPRINT_SANITIZE=ON -DIMPRINT_FUZZ=ON -DIMPRINT_UNITY_BUILD=OFF >/dev/null
fi
targets=("$@")
((${#targets[@]})) || targets=(imprint-fuzz)
ninja -C "$build" -j "${IMPRINT_JOBS:-2}" "${targets[@]}"
