#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a bounded time:
# SECONDS_PER_TARGET (default 30) bounds each run (the CTest entries fuzz.*, label fuzz,
# tests/fuzz/run_target.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Debug -DTW_FUZZ=ON \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build build/fuzz -j2 --target fuzz_record fuzz_split fuzz_rules fuzz_grants fuzz_policy_facts
SECONDS_PER_TARGET=${SECONDS_PER_TARGET:-30} ctest --test-dir build/fuzz -L fuzz -V
