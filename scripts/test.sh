#!/usr/bin/env bash
# Checks the layout (.clang-format), then builds and runs every test: the whole suite under
# ASan+UBSan and under ThreadSanitizer (the e2e and script tests drive the multithreaded
# pipeline), the fuzz targets for a bounded time, and the whole suite on the Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== Format (.clang-format)"
scripts/format.sh --check

echo "== ASan + UBSan"
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan -j2

echo "== ThreadSanitizer"
cmake --preset tsan >/dev/null
cmake --build --preset tsan
# The Kafka tests too: Debian's librdkafka starts its threads with C11 thrd_create, which TSan
# does not see; in this build tests/kafka/tsan_threads_shim.c gives it thrd_create & co. over
# the pthread functions TSan intercepts (tests/kafka/README.md, "ThreadSanitizer").
ctest --preset tsan -j2

echo "== libFuzzer (bounded)"
SECONDS_PER_TARGET=${SECONDS_PER_TARGET:-30} scripts/fuzz.sh

echo "== Release"
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release -j2
