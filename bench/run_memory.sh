#!/usr/bin/env bash
# run_memory.sh [BUILD_DIR]: the memory bound of the identity store.
# Generates 1,000,000 records over 1,000,000 identities (every identity appears: the worst case
# for per-identity state), runs `trailwarden replay -j2 --stats` on it under GNU time, and
# reports peak RSS, live and evicted identities, against the budget 1 KiB x identities + 64 MiB.
# The trail is generated once and cached (see run_throughput.sh). GNU time is not installed by
# a bench: without it the peak RSS is not measured, the rest is reported, and the exit status
# is 1.
#
# With TW_BENCH_GRANTS=1, every role and IAM user of the trail (all of its identities but a
# handful) also holds two grants from an IAM inventory (bench/gen_inventory.py: an AWS managed
# policy and an inline policy each, 780 MB of JSON for a million identities, generated once in
# about 2.5 minutes and cached), replay runs with --grants, and the same budget holds for
# everything together: issue 4's "grants inside the per-identity budget, 1 KiB in all".
#
# Environment: TW_BENCH_DIR (cache, default ${TMPDIR:-/tmp}/trailwarden-bench),
# TW_BENCH_IDENTITIES (default 1000000; records = identities), TW_BENCH_THREADS (default 2),
# TW_BENCH_GNU_TIME (default /usr/bin/time), TW_BENCH_GRANTS (default 0).
set -euo pipefail

BUILD=${1:-build}
TW=$BUILD/trailwarden
IDENTITIES=${TW_BENCH_IDENTITIES:-1000000}
THREADS=${TW_BENCH_THREADS:-2}
SEED=1
CACHE=${TW_BENCH_DIR:-${TMPDIR:-/tmp}/trailwarden-bench}
GNU_TIME=${TW_BENCH_GNU_TIME:-/usr/bin/time}
GRANTS=${TW_BENCH_GRANTS:-0}
HERE=$(cd "$(dirname "$0")" && pwd)

die() { echo "run_memory: $*" >&2; exit 1; }

[ -x "$TW" ] || die "$TW not found: build first (cmake --build $BUILD), or pass BUILD_DIR"
mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fingerprint=$("$TW" gen -q -n 1000 --scenario all | sha256sum | cut -c1-12)
DATA=$CACHE/identities-n$IDENTITIES-s$SEED-$fingerprint.ndjson.zst
if [ ! -s "$DATA" ]; then
    echo "generating $IDENTITIES records over $IDENTITIES identities into $DATA" >&2
    "$TW" gen -n "$IDENTITIES" --identities "$IDENTITIES" --seed "$SEED" --format zstd \
        -o "$WORK/data.zst" || die "trailwarden gen failed"
    mv "$WORK/data.zst" "$DATA"
fi

grants_args=()
if [ "$GRANTS" = 1 ]; then
    command -v python3 >/dev/null || die "python3 is needed (bench/gen_inventory.py)"
    invprint=$(sha256sum "$HERE/gen_inventory.py" | cut -c1-8)
    INV=${DATA%.ndjson.zst}.inventory-all-$invprint.json
    if [ ! -s "$INV" ]; then
        echo "generating the inventory (every role and user of the trail) into $INV" >&2
        python3 "$HERE/gen_inventory.py" -n "$IDENTITIES" --seed "$SEED" -o "$WORK/inv.json" \
            "$DATA" || die "gen_inventory.py failed"
        mv "$WORK/inv.json" "$INV"
    fi
    grants_args=(--grants "$INV")
fi

have_time=0
if [ -x "$GNU_TIME" ] && "$GNU_TIME" -v true >/dev/null 2>&1; then
    have_time=1
fi
cmd=("$TW" replay -j"$THREADS" -q --stats "${grants_args[@]}" "$DATA")
if [ "$have_time" = 1 ]; then
    "$GNU_TIME" -v -o "$WORK/time.txt" "${cmd[@]}" >/dev/null 2>"$WORK/stats.txt" ||
        { cat "$WORK/stats.txt" >&2; die "trailwarden replay failed"; }
else
    "${cmd[@]}" >/dev/null 2>"$WORK/stats.txt" ||
        { cat "$WORK/stats.txt" >&2; die "trailwarden replay failed"; }
fi

# --stats prints "name value" lines (state.identities.live, state.evicted, ...).
stat_of() { awk -v k="$1" '$1 == k { print $2; exit }' "$WORK/stats.txt"; }
live=$(stat_of state.identities.live)
peak=$(stat_of state.identities.peak)
evicted=$(stat_of state.evicted)
wall=$(stat_of wall_seconds)

echo
echo "trailwarden memory bench: $IDENTITIES records over $IDENTITIES identities, replay -j$THREADS"
echo "data: $DATA"
if [ "$GRANTS" = 1 ]; then
    echo "grants: $INV"
    echo "  identities holding grants   $(stat_of grants.identities) ($(stat_of grants.from_inventory) grants from the inventory)"
fi
echo "  live identities at the end  ${live:-?}"
echo "  peak live identities        ${peak:-?}"
echo "  evicted                     ${evicted:-?}"
[ -n "$wall" ] && echo "  replay wall time            $wall s"
if [ -z "$live" ] || [ -z "$evicted" ]; then
    echo "  (--stats output did not name state.identities.live / state.evicted; it was:)"
    sed 's/^/    /' "$WORK/stats.txt"
fi
held=${peak:-${live:-$IDENTITIES}}
budget_kib=$((held + 64 * 1024))
if [ "$have_time" = 0 ]; then
    echo "  peak RSS                    not measured: GNU time ($GNU_TIME) is not installed"
    echo "                              (apt-get install time, then run again)"
    printf '  budget                      1 KiB x %s + 64 MiB = %.1f MiB\n' "$held" \
        "$(awk -v k="$budget_kib" 'BEGIN { print k / 1024 }')"
    exit 1
fi
rss_kib=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$WORK/time.txt")
[ -n "$rss_kib" ] || die "no peak RSS in GNU time's report"
awk -v rss="$rss_kib" -v b="$budget_kib" -v n="$held" 'BEGIN {
    printf "  peak RSS                    %.1f MiB (%.0f bytes an identity over the 64 MiB base)\n",
           rss / 1024, (rss - 65536) * 1024 / (n > 0 ? n : 1)
    printf "  budget                      1 KiB x %d + 64 MiB = %.1f MiB: %s\n", n, b / 1024,
           rss <= b ? "within" : "OVER"
}'
