# Sourced by the README's commands: one build directory, one way to configure it.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${IMPRINT_BUILD_DIR:-$repo/build}

configure_and_build() {
  # usage: configure_and_build [targets...]
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIMPRINT_BUILD_TESTS=ON >/dev/null
  ninja -C "$build" -j"$(nproc)" "$@"
}

configure_and_build_agent() {
  # The agent alone, without the tests and their packages: what the demo needs.
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIMPRINT_BUILD_TESTS=OFF >/dev/null
  ninja -C "$build" -j"$(nproc)" "$@"
}
