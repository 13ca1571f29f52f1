#!/usr/bin/env bash
# The main job: build trailwarden, generate a trail with injected scope drift, replay it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
tw=build/release/trailwarden
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== generating a 24 h trail (200,000 records, 2,000 identities, drift injected) in CloudTrail's S3 layout"
"$tw" gen --records 200000 --identities 2000 --scenario all --format s3 -o "$work/trail"
echo
echo "== trailwarden replay -f compact --stats $work/trail"
"$tw" replay -f compact --stats "$work/trail"
