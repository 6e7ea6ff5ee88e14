#!/usr/bin/env bash
# The unit and integration tests built with clang, AddressSanitizer and UndefinedBehaviorSanitizer
# (IMPRINT_SANITIZE=ON), in the same build directory as the fuzz targets (tests/fuzz/build.sh).
# Any sanitizer report fails the test that triggered it: UBSan halts on the first error, ASan
# checks leaks at exit of every test binary and of every imprint the tests run.
#   tests/fuzz/run-sanitized-tests.sh [extra ctest args]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${IMPRINT_ASAN_BUILD_DIR:-$src/build-asan}
"$src/tests/fuzz/build.sh" imprint imprint-unit-tests imprint-integration-tests stub-rebuild imprint-crash-shim
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
# NoSignalNoPacket runs imprint under strace, and LeakSanitizer cannot work under ptrace.
ctest -L 'unit|integration' -E '^NoSignalNoPacket\.' --output-on-failure -j "${IMPRINT_JOBS:-2}" --timeout 600 "$@"
