#!/usr/bin/env bash
# run_grants.sh [BUILD_DIR]: what grant tracking (issue 4: --grants, the tracker on the router
# thread) costs replay, in throughput, CPU and memory. On a 500,000-record trail over 10,000
# identities (trailwarden gen -n 500k --identities 10000 --scenario all, zstd -3) and an IAM
# inventory (bench/gen_inventory.py) giving 10,000 of the trail's roles and users an AWS
# managed policy and an inline policy each, it runs replay -j2 in these configurations:
#   (a) the default: the shipped rules, which track grants from the stream's IAM calls
#   (b) (a) + --grants INVENTORY
#   (c0) --no-default-rules -r TRIVIAL (one single-event rule): no grant tracking at all
#   (c1) (c0) + --grants INVENTORY: the tracker and its parser hook, without the rules
#   (s0), (s1) (c0) and (c1) over the trail's first 1,000 records: what --grants costs before
#        the first record is read (reading the inventory, expanding its policies), serially
# RUNS rounds (default 3), the configurations alternating within each round, each run
# under GNU time (wall, user+sys CPU, peak RSS). Reports the best wall and the best CPU of
# each, the throughput ratios b/a and c1/c0 (target >= 0.90: "no more than 10% of
# throughput"), the CPU cost in %, and the median peak RSS with and without --grants as extra
# bytes per identity holding grants (target: base per identity + grants <= 1 KiB). Data and
# inventory are generated once and cached, keyed by the parameters and a fingerprint of the
# generator and of gen_inventory.py. Exits non-zero if a command fails; missed targets are
# reported, not fatal.
#
# Environment: TW_BENCH_DIR (cache, default ${TMPDIR:-/tmp}/trailwarden-bench),
# TW_BENCH_RECORDS (default 500000), TW_BENCH_IDENTITIES (trail identities, default 10000),
# TW_BENCH_GRANTED (identities given grants, default 10000), TW_BENCH_THREADS (replay -j,
# default 2), TW_BENCH_RUNS (default 3), TW_BENCH_GNU_TIME (default /usr/bin/time),
# TW_BENCH_BASE_BYTES (the per-identity state without grants, default 486: bench/README.md's
# memory section, shipped rules, worst case).
set -euo pipefail

BUILD=${1:-build}
TW=$BUILD/trailwarden
HERE=$(cd "$(dirname "$0")" && pwd)
RECORDS=${TW_BENCH_RECORDS:-500000}
IDENTITIES=${TW_BENCH_IDENTITIES:-10000}
GRANTED=${TW_BENCH_GRANTED:-10000}
THREADS=${TW_BENCH_THREADS:-2}
RUNS=${TW_BENCH_RUNS:-3}
GNU_TIME=${TW_BENCH_GNU_TIME:-/usr/bin/time}
BASE_BYTES=${TW_BENCH_BASE_BYTES:-486}
SEED=1
LEVEL=3
CACHE=${TW_BENCH_DIR:-${TMPDIR:-/tmp}/trailwarden-bench}

die() { echo "run_grants: $*" >&2; exit 1; }

[ -x "$TW" ] || die "$TW not found: build first (cmake --build $BUILD), or pass BUILD_DIR"
command -v zstd >/dev/null || die "zstd (the command) is needed: apt-get install zstd"
command -v python3 >/dev/null || die "python3 is needed (bench/gen_inventory.py)"
"$GNU_TIME" -f %M true >/dev/null 2>&1 || die "GNU time ($GNU_TIME) is needed: apt-get install time"

mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/grants.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# ---- data and inventory, generated once per parameters and generator version ---------------
fingerprint=$("$TW" gen -q -n 1000 --scenario all | sha256sum | cut -c1-12)
DATA=$CACHE/trail-n$RECORDS-i$IDENTITIES-s$SEED-zstd$LEVEL-$fingerprint.ndjson.zst
if [ ! -s "$DATA" ]; then
    echo "generating $RECORDS records over $IDENTITIES identities into $DATA" >&2
    "$TW" gen -q -n "$RECORDS" --identities "$IDENTITIES" --seed "$SEED" --scenario all \
        --format zstd --zstd-level "$LEVEL" -o "$WORK/data.zst" || die "trailwarden gen failed"
    mv "$WORK/data.zst" "$DATA"
fi
invprint=$(sha256sum "$HERE/gen_inventory.py" | cut -c1-8)
INV=${DATA%.ndjson.zst}.inventory-g$GRANTED-$invprint.json
INV_LOG=$INV.log
if [ ! -s "$INV" ]; then
    echo "generating the inventory ($GRANTED identities) into $INV" >&2
    python3 "$HERE/gen_inventory.py" -n "$GRANTED" --seed "$SEED" -o "$WORK/inv.json" "$DATA" \
        2>"$WORK/inv.log" || { cat "$WORK/inv.log" >&2; die "gen_inventory.py failed"; }
    mv "$WORK/inv.log" "$INV_LOG"
    mv "$WORK/inv.json" "$INV"
fi
inv_summary=$(cat "$INV_LOG" 2>/dev/null || echo "(summary lost)")
granted=$(sed -n 's/.* \([0-9]*\) given grants.*/\1/p' <<<"$inv_summary")
[ -n "$granted" ] && [ "$granted" -gt 0 ] || die "the inventory gives no grants: $inv_summary"

# A 1,000-record prefix: replay over it is mostly setup (rules, and with --grants the
# inventory's load and expansion, which run before any record is read).
PREFIX=$WORK/prefix.ndjson
set +o pipefail # head closes the pipe early on purpose: zstd -dc's SIGPIPE is expected
zstd -dc "$DATA" | head -n 1000 >"$PREFIX"
set -o pipefail
[ "$(wc -l <"$PREFIX")" -eq 1000 ] || die "could not cut a 1,000-record prefix"

mkdir -p "$WORK/trivial"
cat >"$WORK/trivial/trivial.yml" <<'EOF'
title: Bench trivial rule
id: bench-trivial
level: low
logsource:
  product: aws
  service: cloudtrail
detection:
  sel:
    eventName: StopLogging
  condition: sel
EOF

q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
REPLAY="$(q "$TW") replay -j$THREADS -q"
declare -A CMD=(
    [a]="$REPLAY $(q "$DATA")"
    [b]="$REPLAY --grants $(q "$INV") $(q "$DATA")"
    [c0]="$REPLAY --no-default-rules -r $(q "$WORK/trivial") $(q "$DATA")"
    [c1]="$REPLAY --no-default-rules -r $(q "$WORK/trivial") --grants $(q "$INV") $(q "$DATA")"
    [s0]="$REPLAY --no-default-rules -r $(q "$WORK/trivial") $(q "$PREFIX")"
    [s1]="$REPLAY --no-default-rules -r $(q "$WORK/trivial") --grants $(q "$INV") $(q "$PREFIX")"
)
CONFIGS="a b c0 c1 s0 s1"

# Untimed: warms the page cache, checks each command, and reads the counts from --stats.
for c in $CONFIGS; do
    bash -c "${CMD[$c]} --stats >/dev/null 2>$(q "$WORK/stats.$c")" ||
        { cat "$WORK/stats.$c" >&2; die "configuration ($c) failed: ${CMD[$c]}"; }
done
stat_of() { awk -v k="$2" '$1 == k { print $2; exit }' "$WORK/stats.$1"; }
records=$(stat_of a ingest.records)
bytes=$(stat_of a ingest.bytes)
[ -n "$records" ] && [ "$records" -gt 0 ] || die "replay read no records"

# ---- timing: RUNS rounds, the configurations alternating ------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
times=$WORK/times
for ((r = 0; r < RUNS; r++)); do
    for c in $CONFIGS; do
        "$GNU_TIME" -o "$times" -a -f "$c %e %U %S %M" bash -c "${CMD[$c]} >/dev/null" ||
            die "configuration ($c) failed: ${CMD[$c]}"
    done
done

load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# best wall, best user+sys CPU, median peak RSS (KiB) of each configuration
summary=$(awk '{ n = ++cnt[$1]; w[$1, n] = $2; cpu[$1, n] = $3 + $4; rss[$1, n] = $5 }
    END {
        for (c in cnt) {
            bw = bc = ""; m = cnt[c]
            for (i = 1; i <= m; i++) {
                if (bw == "" || w[c, i] < bw) bw = w[c, i]
                if (bc == "" || cpu[c, i] < bc) bc = cpu[c, i]
                r[i] = rss[c, i]
            }
            for (i = 1; i <= m; i++)         # insertion sort of the RSS figures
                for (j = i; j > 1 && r[j - 1] > r[j]; j--) { t = r[j]; r[j] = r[j - 1]; r[j - 1] = t }
            lo = r[1]; hi = r[m]; med = r[int((m + 1) / 2)]
            print c, bw, bc, med, lo, hi
        }
    }' "$times")
get() { awk -v c="$1" -v f="$2" '$1 == c { print $f }' <<<"$summary"; }

# ---- report -------------------------------------------------------------------------------
cpu=$(awk -F: '/model name/ { sub(/^ +/, "", $2); print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo
echo "trailwarden grants bench: $(nproc) CPUs${cpu:+, $cpu}; GNU time, best of $RUNS (alternating)"
echo "load average before the timed runs: $load_before; after: $load_after (the bench itself adds 2 to 3; more means other jobs)"
printf 'data: %s\n      %s records, %.1f MB of NDJSON, %s estate identities\n' "$DATA" "$records" \
    "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" "$IDENTITIES"
printf 'inventory: %s (%.1f MB)\n      %s\n' "$INV" \
    "$(awk -v b="$(stat -c %s "$INV")" 'BEGIN { print b / 1e6 }')" "$inv_summary"
printf '      --grants: grants.from_inventory %s, grants.identities %s, grants.privileged_uses %s, findings.training-telemetry-granted %s\n' \
    "$(stat_of c1 grants.from_inventory)" "$(stat_of c1 grants.identities)" \
    "$(stat_of c1 grants.privileged_uses)" "$(stat_of c1 findings.training-telemetry-granted)"
echo
declare -A LABEL=(
    [a]="(a) replay (shipped rules)"
    [b]="(b) replay --grants INV"
    [c0]="(c0) replay --no-default-rules -r trivial"
    [c1]="(c1) ... -r trivial --grants INV"
    [s0]="(s0) (c0) on a 1,000-record prefix"
    [s1]="(s1) (c1) on a 1,000-record prefix"
)
for c in $CONFIGS; do
    [ "$c" = s0 ] && echo "  setup, mostly (a 1,000-record prefix):"
    awk -v l="${LABEL[$c]}" -v t="$(get "$c" 2)" -v u="$(get "$c" 3)" -v m="$(get "$c" 4)" \
        -v lo="$(get "$c" 5)" -v hi="$(get "$c" 6)" -v r="$([ "${c#s}" = "$c" ] && echo "$records" || echo 1000)" \
        'BEGIN { printf "  %-42s %7.3f s %9.0f rec/s  CPU %7.3f s  peak RSS %7.1f MiB (%.1f-%.1f)\n",
                 l, t, r / t, u, m / 1024, lo / 1024, hi / 1024 }'
done
echo
pair() { # label base with
    awk -v l="$1" -v tb="$(get "$2" 2)" -v tw="$(get "$3" 2)" -v cb="$(get "$2" 3)" \
        -v cw="$(get "$3" 3)" \
        'BEGIN { ratio = tb / tw
                 printf "  %-34s throughput ratio %.3f (%+.1f%% wall), CPU %+.1f%%   target ratio >= 0.90: %s\n",
                     l, ratio, 100 * (tw - tb) / tb, 100 * (cw - cb) / cb, (ratio >= 0.90 ? "ok" : "MISSED") }'
}
pair "(b)/(a) the inventory, with rules" a b
pair "(c1)/(c0) all grant tracking" c0 c1
awk -v c0="$(get c0 3)" -v c1="$(get c1 3)" -v a="$(get a 3)" \
    'BEGIN { printf "  all grant tracking (c1 - c0 CPU) as a share of the default run (a): %+.1f%% CPU\n",
             100 * (c1 - c0) / a }'
awk -v w0="$(get s0 2)" -v w1="$(get s1 2)" -v c0="$(get c0 2)" -v c1="$(get c1 2)" \
    'BEGIN { printf "  setup of --grants (s1 - s0 wall, before any record is read): %.3f s, %.0f%% of the wall time (c1) - (c0)\n",
             w1 - w0, (c1 > c0) ? 100 * (w1 - w0) / (c1 - c0) : 0 }'
echo
mem() { # label base with
    awk -v l="$1" -v mb="$(get "$2" 4)" -v mw="$(get "$3" 4)" -v n="$granted" -v base="$BASE_BYTES" \
        'BEGIN { extra = (mw - mb) * 1024; per = extra / n
                 printf "  %-34s +%.1f MiB peak RSS, %.0f B per identity holding grants; with the base %d B: %.0f B   target <= 1024 B: %s\n",
                     l, extra / 1048576, per, base, base + per, (base + per <= 1024 ? "ok" : "MISSED") }'
}
mem "(b) - (a), with rules" a b
mem "(c1) - (c0), without rules" c0 c1
echo "  (base: per-identity state without grants, TW_BENCH_BASE_BYTES, from bench/README.md's memory section)"
echo "  (over 10,000 identities the difference also holds what does not grow with them: the"
echo "  managed policies' expansions, the reading's leftovers, findings on their way out; the"
echo "  budget itself is measured over a million: TW_BENCH_GRANTS=1 bench/run_memory.sh)"
