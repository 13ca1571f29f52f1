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
# beside the repository), TW_BENCH_SIGMA=0 (skip part 2), TW_BENCH_GENERATED=0 (skip part 1).
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
    : > "$st"
    args_of() {
        case $1 in
        none) ;;
        sigma) echo "-r $WORK/sigma" ;;
        nohunt) echo "-r $WORK/sigma-nohunt" ;;
        nowrite) echo "-r $WORK/sigma --exceptions $WORK/nowrite.yml" ;;
        esac
    }
    # one untimed run each: the findings written (and the caches warm)
    declare -A found
    for m in "${modes[@]}"; do
        # shellcheck disable=SC2046
        found[$m]=$("$TW" replay -j2 -q $(args_of "$m") "$DATA" | wc -l)
    done
    for ((i = 0; i < RUNS; i++)); do
        for m in "${modes[@]}"; do
            # shellcheck disable=SC2046
            /usr/bin/time -o "$st" -a -f "$m %e %U %S" "$TW" replay -j2 -q $(args_of "$m") "$DATA" >/dev/null
        done
    done
    echo "trailwarden rules bench, SigmaHQ: $kept rules ($refused refused by rules check), $RUNS alternating runs each, replay -j2 over $(basename "$DATA")"
    for m in "${modes[@]}"; do echo "found $m ${found[$m]}"; done | cat - "$st" | awk -v runs="$RUNS" '
        $1 == "found" { f[$2] = $3; next }
        { w[$1] += $2; c[$1] += $3 + $4; n[$1]++ }
        END {
            label["none"] = "no -r"
            label["sigma"] = "the SigmaHQ set"
            label["nohunt"] = "the set without the assumed-role hunting rule"
            label["nowrite"] = "the set, the hunting rule matched but not written (--exceptions)"
            split("none sigma nohunt nowrite", order, " ")
            wn = w["none"] / n["none"]; cn = c["none"] / n["none"]
            for (k = 1; k <= 4; k++) {
                m = order[k]
                if (!(m in n)) continue
                wm = w[m] / n[m]; cm = c[m] / n[m]
                printf "  %-8s mean wall %.3f s, CPU %.3f s, %d findings: throughput x%.3f of no -r (cost %+.1f%%), CPU %+.1f%%  [%s]\n",
                    m, wm, cm, f[m], wn / wm, 100 * (1 - wn / wm), 100 * (cm / cn - 1), label[m]
            }
            if ("nohunt" in n) {
                cost = 100 * (1 - wn / (w["nohunt"] / n["nohunt"]))
                printf "  target: the set that raises few findings (nohunt) costs at most 15%% of throughput: %.1f%%, %s\n",
                    cost, cost <= 15 ? "met" : "MISSED"
            }
            if ("nowrite" in n) {
                ws = w["sigma"] / n["sigma"]; ww = w["nowrite"] / n["nowrite"]
                printf "  writing the hunting rule'"'"'s findings: %.1f%% of the whole set'"'"'s wall time (sigma against nowrite)\n",
                    100 * (ws - ww) / ws
            }
        }'
}
[ "${TW_BENCH_SIGMA:-1}" = 0 ] || sigma_rules
