#!/usr/bin/env bash
# Builds and runs every test: the whole suite under ASan+UBSan, the unit and pipeline tests
# under ThreadSanitizer, and the whole suite on the Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== ASan + UBSan"
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan

echo "== ThreadSanitizer"
cmake --preset tsan >/dev/null
cmake --build --preset tsan
# gcc's TSan cannot see through libstdc++'s locks inside simdjson's runtime dispatch; the
# pipeline's own synchronisation is what is checked here
ctest --preset tsan -R 'unit\.(ring|state|detect)|e2e\.|script\.(equivalence|determinism)'

echo "== Release"
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release
