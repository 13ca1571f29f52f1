#!/usr/bin/env bash
# run_grant_books.sh [BUILD_DIR]: what the grant books of `consume --state-topic` (one per
# partition, docs/consume.md) weigh in the changelog, and what they cost a consume.
#
# A trail of TW_BENCH_N records over TW_BENCH_IDENTITIES identities (`gen --scenario all`,
# cached) and an IAM inventory giving TW_BENCH_GRANTED of them two grants each
# (bench/gen_inventory.py: an AWS managed policy and an inline policy) are routed into a keyed
# topic of TW_BENCH_PARTITIONS partitions on the mock cluster (route: zstd batches, so the mock
# keeps the trail). Then, RUNS rounds of, in turn:
#   (g0) consume --exit-at-end --state-topic S --grants INVENTORY, a new group and changelog
#   (n0) the same without --grants (the books hold only the stream's grants)
# each timed from start to exit. Reported: each run's wall time and the seconds before its
# assignment; for the last (g0), every partition's book record in the changelog (key NUL
# "grants": its size as written, zstd-compressed, against the producer's message.max.bytes,
# 1,000,000 by default) and the principals it holds (grants.identities summed over the books).
#
# Environment: TW_BENCH_DIR (cache), TW_BENCH_N (default 40000), TW_BENCH_IDENTITIES (default
# 10000), TW_BENCH_GRANTED (default 10000), TW_BENCH_PARTITIONS (default 16), RUNS (default 3).
set -euo pipefail
BUILD=${1:-build}
TW=$BUILD/trailwarden
MOCK=$BUILD/tests/kafka/tw_mock_kafka
HERE=$(cd "$(dirname "$0")" && pwd)
N=${TW_BENCH_N:-40000}
IDENTITIES=${TW_BENCH_IDENTITIES:-10000}
GRANTED=${TW_BENCH_GRANTED:-10000}
PARTS=${TW_BENCH_PARTITIONS:-16}
RUNS=${RUNS:-3}
CACHE=${TW_BENCH_DIR:-${TMPDIR:-/tmp}/trailwarden-bench}

die() { echo "run_grant_books: $*" >&2; exit 1; }
for exe in "$TW" "$MOCK"; do
    [ -x "$exe" ] || die "$exe not found: build first (cmake --build $BUILD), or pass BUILD_DIR"
done
command -v kcat >/dev/null || die "kcat is needed (scripts/install-deps.sh installs it)"
command -v python3 >/dev/null || die "python3 is needed (bench/gen_inventory.py)"
mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/books.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fingerprint=$("$TW" gen -q -n 1000 --scenario all | sha256sum | cut -c1-12)
DATA=$CACHE/books-n$N-i$IDENTITIES-s1-$fingerprint.ndjson
if [ ! -s "$DATA" ]; then
    echo "generating $N records over $IDENTITIES identities into $DATA" >&2
    "$TW" gen -q -n "$N" --identities "$IDENTITIES" --seed 1 --scenario all -o "$WORK/d" ||
        die "trailwarden gen failed"
    mv "$WORK/d" "$DATA"
fi
invprint=$(sha256sum "$HERE/gen_inventory.py" | cut -c1-8)
INV=${DATA%.ndjson}.inventory-g$GRANTED-$invprint.json
if [ ! -s "$INV" ]; then
    python3 "$HERE/gen_inventory.py" -n "$GRANTED" --seed 1 -o "$WORK/inv.json" "$DATA" \
        2>"$WORK/inv.log" || die "gen_inventory.py failed: $(cat "$WORK/inv.log")"
    mv "$WORK/inv.json" "$INV"
fi

export KAFKA_MOCK_BIN=$MOCK
# shellcheck source=../tests/kafka/lib.sh
source "$HERE/../tests/kafka/lib.sh"
kafka_start --brokers 1 || die "tw_mock_kafka did not start"
kafka_cmd "topic keyed $PARTS" || die "cannot create topic keyed"
"$TW" route -b "$KAFKA_BOOTSTRAP" -X compression.type=zstd -o kafka:keyed --stats "$DATA" \
    2>"$WORK/route.err" || die "route failed: $(tail -3 "$WORK/route.err")"
copies=$(awk '$1 == "route.grant_copies" { print $2 }' "$WORK/route.err")
messages=$(($(wc -l <"$DATA") + PARTS * copies))

stat_of() { awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }' "$1"; }

run() { # NAME ROUND: "NAME wall pre_assignment grants.identities changelog.bytes"
    local s e err=$WORK/$1-$2.err a
    local -a extra=()
    [ "$1" = g0 ] && extra=(--grants "$INV")
    kafka_cmd "topic state-$1-$2 $PARTS" || die "cannot create topic state-$1-$2"
    s=$(date +%s.%N)
    "$TW" consume -b "$KAFKA_BOOTSTRAP" -t keyed -G "books-$1-$2" --state-topic "state-$1-$2" \
        "${extra[@]}" -X debug=cgrp --exit-at-end --stats -q -f compact -o stdout \
        >/dev/null 2>"$err" || die "consume ($1) failed: $(tail -3 "$err")"
    e=$(date +%s.%N)
    [ "$(stat_of "$err" kafka.messages)" -eq "$messages" ] ||
        die "consume ($1, round $2) read $(stat_of "$err" kafka.messages) messages of $messages"
    a=$(awk -F'|' '$3 == "ASSIGN" { print $2; exit }' "$err")
    printf '%s %.3f %.3f %s %s\n' "$1" "$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')" \
        "$(awk -v s="$s" -v a="${a:-$s}" 'BEGIN { print a - s }')" \
        "$(stat_of "$err" grants.identities)" "$(stat_of "$err" kafka.changelog.bytes)"
}

for r in $(seq "$RUNS"); do
    run g0 "$r"
    run n0 "$r"
done >"$WORK/runs"

# the last --grants run's books: key NUL "grants", one a partition
KAFKA_FORMAT='%p %S %k\n' kafka_consume_all "state-g0-$RUNS" 120 | tr -d '\000' |
    awk '$3 == "grants" { print $1, $2 }' | sort -n >"$WORK/books"
kafka_stop || true
[ -s "$WORK/books" ] || die "no grant book in the changelog"

echo "grant books: $(wc -l <"$DATA") records, $IDENTITIES identities, an inventory giving $GRANTED of them 2 grants each, $PARTS partitions, $copies grant calls copied to each"
echo "  runs (name, wall s, s before the assignment, grants.identities, kafka.changelog.bytes):"
sed 's/^/    /' "$WORK/runs"
awk '{ w[$1] += $2 - $3; n[$1]++ } END {
        printf "  mean wall after the assignment: --grants %.3f s, without %.3f s\n", w["g0"] / n["g0"], w["n0"] / n["n0"] }' "$WORK/runs"
awk -v parts="$PARTS" '{ s += $2; if ($2 > m) m = $2; if (min == "" || $2 < min) min = $2 } END {
        printf "  book records (zstd): %d of %d partitions, %d to %d bytes, %.0f mean, %d in all; the largest is %.1f%% of message.max.bytes (1,000,000)\n",
            NR, parts, min, m, s / NR, s, m / 10000 }' "$WORK/books"
