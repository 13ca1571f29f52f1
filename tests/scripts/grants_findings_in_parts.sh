#!/usr/bin/env bash
# grants_findings_in_parts.sh BINARY BUILD_DIR: the grant tracker's findings of one event go to
# the output stage in parts of 256 KiB (app_router.c, GRANTS_RESULT_BYTES), and none is lost,
# repeated or moved by that. An inventory (bench/gen_inventory.py) gives 600 identities of a
# generated trail an AWS managed policy and an inline policy each; half of them end up holding
# model-training and telemetry actions together, so training-telemetry-granted fires 300 times
# at the trail's first event: about 660 KB of OCSF, three parts. Checked: the count equals
# --stats', each identity once, every one at the first event's time, and the output byte for
# byte the same with -j1, -j2 and -j3. They are raised when the inventory takes effect, under
# a sequence number of their own before the first event's, so they come first of all (and
# the output stage writes them as they come rather than holding them): the trail's first
# event here is a StopLogging, whose logging-tampered finding comes after them.
source "$(dirname "$0")/lib.bash"
command -v python3 >/dev/null || { echo "python3 is needed"; exit 2; }
command -v jq >/dev/null || { echo "jq is needed (scripts/install-deps.sh installs it)"; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$WORK" || exit 2

"$TW" gen -n 4000 --identities 600 --scenario all -q -o gen.ndjson || exit 2
# a first event that raises a finding of its own: a StopLogging a minute before the rest
first=$(jq -r '.eventTime' gen.ndjson | sort | head -1)
head -1 gen.ndjson | jq -c --arg t "$first" '.eventTime = ($t | sub("Z$"; "") + "Z" |
    fromdateiso8601 - 60 | todateiso8601) | .eventSource = "cloudtrail.amazonaws.com" |
    .eventName = "StopLogging" | .readOnly = false | .eventID = "00000000-0000-4000-8000-00000000f1a5" |
    del(.errorCode, .errorMessage) | .requestParameters = {"name": "org-trail"}' > trail.ndjson
cat gen.ndjson >> trail.ndjson
python3 "$ROOT/bench/gen_inventory.py" -n 600 --seed 1 -o inv.json trail.ndjson 2> inv.log || {
    cat inv.log
    exit 2
}

for j in 1 2 3; do
    tw "j$j" replay -j"$j" -q --stats --grants inv.json trail.ndjson
    expect_eq "-j$j: exit 0" "$(rc_of "j$j")" 0
done

n=$(stat_of j1 findings.training-telemetry-granted)
check "many findings at one event (got $n)" test "${n:-0}" -ge 200
jq -c 'select(.finding_info.analytic.uid == "training-telemetry-granted")' "$WORK/j1.out" \
    > training.ndjson
bytes=$(wc -c < training.ndjson)
check "more than one part of 256 KiB of them ($bytes bytes)" test "$bytes" -gt 524288
expect_eq "each one written once" "$(wc -l < training.ndjson)" "$n"
expect_eq "each identity once" \
    "$(jq -r '.actor.user.uid // .actor.user.name' training.ndjson | sort -u | wc -l)" "$n"
expect_eq "all at the first event" "$(jq -r '.time' training.ndjson | sort -u | wc -l)" 1
expect_eq "written first of all" \
    "$(head -n "$n" "$WORK/j1.out" | jq -r '.finding_info.analytic.uid' | sort -u)" \
    training-telemetry-granted
expect_eq "the first event's own finding right after them" \
    "$(sed -n "$((n + 1))p" "$WORK/j1.out" | jq -r '.finding_info.analytic.uid')" \
    logging-tampered
same_output "-j2 writes what -j1 writes" "$WORK/j1.out" "$WORK/j2.out"
same_output "-j3 writes what -j1 writes" "$WORK/j1.out" "$WORK/j3.out"
finish
