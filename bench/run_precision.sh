#!/usr/bin/env bash
# run_precision.sh [BUILD_DIR]: how many findings trailwarden raises on routine work, and
# whether it finds the drift injected among it.
#
#   1. Generates two realistic trails (`trailwarden gen --profile realistic`, zstd, cached
#      with their truth files): 14 days and 30 days.
#   2. Replays each: `replay -f compact --unused-after 7d --stats -j THREADS`.
#   3. Scores the findings against the truth (bench/precision_score.py): findings per rule
#      and severity; Medium-or-higher findings outside the injected drift (total, per 1,000
#      identity-days, top rules and identities); each drift scenario found or missed (at which
#      severity, when); the look-alikes that fired.
#   4. Replays the public data of ../shared/data (Stratus Red Team detonation logs,
#      TrailDiscover, OTRF, derived fixtures, the CloudTrail user guide's examples, Panther's
#      rule tests; vendors' wrappers unwrapped first) with the same options and counts their
#      findings per rule and severity. SKIPPED when ../shared/data is absent.
# A readable report goes to stdout; the machine-readable summary (JSON, and a TSV of counts per
# rule and severity) to $CACHE/precision-$SIZE/summary.{json,tsv}, beside each replay's
# findings and stats.
#
# Environment: TW_BENCH_DIR (cache, default ${TMPDIR:-/tmp}/trailwarden-bench),
# TW_BENCH_PRECISION_SIZE (full: 1,500 identities over 14 days and 1,000 over 30, 4 accounts;
# small: 300 and 200, 3 accounts, a run well under a minute), TW_BENCH_THREADS (replay -j,
# default 2), TW_BENCH_SEED (default 1), TW_SHARED_DATA (default ../shared/data beside the
# repository). Exit status: 0 done, 1 a command failed.
set -euo pipefail

BUILD=${1:-build}
TW=$BUILD/trailwarden
HERE=$(cd "$(dirname "$0")" && pwd)
SCORE=$HERE/precision_score.py
SIZE=${TW_BENCH_PRECISION_SIZE:-full}
THREADS=${TW_BENCH_THREADS:-2}
SEED=${TW_BENCH_SEED:-1}
CACHE=${TW_BENCH_DIR:-${TMPDIR:-/tmp}/trailwarden-bench}
SHARED=${TW_SHARED_DATA:-$(cd "$HERE/../.." && pwd)/shared/data}
REPLAY_OPTS=(-f compact --unused-after 7d --stats -j "$THREADS")

die() { echo "run_precision: $*" >&2; exit 1; }

[ -x "$TW" ] || die "$TW not found: build first (cmake --build $BUILD), or pass BUILD_DIR"
command -v python3 >/dev/null || die "python3 is needed (the scorer)"
case $SIZE in
full) ID14=1500 ID30=1000 ACCOUNTS=4 ;;
small) ID14=300 ID30=200 ACCOUNTS=3 ;;
*) die "TW_BENCH_PRECISION_SIZE is full or small, not '$SIZE'" ;;
esac

mkdir -p "$CACHE"
RES=$CACHE/precision-$SIZE
mkdir -p "$RES"
WORK=$(mktemp -d "$CACHE/run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

echo "trailwarden precision bench: $("$TW" -V 2>&1 | head -1), size $SIZE, replay ${REPLAY_OPTS[*]}"
echo "results under $RES"
echo

# ---- realistic trails, generated once per parameters and generator version --------------
fingerprint=$("$TW" gen -q --profile realistic --identities 60 --span 2d --accounts 2 --seed "$SEED" |
    sha256sum | cut -c1-12)
parts=()
for span in 14 30; do
    ids=$([ "$span" = 14 ] && echo "$ID14" || echo "$ID30")
    base=$CACHE/precision-realistic-${span}d-i$ids-a$ACCOUNTS-s$SEED-$fingerprint
    if [ ! -s "$base.ndjson.zst" ] || [ ! -s "$base.truth.ndjson" ]; then
        echo "generating the ${span}-day trail: $ids identities, $ACCOUNTS accounts" >&2
        t0=$(date +%s.%N)
        "$TW" gen -q --profile realistic --identities "$ids" --span "${span}d" --accounts "$ACCOUNTS" \
            --seed "$SEED" --format zstd -o "$WORK/trail.zst" --truth "$WORK/truth.ndjson" ||
            die "trailwarden gen failed"
        t1=$(date +%s.%N)
        echo "  generated in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" >&2
        mv "$WORK/truth.ndjson" "$base.truth.ndjson"
        mv "$WORK/trail.zst" "$base.ndjson.zst"
    fi
    label=${span}d
    rc=0
    "$TW" replay "${REPLAY_OPTS[@]}" "$base.ndjson.zst" > "$RES/$label.findings.ndjson" \
        2> "$RES/$label.stats.txt" || rc=$?
    [ "$rc" -le 1 ] || die "replay of $base.ndjson.zst failed (exit $rc): $(tail -3 "$RES/$label.stats.txt")"
    python3 "$SCORE" trail --label "$label" --truth "$base.truth.ndjson" \
        --findings "$RES/$label.findings.ndjson" --stats "$RES/$label.stats.txt" \
        --out "$RES/$label.json" || die "scoring $label failed"
    parts+=("$RES/$label.json")
    echo
done

# ---- public data -------------------------------------------------------------------------
if [ ! -d "$SHARED" ]; then
    echo "public data: SKIPPED ($SHARED is absent)"
else
    PUB=$WORK/public
    mkdir -p "$PUB"
    # Vendors wrap records in their own objects: TrailDiscover and the user guide as "record",
    # Panther's rule tests as "log"; the user guide also holds {"Records": [...]} blocks.
    python3 - "$SHARED" "$PUB" <<'EOF'
import json, os, sys
shared, out = sys.argv[1], sys.argv[2]
def unwrap(src, key, dst):
    n = 0
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as g:
        for line in f:
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line).get(key)
            if not isinstance(rec, dict):
                continue
            for r in rec.get("Records", [rec]) if "Records" in rec else [rec]:
                g.write(json.dumps(r, separators=(",", ":")) + "\n")
                n += 1
    return n
jobs = [("traildiscover/cloudtrail_examples.ndjson", "record", "traildiscover.ndjson"),
        ("awsdocs-cloudtrail-user-guide/doc_examples.ndjson", "record", "awsdocs.ndjson"),
        ("panther-analysis/cloudtrail_rule_tests.ndjson", "log", "panther-rule-tests.ndjson"),
        ("panther-analysis/bedrock_invocation_rule_tests.ndjson", "log", "panther-bedrock-tests.ndjson")]
for src, key, dst in jobs:
    p = os.path.join(shared, src)
    if os.path.exists(p):
        unwrap(p, key, os.path.join(out, dst))
EOF
    declare -A sets
    mapfile -t stratus < <(find "$SHARED/stratus-red-team-detonation-logs" -name '*.json' | LC_ALL=C sort)
    sets[stratus-red-team-detonation-logs]="${stratus[*]}"
    sets[traildiscover]="$PUB/traildiscover.ndjson"
    sets[otrf-security-datasets]=$(find "$SHARED/otrf-security-datasets" -name '*.ndjson' | LC_ALL=C sort | tr '\n' ' ')
    sets[derived-fixtures]="$SHARED/derived-fixtures/all_cloudtrail_events.ndjson"
    sets[awsdocs-cloudtrail-user-guide]="$PUB/awsdocs.ndjson"
    mapfile -t panther < <(find "$SHARED/panther-analysis" -name 'scenario__*.ndjson' | LC_ALL=C sort)
    sets[panther-analysis]="$PUB/panther-rule-tests.ndjson $PUB/panther-bedrock-tests.ndjson ${panther[*]}"
    for name in stratus-red-team-detonation-logs traildiscover otrf-security-datasets \
        derived-fixtures awsdocs-cloudtrail-user-guide panther-analysis; do
        read -r -a files <<< "${sets[$name]}"
        if [ ${#files[@]} -eq 0 ] || [ ! -e "${files[0]}" ]; then
            echo "== $name: SKIPPED (not found under $SHARED)"
            continue
        fi
        rc=0
        "$TW" replay "${REPLAY_OPTS[@]}" "${files[@]}" > "$RES/$name.findings.ndjson" \
            2> "$RES/$name.stats.txt" || rc=$?
        [ "$rc" -le 1 ] || die "replay of $name failed (exit $rc)"
        python3 "$SCORE" public --label "$name" --findings "$RES/$name.findings.ndjson" \
            --stats "$RES/$name.stats.txt" --out "$RES/$name.json" || die "scoring $name failed"
        parts+=("$RES/$name.json")
    done
fi
echo
python3 "$SCORE" report --json "$RES/summary.json" "${parts[@]}"
