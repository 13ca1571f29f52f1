#!/usr/bin/env bash
# run_consume_ab.sh BUILD_A BUILD_B: consume's throughput, two builds against each other in the
# same run. One mock cluster (tw_mock_kafka of BUILD_B, 3 brokers), one topic of
# TW_BENCH_PARTITIONS partitions preloaded with the first TW_BENCH_N records of the cached
# bench trail (bench/run_latency.sh's: generated if missing); then ROUNDS rounds, each running
# `consume --exit-at-end` of A then of B, in a new group each time, and timing each from start
# to exit (date). Alternating spreads the VM's slow moments over both; medians, not best runs,
# are compared (best runs hide what most runs do). Each run's kafka.chunks and
# kafka.messages are shown (every run must read every record). A fixed cost is in every run:
# joining the group, about 3 s with the mock, the same for both builds.
#
# Environment: TW_BENCH_DIR (cache), TW_BENCH_N (records, default 167000; the mock keeps about
# 5 MB a partition), TW_BENCH_PARTITIONS (default 64), TW_BENCH_ROUNDS (default 6),
# TW_BENCH_FETCH_WAIT_MS (default 10, as run_latency.sh).
set -euo pipefail

A=${1:?usage: run_consume_ab.sh BUILD_A BUILD_B}
B=${2:?usage: run_consume_ab.sh BUILD_A BUILD_B}
HERE=$(cd "$(dirname "$0")" && pwd)
N=${TW_BENCH_N:-167000}
PARTS=${TW_BENCH_PARTITIONS:-64}
ROUNDS=${TW_BENCH_ROUNDS:-6}
FETCH_WAIT=${TW_BENCH_FETCH_WAIT_MS:-10}
CACHE=${TW_BENCH_DIR:-${TMPDIR:-/tmp}/trailwarden-bench}

die() { echo "run_consume_ab: $*" >&2; exit 1; }
for exe in "$A/trailwarden" "$B/trailwarden" "$B/tw_latency_produce" "$B/tests/kafka/tw_mock_kafka"; do
    [ -x "$exe" ] || die "$exe not found: build both first"
done
command -v zstd >/dev/null || die "zstd (the command) is needed: apt-get install zstd"
mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/ab.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fingerprint=$("$B/trailwarden" gen -q -n 1000 --scenario all | sha256sum | cut -c1-12)
DATA=$CACHE/trail-n1000000-s1-zstd3-$fingerprint.ndjson.zst
if [ ! -s "$DATA" ]; then
    echo "generating 1000000 records into $DATA" >&2
    "$B/trailwarden" gen -n 1000000 --seed 1 --scenario all --format zstd -o "$WORK/data.zst" ||
        die "trailwarden gen failed"
    mv "$WORK/data.zst" "$DATA"
fi
(set +o pipefail; zstd -dc "$DATA" | head -n "$N") >"$WORK/trail.ndjson"

export KAFKA_MOCK_BIN=$B/tests/kafka/tw_mock_kafka
# shellcheck source=../tests/kafka/lib.sh
source "$HERE/../tests/kafka/lib.sh"
kafka_start --brokers 3 || die "tw_mock_kafka did not start"
kafka_cmd "topic ab $PARTS" || die "cannot create topic ab"
"$B/tw_latency_produce" -b "$KAFKA_BOOTSTRAP" -t ab -r 0 -k -i "$WORK/trail.ndjson" \
    2>"$WORK/produce.err" || die "preloading failed: $(cat "$WORK/produce.err")"
OPTS=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X "fetch.wait.max.ms=$FETCH_WAIT")

run() { # NAME BUILD ROUND: one consume, its wall time, chunks and messages on stdout
    local s e
    s=$(date +%s.%N)
    "$2/trailwarden" consume -b "$KAFKA_BOOTSTRAP" -t ab -G "ab-$1-$3-$RANDOM" "${OPTS[@]}" \
        --exit-at-end --stats -q -f compact -o stdout >/dev/null 2>"$WORK/$1.err" ||
        die "consume ($1) failed: $(tail -3 "$WORK/$1.err")"
    e=$(date +%s.%N)
    printf '%s %.3f %s %s\n' "$1" "$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')" \
        "$(awk '$1 == "kafka.chunks" { print $2 }' "$WORK/$1.err")" \
        "$(awk '$1 == "kafka.messages" { print $2 }' "$WORK/$1.err")"
}
for r in $(seq "$ROUNDS"); do
    run A "$A" "$r"
    run B "$B" "$r"
done >"$WORK/runs"
kafka_stop || true

awk -v n="$N" '$4 != n { bad = bad " " $1 "(" $4 ")" } END { if (bad != "") { print "run_consume_ab: runs that did not read every record:" bad > "/dev/stderr"; exit 1 } }' "$WORK/runs"
echo
echo "consume A/B: $N records from $PARTS partitions, fetch.wait.max.ms=$FETCH_WAIT, $ROUNDS rounds alternating"
echo "  A = $A"
echo "  B = $B"
for x in A B; do
    awk -v x="$x" '$1 == x { print $2, $3 }' "$WORK/runs" | sort -n | awk -v x="$x" '
        { t[NR] = $1; c[NR] = $2; all = all " " $1 }
        END {
            m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
            cmin = c[1]; cmax = c[1]
            for (i = 2; i <= NR; i++) { if (c[i] < cmin) cmin = c[i]; if (c[i] > cmax) cmax = c[i] }
            printf "  %s  wall (s, sorted):%s   median %.3f   chunks %d-%d\n", x, all, m, cmin, cmax
        }'
done
