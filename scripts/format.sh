#!/usr/bin/env bash
# format.sh [--check]: every C, C++ and header file git tracks, through clang-format with the
# repository's .clang-format. --check changes nothing: it names each file that differs and
# exits 1 (CI runs it first, scripts/test.sh). Data tables that read better in columns sit
# between "clang-format off" and "on" comments.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format: clang-format not found: scripts/install-deps.sh" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp')
if [ "${1:-}" = "--check" ]; then
    bad=0
    for f in "${files[@]}"; do
        if ! clang-format --style=file "$f" | cmp -s - "$f"; then
            echo "format: $f differs from .clang-format (run scripts/format.sh)" >&2
            bad=1
        fi
    done
    [ "$bad" -eq 0 ] && echo "format: ${#files[@]} files ok"
    exit "$bad"
fi
clang-format --style=file -i "${files[@]}"
