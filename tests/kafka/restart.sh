#!/usr/bin/env bash
# restart.sh TRAILWARDEN BUILD_DIR TW_MOCK_KAFKA KCAT [SCENARIO]: a restart of `consume
# --state-dir` that is stopped before the group assigns it anything keeps the checkpoint it restored (issue 13,
# item 2: such a restart wrote, at its first period or at shutdown, a checkpoint with the state
# but without offsets, and the next run read from the group's committed offsets, past where
# the state ends: findings missed and repeated, "reading starts at offset N" for every
# partition).
#
# For each way of stopping the restart, a scenario (a CTest entry, kafka.restart.SCENARIO, with a
# cluster and a topic of its own; without SCENARIO all run, one after the other: README.md,
# "Scenarios"): kill_waiting (kill -9 before its assignment), term_waiting (SIGTERM before it),
# kill_assigned (kill -9 just after it):
#   run 1 reads the first part of a trail (cut where state matters: replaying the two parts
#     apart differs from replaying the whole) and is killed -9; its only checkpoint (the period
#     is an hour) is the one written when its partitions were assigned: where their reading
#     started, with an empty state, while the group's committed offsets moved to the end;
#   run 2 restores it, checkpoints every second, and is stopped while it waits for the group
#     (the dead member of run 1 holds the join up for its session timeout, 6 s): its
#     --stats show no assignment; SIGTERM: exit 0 within 10 s (librdkafka 2.0.2 aborts a
#     consumer destroyed between its JoinGroup answer and its assignment: consume leaves the
#     group then and leaves the consumer to the process's exit; members.sh). Or run 2 (its
#     period an hour too) is assigned its partitions and
#     killed -9 after the checkpoint that follows an assignment, written before anything of
#     the partitions is done: its offsets must be those it restored and starts from, not the
#     group's committed ones;
#   the rest of the trail is produced; run 3 (--exit-at-end) starts from the checkpoint's
#     offsets, not the group's: it reads the whole trail again, says nothing about partitions
#     without history, and the findings of runs 1 and 3 are replay's of the whole trail
#     (repeats allowed; none missing, none extra).
# shellcheck disable=SC2317 # scenario_* functions are called by name (kafka_run_scenario)
source "$(dirname "$0")/../scripts/lib.bash"
source "$(dirname "$0")/lib.sh"

SCENARIOS=(kill_waiting term_waiting kill_assigned)
kafka_scenario "$@"
kafka_test_args "${@:1:4}"

KEY='.userIdentity.sessionContext.sessionIssuer.arn // .userIdentity.arn // .userIdentity.invokedBy // .userIdentity.principalId // "none"'
strip() { jq -c 'select((.update // false) == false) | del(.processed_time)' "$1" | sort -u; }

"$TW" gen -n 2500 --identities 50 --scenario all -q -o gen.ndjson || exit 2
jq -c -s 'sort_by(.eventTime)[]' gen.ndjson > trail.ndjson
"$TW" replay -f compact trail.ndjson > whole.out 2>/dev/null
strip whole.out > want.txt
check "replay finds something to compare" test "$(wc -l < want.txt)" -gt 5
total=$(wc -l < trail.ndjson)
cut=""
for k in $(seq 600 200 $((total - 600))); do
    head -n "$k" trail.ndjson > A.ndjson
    tail -n +"$((k + 1))" trail.ndjson > B.ndjson
    { "$TW" replay -f compact A.ndjson; "$TW" replay -f compact B.ndjson; } 2>/dev/null |
        jq -c 'select((.update // false) == false) | del(.processed_time)' | sort -u > apart.txt
    if ! cmp -s apart.txt want.txt; then cut=$k; break; fi
done
check "the trail has a cut where state matters" test -n "$cut"
[ -n "$cut" ] || exit 1
nA=$cut


messages_now() { kafka_last_stat "$1" kafka.messages; } # ERRFILE

case_run() { # TOPIC SIGNAL [assigned]
    local t=$1 sig=$2 when=${3:-} pid rc t0 t1 n
    kafka_start --brokers 1 "$t:4" || exit 2
    BS=$KAFKA_BOOTSTRAP
    CONSUME=(consume -b "$BS" -f compact --stats -X session.timeout.ms=6000
             -X heartbeat.interval.ms=500 -X auto.commit.interval.ms=200)
    kafka_produce "$t" A.ndjson --key-field "$KEY" || exit 2
    # run 1: reads the first part; kill -9 once every message of it is read and committed
    "$TW" "${CONSUME[@]}" -t "$t" -G "$t" --state-dir "s$t" --checkpoint-every 1h \
        > "$t-1.out" 2> "$t-1.err" &
    pid=$!
    kafka_signals_ready "$pid"
    for _ in $(seq 1 600); do
        sleep 0.2
        kafka_ask_stats "$pid" "$t-1.err"
        [ "$(messages_now "$t-1.err")" = "$nA" ] && break
    done
    sleep 1.5 # offsets stored every 200 ms, committed every 200 ms
    expect_eq "$t: run 1 read the first part" "$(messages_now "$t-1.err")" "$nA"
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    check "$t: run 1 left a checkpoint" test -s "s$t/checkpoint"
    cp "s$t/checkpoint" "$t-1.ckpt"

    # run 2: restores it, waits for the group (run 1's member holds the join up), stopped
    local every=1s
    [ "$when" = assigned ] && every=1h
    "$TW" "${CONSUME[@]}" -t "$t" -G "$t" --state-dir "s$t" --checkpoint-every "$every" \
        > "$t-2.out" 2> "$t-2.err" &
    pid=$!
    kafka_signals_ready "$pid"
    if [ "$when" = assigned ]; then
        for _ in $(seq 1 300); do
            sleep 0.2
            kafka_ask_stats "$pid" "$t-2.err"
            n=$(grep -a '^  kafka.assignments ' "$t-2.err" | tail -n 1 | awk '{print $2}')
            [ "${n:-0}" -ge 1 ] && break
        done
        check "$t: run 2 is assigned its partitions" test "${n:-0}" -ge 1
        sleep 2 # the checkpoint that follows an assignment
    else
        sleep 3 # three checkpoint periods
        kafka_ask_stats "$pid" "$t-2.err"
        expect_eq "$t: run 2 is not assigned anything yet" \
            "$(grep -a '^  kafka.assignments ' "$t-2.err" | tail -n 1 | awk '{print $2}')" 0
    fi
    t0=$(date +%s.%N)
    kill "-$sig" "$pid"
    wait "$pid"
    rc=$?
    t1=$(date +%s.%N)
    if [ "$sig" = TERM ]; then
        expect_eq "$t: run 2 stopped by SIGTERM before its assignment: exit 0" "$rc" 0
        check "$t: ... within 10 s" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 10) }'
        check "$t: ... no crash, no sanitizer report" \
            bash -c "! grep -q -E 'Sanitizer|runtime error:|Assertion|assert' '$t-2.err'"
    fi
    if cmp -s "s$t/checkpoint" "$t-1.ckpt"; then
        pass "$t: run 2 left the checkpoint as it was (it had nothing to add)"
    else
        echo "    note: run 2 rewrote the checkpoint"
    fi

    # run 3: the rest produced; reads from the checkpoint's offsets, with its state
    kafka_produce "$t" B.ndjson --key-field "$KEY" || exit 2
    tw "$t-3" "${CONSUME[@]}" -t "$t" -G "$t" --state-dir "s$t" --exit-at-end
    expect_eq "$t: run 3 exits 0" "$(cat "$WORK/$t-3.rc")" 0
    if [ "$when" = assigned ]; then
        # the poll that brings the assignment may bring a message too, done before the
        # checkpoint that follows: in its state and offsets
        n=$(stat_of "$t-3" kafka.messages)
        check "$t: run 3 reads from the checkpoint's offsets, not the group's ($n of $total)" \
            test "${n:-0}" -ge $((total - 1))
    else
        expect_eq "$t: run 3 reads from the checkpoint's offsets (the whole trail)" \
            "$(stat_of "$t-3" kafka.messages)" "$total"
    fi
    expect_eq "$t: run 3: every partition read with its history" \
        "$(stat_of "$t-3" kafka.partitions_without_history)" 0
    check "$t: run 3: no 'reading starts at offset'" \
        bash -c "! grep -q 'reading starts at offset' '$WORK/$t-3.err'"
    check "$t: runs 1 and 2: no crash, no sanitizer report" \
        bash -c "! grep -q -E 'Sanitizer|runtime error:|Assertion' '$t-1.err' '$t-2.err'"
    cat "$t-1.out" "$WORK/$t-3.out" > "$t.out"
    strip "$t.out" > "got-$t.txt"
    same_output "$t: the findings of runs 1 and 3 are replay's of the whole trail" "got-$t.txt" want.txt
}

scenario_kill_waiting() { case_run rkill KILL; }
scenario_term_waiting() { case_run rterm TERM; }
scenario_kill_assigned() { case_run rassigned KILL assigned; }

kafka_run_scenario
