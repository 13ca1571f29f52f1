#!/usr/bin/env bash
# props.sh TRAILWARDEN BUILD_DIR TW_MOCK_KAFKA KCAT [SCENARIO]: `consume -X` cannot switch off
# what trailwarden's guarantees rest on (issue 13, item 3). User properties used to override every
# consumer default: -X enable.auto.offset.store=true committed records before their findings
# were written (a kill -9 then lost them), -X enable.partition.eof=false --exit-at-end never
# exited, -X auto.offset.reset=latest on a new group silently read nothing.
#
# Scenarios (each a CTest entry, kafka.props.SCENARIO, with a cluster of its own; without
# SCENARIO all run, one after the other: README.md, "Scenarios"):
#   - refused: a -X that changes a guarded property (enable.auto.offset.store, auto.offset.reset,
#     enable.partition.eof, and for kafka: outputs enable.idempotence and acks), however it is
#     spelt (a synonym, 1 for true, an alias such as request.required.acks): exit 2 within
#     seconds, before a consumer exists (no line of -X debug=cgrp's log), nothing written,
#     stderr names the -X and the property, says "refused" and why, and does not echo the
#     value;
#   - same_values: a -X that sets a guarded property to what trailwarden sets anyway (in any
#     spelling), and behaviour_only: one that only changes behaviour (enable.auto.commit=false:
#     commits at revocations and at shutdown only), are taken: every record read, exit 0.
# shellcheck disable=SC2317 # scenario_* functions are called by name (kafka_run_scenario)
source "$(dirname "$0")/../scripts/lib.bash"
source "$(dirname "$0")/lib.sh"

SCENARIOS=(refused same_values behaviour_only)
kafka_scenario "$@"
kafka_test_args "${@:1:4}"

"$TW" gen -n 300 --identities 20 -q -o trail.ndjson || exit 2
n=$(wc -l < trail.ndjson)

kafka_start --brokers 1 p:2 || exit 2
BS=$KAFKA_BOOTSTRAP
kafka_produce p trail.ndjson || exit 2

# tw under a time limit: a hang (never exiting) is a failure, timeout's 124
tw_limited() { # NAME SECONDS ARGS...
    local name=$1 limit=$2 bin=$TW
    shift 2
    TW=timeout
    tw "$name" -k 5 "$limit" "$bin" "$@"
    TW=$bin
}

run=0
refused() { # GUARDED_PROPERTY NAME=VALUE [MORE ARGS]
    local guarded=$1 prop=$2 t0 t1 name=${2%%=*} value=${2#*=}
    shift 2
    run=$((run + 1))
    t0=$(date +%s.%N)
    tw_limited "r$run" 30 consume -b "$BS" -t p -G "refused$run" -f compact -X debug=cgrp \
        -X "$prop" "$@"
    t1=$(date +%s.%N)
    expect_eq "-X $prop $*: exit 2" "$(cat "$WORK/r$run.rc")" 2
    check "-X $prop: refused within 5 s" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 5) }'
    check "-X $prop: stderr names -X $name, says refused, and that $guarded stays as it is" \
        grep -q -E "^trailwarden: -X $name is refused: (it sets )?$guarded(, which)? stays [a-z]+: .{20,}" \
        "$WORK/r$run.err"
    check "-X $prop: the value is not echoed" bash -c "! grep -q -F '=$value' '$WORK/r$run.err'"
    check "-X $prop: refused before a consumer exists (no group log)" \
        bash -c "! grep -q '^%7|' '$WORK/r$run.err'"
    check "-X $prop: nothing written" test ! -s "$WORK/r$run.out"
    grep -q "refused" "$WORK/r$run.err" || grep -v '^%7' "$WORK/r$run.err" | head -3 | sed 's/^/    stderr: /'
}
scenario_refused() {
    refused enable.auto.offset.store enable.auto.offset.store=true --exit-at-end
    refused enable.auto.offset.store enable.auto.offset.store=1 --exit-at-end
    refused auto.offset.reset auto.offset.reset=latest --exit-at-end
    refused auto.offset.reset auto.offset.reset=largest --exit-at-end
    refused auto.offset.reset auto.offset.reset=error --exit-at-end
    refused enable.partition.eof enable.partition.eof=false --exit-at-end
    refused enable.partition.eof enable.partition.eof=true
    refused enable.idempotence enable.idempotence=false --exit-at-end
    refused acks acks=1 --exit-at-end
    refused acks request.required.acks=0 --exit-at-end
}

taken() { # NAME ARGS...: consumes the topic with a new group, --exit-at-end
    local name=$1
    shift
    tw_limited "$name" 60 consume -b "$BS" -t p -G "$name" -f compact --exit-at-end --stats "$@"
    expect_eq "$*: exit 0" "$(cat "$WORK/$name.rc")" 0
    expect_eq "$*: every record read" "$(stat_of "$name" kafka.messages)" "$n"
}
scenario_same_values() {
    taken same -X auto.offset.reset=beginning -X enable.auto.offset.store=false \
        -X enable.partition.eof=T -X acks=all -X enable.idempotence=true
}
scenario_behaviour_only() {
    taken behaviour -X enable.auto.commit=false -X partition.assignment.strategy=range
}

kafka_run_scenario
