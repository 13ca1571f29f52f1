#!/usr/bin/env bash
# run_consume_vs_replay.sh [BUILD_DIR]: consume's throughput against replay's on the same
# records, in the same run, with the changelog (--state-topic, issue 16) off and on.
#
# One mock cluster (tw_mock_kafka of BUILD_DIR, 3 brokers); a trail of TW_BENCH_N records
# (`gen -n N --seed 1 --scenario all`, NDJSON, cached) routed (`trailwarden route`, key =
# identity key) into a keyed topic of TW_BENCH_PARTITIONS partitions; the mock keeps about
# 5 MB a partition and keys spread unevenly (busy identities), so the harness checks that no
# partition lost a record (kafka_partition_counts: first offsets 0, the sum is the trail).
# Then ROUNDS rounds, each running, in this order:
#   (r)   trailwarden replay -j2 -q --stats -f compact FILE
#   (c0)  trailwarden consume --exit-at-end --stats -q -f compact (a new group)
#   (c1)  the same with --state-topic STATE-R, a changelog topic of its own (16 partitions,
#         empty: nothing to restore; every identity written at the shutdown barrier, as the
#         default --checkpoint-every of 1m is longer than a run)
# each timed from start to exit (date), output to /dev/null, both consumes with -X
# debug=cgrp so that librdkafka's log timestamps the assignment (the first "ASSIGN" line).
# Every run must count the trail's events (ingest.events). For (c1) the longest `paused` of its
# kafka.restore lines is shown too: restores run one partition at a time.
#
# Reported, medians over the rounds: events/s = events / wall for each; the raw ratio
# consume/replay (wall against wall, everything included); and the ratio excluding the wait
# before the assignment (consume's events / (wall - (assignment - start))), labelled: that
# wait is the process start, the group join (about 3 s with the mock) and, with --state-topic,
# the changelog checks at start (the mock does not answer DescribeConfigs: 3 s until consume
# gives up and warns). Target: consume/replay >= 0.8, changelog off and on.
#
# Environment: TW_BENCH_DIR (cache), TW_BENCH_N (records, default 30000: ~45 MB, the largest
# partition about 4 MB), TW_BENCH_PARTITIONS (default 16), TW_BENCH_ROUNDS (default 5),
# TW_BENCH_THREADS (replay -j and consume -j, default 2), TW_BENCH_FETCH_WAIT_MS (default 10),
# TW_BENCH_COMPRESSION (route's batches: none, or zstd, which lets the mock keep about six
# times more records a partition, so the fixed costs of a run weigh less).
set -euo pipefail

BUILD=${1:-build}
TW=$BUILD/trailwarden
MOCK=$BUILD/tests/kafka/tw_mock_kafka
HERE=$(cd "$(dirname "$0")" && pwd)
N=${TW_BENCH_N:-30000}
PARTS=${TW_BENCH_PARTITIONS:-16}
ROUNDS=${TW_BENCH_ROUNDS:-5}
THREADS=${TW_BENCH_THREADS:-2}
FETCH_WAIT=${TW_BENCH_FETCH_WAIT_MS:-10}
CACHE=${TW_BENCH_DIR:-${TMPDIR:-/tmp}/trailwarden-bench}
COMPRESSION=${TW_BENCH_COMPRESSION:-none}

die() { echo "run_consume_vs_replay: $*" >&2; exit 1; }
for exe in "$TW" "$MOCK"; do
    [ -x "$exe" ] || die "$exe not found: build first (cmake --build $BUILD), or pass BUILD_DIR"
done
command -v kcat >/dev/null || die "kcat is needed (scripts/install-deps.sh installs it)"
mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/cvr.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fingerprint=$("$TW" gen -q -n 1000 --scenario all | sha256sum | cut -c1-12)
DATA=$CACHE/trail-n$N-s1-ndjson-$fingerprint.ndjson
if [ ! -s "$DATA" ]; then
    echo "generating $N records into $DATA" >&2
    "$TW" gen -q -n "$N" --seed 1 --scenario all -o "$WORK/data.tmp" || die "trailwarden gen failed"
    mv "$WORK/data.tmp" "$DATA"
fi
records=$(wc -l <"$DATA")
bytes=$(stat -c %s "$DATA")

export KAFKA_MOCK_BIN=$MOCK
# shellcheck source=../tests/kafka/lib.sh
source "$HERE/../tests/kafka/lib.sh"
kafka_start --brokers 3 || die "tw_mock_kafka did not start"
kafka_cmd "topic keyed $PARTS" || die "cannot create topic keyed"
"$TW" route -b "$KAFKA_BOOTSTRAP" -X "compression.type=$COMPRESSION" -o kafka:keyed --stats "$DATA" \
    2>"$WORK/route.err" ||
    die "route failed: $(tail -3 "$WORK/route.err")"
# the records, and the copies of grant calls route writes to every partition
messages=$((records + PARTS * $(awk '$1 == "route.grant_copies" { c = $2 } END { print c + 0 }' "$WORK/route.err")))
kafka_partition_counts keyed 60 >"$WORK/counts" || die "cannot count the keyed topic"
awk -v n="$messages" -v p="$PARTS" '
    { sum += $2; if ($3 > 0) lost = lost " " $1 "(first offset " $3 ")"; if ($2 > max) max = $2; if (min == "" || $2 < min) min = $2 }
    END {
        if (lost != "") { print "run_consume_vs_replay: the mock dropped records of partitions" lost "; lower TW_BENCH_N" > "/dev/stderr"; exit 1 }
        if (sum != n) { print "run_consume_vs_replay: the keyed topic holds " sum " records of " n > "/dev/stderr"; exit 1 }
        printf "keyed topic: %d records in %d partitions (%d to %d a partition)\n", sum, NR, min, max
    }' "$WORK/counts"
cat "$DATA" >/dev/null # the page cache
OPTS=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X "fetch.wait.max.ms=$FETCH_WAIT" -X debug=cgrp)

stat_of() { awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }' "$1"; }

mock_ticks() { # the mock broker's CPU so far (user + system, clock ticks)
    awk '{ print $14 + $15 }' "/proc/$(kafka_pid)/stat"
}

run() { # NAME ROUND: "NAME wall events pre_assignment changelog paused cpu mock_cpu" on stdout
    local s e err=$WORK/$1-$2.err a=0 m0 m1 cpu
    local -a extra=()
    m0=$(mock_ticks)
    s=$(date +%s.%N)
    case $1 in
    k)
        # the floor the cluster sets: kcat reads every message and writes nothing of it
        /usr/bin/time -f '%U %S' -o "$WORK/time" kcat -C -b "$KAFKA_BOOTSTRAP" -t keyed -o beginning \
            -e -q -f '\n' -X "fetch.wait.max.ms=$FETCH_WAIT" >"$WORK/k.out" 2>"$err" ||
            die "kcat failed: $(tail -3 "$err")"
        echo "ingest.events $(wc -l <"$WORK/k.out")" >>"$err"
        ;;
    r)
        /usr/bin/time -f '%U %S' -o "$WORK/time" \
            "$TW" replay -j"$THREADS" -q --stats -f compact "$DATA" >/dev/null 2>"$err" ||
            die "replay failed: $(tail -3 "$err")"
        ;;
    c0 | c1)
        if [ "$1" = c1 ]; then
            kafka_cmd "topic state-$2 $PARTS" || die "cannot create topic state-$2"
            extra=(--state-topic "state-$2")
            s=$(date +%s.%N) # the topic's creation is not the run's
        fi
        /usr/bin/time -f '%U %S' -o "$WORK/time" \
            "$TW" consume -b "$KAFKA_BOOTSTRAP" -t keyed -G "cvr-$1-$2-$RANDOM" -j"$THREADS" "${OPTS[@]}" \
            "${extra[@]}" --exit-at-end --stats -q -f compact -o stdout >/dev/null 2>"$err" ||
            die "consume ($1) failed: $(tail -3 "$err")"
        ;;
    esac
    e=$(date +%s.%N)
    m1=$(mock_ticks)
    cpu=$(awk '{ print $1 + $2 }' "$WORK/time")
    if [ "$1" = c0 ] || [ "$1" = c1 ]; then
        [ "$(stat_of "$err" kafka.messages)" -eq "$messages" ] ||
            die "consume ($1, round $2) read $(stat_of "$err" kafka.messages) messages of $messages"
        a=$(awk -F'|' '$3 == "ASSIGN" { print $2; exit }' "$err")
        [ -n "$a" ] || die "consume ($1, round $2): no ASSIGN line in librdkafka's log"
        a=$(awk -v s="$s" -v a="$a" 'BEGIN { print a - s }')
    fi
    printf '%s %.3f %s %.3f %s %.3f %.2f %.2f\n' "$1" "$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')" \
        "$(stat_of "$err" ingest.events)" "$a" "$(stat_of "$err" kafka.changelog.records)" \
        "$(awk '$1 ~ /^kafka\.restore\./ { for (i = 2; i < NF; i++) if ($i == "paused" && $(i + 1) > m) m = $(i + 1) } END { print m + 0 }' "$err")" \
        "$cpu" "$(awk -v a="$m0" -v b="$m1" -v t="$(getconf CLK_TCK)" 'BEGIN { print (b - a) / t }')"
}

for r in $(seq "$ROUNDS"); do
    run k "$r"
    run r "$r"
    run c0 "$r"
    run c1 "$r"
done >"$WORK/runs"
kafka_stop || true

awk '$1 != "k" { print $3 }' "$WORK/runs" | sort -u | awk 'END { if (NR != 1) { print "run_consume_vs_replay: the runs counted different numbers of events" > "/dev/stderr"; exit 1 } }' ||
    { cat "$WORK/runs" >&2; exit 1; }
events=$(awk '$1 == "r" { print $3; exit }' "$WORK/runs")
awk -v e="$messages" '$1 == "k" && $3 != e { print "run_consume_vs_replay: kcat read " $3 " messages of " e > "/dev/stderr"; exit 1 }' "$WORK/runs"
echo
echo "consume against replay (route's batches: $COMPRESSION): $records records ($(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB of NDJSON, $events events), $PARTS partitions, -j$THREADS, fetch.wait.max.ms=$FETCH_WAIT, $ROUNDS rounds (r, c0, c1 in turn)"
echo "  runs (name, wall s, events, seconds before the assignment, changelog records written,"
echo "        the longest kafka.restore paused of a partition, CPU s of the process (user+sys),"
echo "        CPU s of the mock broker meanwhile):"
sed 's/^/    /' "$WORK/runs"
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v x="$1" -v c="$2" '$1 == x { print $c }' "$WORK/runs"; }
net() { awk -v x="$1" '$1 == x { print $2 - $4 }' "$WORK/runs"; }
w_r=$(col r 2 | median)
w_k=$(col k 2 | median)
echo
printf '  %-44s wall %7.3f s  %9.0f messages/s   CPU %.2f s, the mock %.2f s\n' "(k) kcat -C (the cluster's floor)" "$w_k" \
    "$(awk -v e="$events" -v w="$w_k" 'BEGIN { print e / w }')" "$(col k 7 | median)" "$(col k 8 | median)"
printf '  %-44s wall %7.3f s  %9.0f events/s     CPU %.2f s\n' "(r) replay -j$THREADS" "$w_r" \
    "$(awk -v e="$events" -v w="$w_r" 'BEGIN { print e / w }')" "$(col r 7 | median)"
verdict() { awk -v v="$1" 'BEGIN { print (v >= 0.8) ? "ok" : "MISSED" }'; }
for x in c0 c1; do
    label="(c0) consume"
    [ "$x" = c0 ] || label="(c1) consume --state-topic"
    w=$(col "$x" 2 | median)
    pre=$(col "$x" 4 | median)
    n=$(net "$x" | median)
    printf '  %-44s wall %7.3f s  %9.0f events/s   before the assignment %.3f s; after it %.3f s: %.0f events/s\n' \
        "$label" "$w" "$(awk -v e="$events" -v w="$w" 'BEGIN { print e / w }')" "$pre" "$n" \
        "$(awk -v e="$events" -v w="$n" 'BEGIN { print e / w }')"
    raw=$(awk -v a="$w_r" -v b="$w" 'BEGIN { printf "%.3f", a / b }')
    ex=$(awk -v a="$w_r" -v b="$n" 'BEGIN { printf "%.3f", a / b }')
    printf '      CPU %.2f s (replay %.2f s), the mock %.2f s; after the assignment against kcat -C: %.3f\n' \
        "$(col "$x" 7 | median)" "$(col r 7 | median)" "$(col "$x" 8 | median)" \
        "$(awk -v k="$w_k" -v n="$n" 'BEGIN { printf "%.3f", k / n }')"
    printf '      %s/replay raw (walls, everything included)            %s   (target >= 0.8)  %s\n' "$x" "$raw" "$(verdict "$raw")"
    printf '      %s/replay excluding the wait before the assignment    %s   (target >= 0.8)  %s\n' "$x" "$ex" "$(verdict "$ex")"
done
