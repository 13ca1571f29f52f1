#!/usr/bin/env bash
# run_rules.sh [BUILD_DIR] [N_RULES]: what Sigma detection rules (-r) cost replay.
# Generates N_RULES (default 100) detection rules of four shapes (eventName + userAgent
# contains; an eventName list + requestParameters.bucketName startswith; eventName + source
# IP cidr + not errorCode; eventSource + eventName startswith), checks them with
# `trailwarden rules check`, then times `replay -j2` over the throughput bench's trail with and
# without them, alternating, RUNS times each (default 6), and reports mean wall and user CPU
# time and the cost per rule. The trail is the one bench/run_throughput.sh caches (run it
# first, or this script generates it the same way).
set -euo pipefail
BUILD=${1:-build}
N_RULES=${2:-100}
RUNS=${RUNS:-6}
TW=$BUILD/trailwarden
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
