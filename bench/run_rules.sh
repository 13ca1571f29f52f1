#!/usr/bin/env bash
# run_rules.sh [BUILD_DIR] [N_RULES]: what Sigma detection rules (-r) cost replay.
# 1. Generates N_RULES (default 100) detection rules of four shapes (eventName + userAgent
#    contains; an eventName list + requestParameters.bucketName startswith; eventName + source
#    IP cidr + not errorCode; eventSource + eventName startswith), checks them with
#    `trailwarden rules check`, then times `replay -j2` over the throughput bench's trail with
#    and without them, alternating, RUNS times each (default 6), and reports mean wall and user
#    CPU time and the cost per rule.
# 2. SigmaHQ's AWS CloudTrail rules ($TW_SHARED_DATA/sigmahq-aws-rules/rules; SKIPPED when
#    absent): the files `rules check` accepts, then `replay -j2` over the same trail,
#    alternating, RUNS times each: no -r; the SigmaHQ set; the set without its hunting rule
#    that matches every assumed-role event (aws_sts_assumerole_misuse, id 905d389b-...); and the
#    whole set with an --exceptions entry for that rule, which matches and builds its findings
#    but does not encode or write them: the cost of writing findings apart from matching. Each
#    is reported against the no-rules runs of the same run (throughput from mean wall time,
#    and CPU), with its finding count; the target is a cost of at most 15% for the set that
#    raises few findings.
# The trail is the one bench/run_throughput.sh caches (run it first, or this script generates
# it the same way). Environment: TW_BENCH_DIR, RUNS, TW_SHARED_DATA (default ../shared/data
# beside the repository), TW_BENCH_SIGMA=0 (skip part 2), TW_BENCH_GENERATED=0 (skip part 1),
# BASE_BUILD (part 2: a second build directory, run alternately with this one, each reported
# against its own no-rules runs: before and after a change in one run). Part 2 reports medians.
set -euo pipefail
BUILD=${1:-build}
N_RULES=${2:-100}
RUNS=${RUNS:-6}
TW=$BUILD/trailwarden
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=${TW_SHARED_DATA:-$(cd "$HERE/../.." && pwd)/shared/data}
CACHE=${TW_BENCH_DIR:-${TMPDIR:-/tmp}/trailwarden-bench}
[ -x "$TW" ] || { echo "run_rules: $TW not found" >&2; exit 1; }
mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/rules.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fingerprint=$("$TW" gen -q -n 1000 --scenario all | sha256sum | cut -c1-12)
DATA=$CACHE/trail-n500000-s1-zstd3-$fingerprint.ndjson.zst
if [ ! -s "$DATA" ]; then
    "$TW" gen -q -n 500000 --seed 1 --scenario all --format zstd --zstd-level 3 -o "$WORK/d.zst"
    mv "$WORK/d.zst" "$DATA"
fi

generated_rules() {
python3 - "$WORK/rules" "$N_RULES" <<'PY'
import os, random, sys
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out)
random.seed(1)
names = ["StopLogging", "DeleteTrail", "PutBucketPolicy", "CreateAccessKey", "AttachRolePolicy",
         "PutRolePolicy", "DeleteBucket", "TerminateInstances", "ModifySnapshotAttribute",
         "CreateLoginProfile", "UpdateAssumeRolePolicy", "DeleteFlowLogs", "GetSecretValue",
         "PutEventSelectors", "CreateUser", "DeleteGuardrail", "CreateModelCustomizationJob",
         "InvokeModel", "GetObject", "ListBuckets", "DescribeInstances", "AssumeRole"]
for i in range(n):
    name = random.choice(names)
    shape = i % 4
    if shape == 0:
        det = f"  sel:\n    eventName: {name}\n    userAgent|contains: suspicious-tool-{i}\n  condition: sel"
    elif shape == 1:
        det = (f"  sel:\n    eventName: [{name}, {random.choice(names)}]\n"
               f"    requestParameters.bucketName|startswith: exfil-{i}-\n  condition: sel")
    elif shape == 2:
        det = (f"  sel:\n    eventName: {name}\n    sourceIPAddress|cidr: 203.0.113.{i % 250}/32\n"
               f"  filter:\n    errorCode: AccessDenied\n  condition: sel and not filter")
    else:
        det = f"  sel:\n    eventSource: iam.amazonaws.com\n    eventName|startswith: Delete{i}\n  condition: sel"
    with open(os.path.join(out, f"r{i:04d}.yml"), "w") as f:
        f.write(f"title: Bench rule {i}\nid: bench-rule-{i}\nlevel: low\n"
                f"logsource:\n  product: aws\n  service: cloudtrail\ndetection:\n{det}\n")
PY
"$TW" rules check "$WORK/rules" >/dev/null

times=$WORK/times
for ((i = 0; i < RUNS; i++)); do
    /usr/bin/time -o "$times" -a -f "none %e %U" "$TW" replay -j2 -q "$DATA" >/dev/null
    /usr/bin/time -o "$times" -a -f "rules %e %U" "$TW" replay -j2 -q -r "$WORK/rules" "$DATA" >/dev/null
done
echo "trailwarden rules bench: $N_RULES detection rules, $RUNS alternating runs each, replay -j2"
awk -v n="$N_RULES" '{ w[$1] += $2; u[$1] += $3; c[$1]++ }
    END {
        for (k in w) printf "  %-6s mean wall %.3f s, mean user CPU %.3f s\n", k, w[k] / c[k], u[k] / c[k]
        du = u["rules"] / c["rules"] - u["none"] / c["none"]
        printf "  CPU cost of the rules: %+.1f%% (%.2f ms of CPU a rule over the trail)\n",
            100 * du / (u["none"] / c["none"]), 1000 * du / n
    }' "$times"
}
[ "${TW_BENCH_GENERATED:-1}" = 0 ] || generated_rules

# --- 2. SigmaHQ's AWS rules
HUNT_ID=905d389b-b853-46d0-9d3d-dea0d3a3cd49 # aws_sts_assumerole_misuse: every assumed-role event
sigma_rules() {
    local src=$SHARED/sigmahq-aws-rules/rules
    if [ ! -d "$src" ]; then
        echo "trailwarden rules bench, SigmaHQ: SKIPPED ($src not found)"
        return 0
    fi
    mkdir -p "$WORK/sigma" "$WORK/sigma-nohunt"
    local f kept=0 refused=0 hunt=""
    for f in "$src"/*.yml; do
        if "$TW" rules check --no-default-rules "$f" >/dev/null 2>&1; then
            cp "$f" "$WORK/sigma/"
            kept=$((kept + 1))
            if grep -q "^id: $HUNT_ID" "$f"; then hunt=$(basename "$f"); else cp "$f" "$WORK/sigma-nohunt/"; fi
        else
            refused=$((refused + 1))
        fi
    done
    "$TW" rules check "$WORK/sigma" >/dev/null
    local modes=(none sigma)
    if [ -n "$hunt" ]; then
        modes+=(nohunt nowrite)
        printf 'exceptions:\n  - rule: %s\n    reason: bench, matched but not written\n' \
            "$HUNT_ID" > "$WORK/nowrite.yml"
    else
        echo "  (the hunting rule $HUNT_ID is not in the set: its variants are skipped)"
    fi
    local st=$WORK/sigma-times m i
    : >"$st"
    args_of() {
        case $1 in
        none) ;;
        sigma) echo "-r $WORK/sigma" ;;
        nohunt) echo "-r $WORK/sigma-nohunt" ;;
        nowrite) echo "-r $WORK/sigma --exceptions $WORK/nowrite.yml" ;;
        esac
    }
    # the builds: this one, and BASE_BUILD's beside it (alternating) when given
    local bins=("new=$TW")
    [ -z "${BASE_BUILD:-}" ] || bins+=("base=$BASE_BUILD/trailwarden")
    local b name bin
    # one untimed run each: the findings written (and the caches warm)
    for b in "${bins[@]}"; do
        name=${b%%=*} bin=${b#*=}
        for m in "${modes[@]}"; do
            # shellcheck disable=SC2046
            echo "found $name $m $("$bin" replay -j2 -q $(args_of "$m") "$DATA" | wc -l)" >> "$st"
        done
    done
    for ((i = 0; i < RUNS; i++)); do
        for m in "${modes[@]}"; do
            for b in "${bins[@]}"; do
                name=${b%%=*} bin=${b#*=}
                # shellcheck disable=SC2046
                /usr/bin/time -o "$st" -a -f "time $name $m %e %U %S" "$bin" replay -j2 -q $(args_of "$m") "$DATA" >/dev/null
            done
        done
    done
    echo "trailwarden rules bench, SigmaHQ: $kept rules ($refused refused by rules check), $RUNS alternating runs each, replay -j2 over $(basename "$DATA")"
    python3 - "$st" <<'PY'
import statistics, sys
found, wall, cpu = {}, {}, {}
for line in open(sys.argv[1]):
    f = line.split()
    if f[0] == "found":
        found[(f[1], f[2])] = int(f[3])
    elif f[0] == "time":
        wall.setdefault((f[1], f[2]), []).append(float(f[3]))
        cpu.setdefault((f[1], f[2]), []).append(float(f[4]) + float(f[5]))
label = {"none": "no -r", "sigma": "the SigmaHQ set",
         "nohunt": "the set without the assumed-role hunting rule",
         "nowrite": "the set, the hunting rule matched but not written (--exceptions)"}
for name in sorted({k[0] for k in wall}, key=lambda n: n != "base"):
    med = lambda d, m: statistics.median(d[(name, m)])
    wn, cn = med(wall, "none"), med(cpu, "none")
    print(f"  build {name} (medians):")
    for m in ("none", "sigma", "nohunt", "nowrite"):
        if (name, m) not in wall:
            continue
        wm, cm = med(wall, m), med(cpu, m)
        print(f"    {m:8} wall {wm:.3f} s, CPU {cm:.3f} s, {found[(name, m)]:7d} findings: "
              f"throughput x{wn / wm:.3f} of no -r (cost {100 * (1 - wn / wm):+.1f}%), "
              f"CPU {100 * (cm / cn - 1):+.1f}%  [{label[m]}]")
    if (name, "nohunt") in wall:
        cost = 100 * (1 - wn / med(wall, "nohunt"))
        print(f"    target: the set that raises few findings (nohunt) costs at most 15% of "
              f"throughput: {cost:.1f}% ({'met' if cost <= 15 else 'MISSED'}; its CPU "
              f"{100 * (med(cpu, 'nohunt') / cn - 1):+.1f}%)")
    if (name, "nowrite") in wall:
        ws, ww = med(wall, "sigma"), med(wall, "nowrite")
        print(f"    encoding and writing the hunting rule's findings: {100 * (ws - ww) / ws:.1f}% "
              f"of the whole set's wall time, {100 * (med(cpu, 'sigma') - med(cpu, 'nowrite')) / med(cpu, 'sigma'):.1f}% of its CPU (sigma against nowrite)")
PY
}
[ "${TW_BENCH_SIGMA:-1}" = 0 ] || sigma_rules
