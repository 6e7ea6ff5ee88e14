#!/usr/bin/env bash
# The unit and integration tests under AddressSanitizer + UndefinedBehaviorSanitizer (clang), in
# the build directory the fuzz targets share (build-asan, or $IMPRINT_ASAN_BUILD_DIR).
exec "$(dirname "${BASH_SOURCE[0]}")/../tests/fuzz/run-sanitized-tests.sh" "$@"
