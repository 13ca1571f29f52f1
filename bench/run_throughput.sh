#!/usr/bin/env bash
# run_throughput.sh [BUILD_DIR]: how fast `trailwarden replay` reads a trail, against
#   (a) the floor: zstd -dc FILE | tw_floor (simdjson pulling four fields a line, nothing else)
#   (b) trailwarden replay -j2 FILE (findings to /dev/null)
#   (c) zstd -dc FILE | jq -c 'select(.eventName == "DeleteBucket")', the everyday baseline,
#       run on a 50,000-record prefix and scaled to the whole file (jq is slow)
#   (d) trailwarden replay -j2 DIR over the same trail in CloudTrail's gzip S3 layout (one
#       {"Records":[...]} file a region and 5 minutes), the incident responder's case
# The trail (500,000 records, zstd -3) is generated once and cached, keyed by the parameters
# and a fingerprint of the generator's output. Each command is timed best of 3 (hyperfine when
# installed, else date +%s.%N). Exits non-zero if a command fails; missed targets are reported,
# not fatal.
#
# Environment: TW_BENCH_DIR (cache, default ${TMPDIR:-/tmp}/trailwarden-bench),
# TW_BENCH_RECORDS (default 500000), TW_BENCH_THREADS (replay -j, default 2),
# TW_BENCH_TIMER=date (skip hyperfine).
set -euo pipefail

BUILD=${1:-build}
TW=$BUILD/trailwarden
FLOOR=$BUILD/tw_floor
RECORDS=${TW_BENCH_RECORDS:-500000}
THREADS=${TW_BENCH_THREADS:-2}
JQ_RECORDS=50000
SEED=1
LEVEL=3
CACHE=${TW_BENCH_DIR:-${TMPDIR:-/tmp}/trailwarden-bench}
RUNS=3

die() { echo "run_throughput: $*" >&2; exit 1; }

for exe in "$TW" "$FLOOR"; do
    [ -x "$exe" ] || die "$exe not found: build first (cmake --build $BUILD), or pass BUILD_DIR"
done
command -v zstd >/dev/null || die "zstd (the command) is needed: apt-get install zstd"
HAVE_JQ=1
command -v jq >/dev/null || HAVE_JQ=0
# shellcheck source=timing.sh
source "$(dirname "$0")/timing.sh" # TIMER, best_of

mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# ---- data, generated once per parameters and generator version -------------------------
fingerprint=$("$TW" gen -q -n 1000 --scenario all | sha256sum | cut -c1-12)
DATA=$CACHE/trail-n$RECORDS-s$SEED-zstd$LEVEL-$fingerprint.ndjson.zst
PREFIX=$CACHE/trail-n$RECORDS-s$SEED-zstd$LEVEL-$fingerprint.prefix$JQ_RECORDS.ndjson.zst
if [ ! -s "$DATA" ]; then
    echo "generating $RECORDS records into $DATA" >&2
    "$TW" gen -n "$RECORDS" --seed "$SEED" --scenario all --format zstd --zstd-level "$LEVEL" \
        -o "$WORK/data.zst" || die "trailwarden gen failed"
    mv "$WORK/data.zst" "$DATA"
fi
if [ "$HAVE_JQ" = 1 ] && [ ! -s "$PREFIX" ]; then
    # head closes the pipe early on purpose, so zstd -dc's SIGPIPE is expected here.
    set +o pipefail
    zstd -dc "$DATA" | head -n "$JQ_RECORDS" | zstd -q -"$LEVEL" -o "$WORK/prefix.zst"
    set -o pipefail
    [ "$(zstd -dc "$WORK/prefix.zst" | wc -l)" -eq "$JQ_RECORDS" ] || die "could not cut the jq prefix"
    mv "$WORK/prefix.zst" "$PREFIX"
fi

S3DIR=$CACHE/trail-n$RECORDS-s$SEED-s3-$fingerprint
if [ ! -d "$S3DIR" ]; then
    echo "generating $RECORDS records into $S3DIR (gzip S3 layout)" >&2
    "$TW" gen -q -n "$RECORDS" --seed "$SEED" --scenario all --format s3 -o "$WORK/s3" ||
        die "trailwarden gen --format s3 failed"
    mv "$WORK/s3" "$S3DIR"
fi

# ---- timing ------------------------------------------------------------------------------

# The floor, once untimed: it counts the records and bytes, and warms the page cache.
floor_out=$(zstd -dc "$DATA" | "$FLOOR") || die "floor failed"
records=$(sed -n 's/.*lines=\([0-9]*\).*/\1/p' <<<"$floor_out")
bytes=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' <<<"$floor_out")
[ -n "$records" ] && [ "$records" -gt 0 ] || die "floor read no records: $floor_out"
"$TW" replay -j"$THREADS" -q "$DATA" >/dev/null || die "trailwarden replay failed"

q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
t_floor=$(best_of "zstd -dc $(q "$DATA") | $(q "$FLOOR") >/dev/null") || die "floor command failed"
t_replay=$(best_of "$(q "$TW") replay -j$THREADS -q $(q "$DATA") >/dev/null") ||
    die "replay command failed"
s3_files=$(find "$S3DIR" -name '*.json.gz' | wc -l)
t_s3=$(best_of "$(q "$TW") replay -j$THREADS -q $(q "$S3DIR") >/dev/null") ||
    die "replay over the S3 layout failed"
t_jq=""
if [ "$HAVE_JQ" = 1 ]; then
    prefix_bytes=$(zstd -dc "$PREFIX" | wc -c)
    t_jq=$(best_of "zstd -dc $(q "$PREFIX") | jq -c 'select(.eventName == \"DeleteBucket\")' >/dev/null") ||
        die "jq command failed"
fi

# ---- report ------------------------------------------------------------------------------
cpu=$(awk -F: '/model name/ { sub(/^ +/, "", $2); print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo
echo "trailwarden throughput bench: $(nproc) CPUs${cpu:+, $cpu}; timer $TIMER, best of $RUNS"
printf 'data: %s\n      %s records, %.1f MB of NDJSON (%.1f MB zstd -%s)\n' "$DATA" "$records" \
    "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" \
    "$(awk -v b="$(stat -c %s "$DATA")" 'BEGIN { print b / 1e6 }')" "$LEVEL"
echo
row() { # label seconds records bytes
    awk -v l="$1" -v t="$2" -v r="$3" -v b="$4" \
        'BEGIN { printf "  %-44s %9.3f s %12.0f rec/s %9.1f MB/s\n", l, t, r / t, b / 1e6 / t }'
}
row "(a) floor: zstd -dc | tw_floor" "$t_floor" "$records" "$bytes"
row "(b) trailwarden replay -j$THREADS" "$t_replay" "$records" "$bytes"
if [ -n "$t_jq" ]; then
    row "(c) zstd -dc | jq select, $JQ_RECORDS-record prefix" "$t_jq" "$JQ_RECORDS" "$prefix_bytes"
    awk -v t="$t_jq" -v n="$JQ_RECORDS" -v r="$records" \
        'BEGIN { printf "      jq is slow: it ran on the first %d records only; the whole file would take about %.1f s\n", n, t * r / n }'
else
    echo "  (c) jq is not installed: baseline skipped"
fi
row "(d) replay -j$THREADS, gzip S3 layout ($s3_files files)" "$t_s3" "$records" "$bytes"
echo
verdict() { awk -v v="$1" -v min="$2" 'BEGIN { print (v >= min) ? "ok" : "MISSED" }'; }
r_floor=$(awk -v f="$t_floor" -v t="$t_replay" 'BEGIN { printf "%.3f", f / t }')
printf '  replay/floor  %8s   (throughput ratio; target >= 0.667)  %s\n' "$r_floor" "$(verdict "$r_floor" 0.667)"
if [ -n "$t_jq" ]; then
    r_jq=$(awk -v j="$t_jq" -v n="$JQ_RECORDS" -v t="$t_replay" -v r="$records" \
        'BEGIN { printf "%.1f", (r / t) / (n / j) }')
    printf '  replay/jq     %8s   (throughput ratio; target >= 10)     %s\n' "$r_jq" "$(verdict "$r_jq" 10)"
fi
