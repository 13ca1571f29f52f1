#!/usr/bin/env bash
# members.sh TRAILWARDEN BUILD_DIR TW_MOCK_KAFKA KCAT [SCENARIO]: a `consume` member that never
# got a partition stops cleanly on SIGTERM (issue 16, item 5). librdkafka 2.0.2 (Debian 12)
# aborts a cooperative-sticky consumer destroyed after the group answered its JoinGroup and
# before the SyncGroup that brings its first assignment (its issue 4312: `Assertion
# 'assignor_state' failed` in rd_kafka_sticky_assignor_state_destroy); the Kafka source leaves
# such a consumer to the process's exit once it has left the group (ingest_source_kafka.c,
# destroy_would_abort). Each SIGTERM below must give exit 0 within 5 s, no `Assertion` on
# stderr (no abort, no core); each prints how long the exit took. One scenario a CTest entry
# (kafka.members.SCENARIO), each with a cluster of its own (README.md, "Scenarios"):
#   more_members  a 1-partition topic and 3 members in one group: the 2 that get nothing
#                 (an empty assignment) are stopped while the third reads; it keeps its
#                 partition (no revocation), reads the rest of the trail, and the findings of
#                 the three are replay's;
#   forming       two members started together in a new group (2 partitions); the second is
#                 stopped 0.5, 1.5, 3 or 5 s after its start (the mock answers a new group's
#                 first join after 3 s): before its join, at the election, after its
#                 assignment; the first then has replay's findings with the second's;
#   leader_stuck  the window held open: the group's leader (a member that holds the
#                 partition) is frozen with SIGSTOP right after it rejoined for a second
#                 member, which the group then answers (its JoinGroup) but cannot assign
#                 anything (no SyncGroup from the leader) for session.timeout.ms; the second is
#                 stopped there (stats: no assignment). Without the workaround: the abort,
#                 every time; with the wait for the assignment it replaced: 10 s here, 45 s with
#                 the default session.timeout.ms. The leader, resumed, reads the rest;
#   idle_at_end   --exit-at-end with more members than partitions: A holds a 1-partition
#                 topic and runs on; B joins with --exit-at-end, gets nothing, and exits 0 by
#                 itself 10 s after the group's last rebalance, saying so (it ran forever
#                 before); A keeps the partition and finds replay's findings;
#   no_broker     stopped before any broker answered: nothing listens on the port, or a
#                 listener accepts and never answers; SIGTERM 0.5 or 3 s after the start.
# shellcheck disable=SC2317 # scenario_* functions are called by name (kafka_run_scenario)
source "$(dirname "$0")/../scripts/lib.bash"
source "$(dirname "$0")/lib.sh"

SCENARIOS=(more_members forming leader_stuck no_broker idle_at_end)
kafka_scenario "$@"
kafka_test_args "${@:1:4}"

KEY='.userIdentity.sessionContext.sessionIssuer.arn // .userIdentity.arn // .userIdentity.invokedBy // .userIdentity.principalId // "none"'
strip() { cat "$@" | jq -c 'select((.update // false) == false) | del(.processed_time)' | sort -u; }

# A trail in event-time order, cut in two; what replay finds in it (want.txt).
make_trail() {
    "$TW" gen -n 1500 --identities 30 --scenario all -q -o gen.ndjson || exit 2
    jq -c -s 'sort_by(.eventTime)[]' gen.ndjson > trail.ndjson
    head -n 700 trail.ndjson > first.ndjson
    tail -n +701 trail.ndjson > rest.ndjson
    tw replay replay -f compact trail.ndjson
    strip "$WORK/replay.out" > want.txt
    check "replay finds something to compare" test "$(wc -l < want.txt)" -gt 5
}

cluster() { # TOPIC:PARTITIONS...
    kafka_start --brokers 1 "$@" || exit 2
    BS=$KAFKA_BOOTSTRAP
    CONSUME=(consume -b "$BS" -f compact --stats -q -X session.timeout.ms=6000
             -X heartbeat.interval.ms=500 -X auto.commit.interval.ms=200)
}


# stop NAME PID: SIGTERM, then the checks every stop here makes: exit 0 within 5 s, no abort
stop() {
    local name=$1 pid=$2 rc t0 t1 took
    t0=$(date +%s.%N)
    kill -TERM "$pid"
    wait "$pid"
    rc=$?
    t1=$(date +%s.%N)
    took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    echo "    $name: SIGTERM to exit: $took s (exit $rc)"
    expect_eq "$name: SIGTERM: exit 0" "$rc" 0
    check "$name: ... within 5 s ($took s)" awk -v t="$took" 'BEGIN { exit !(t < 5) }'
    check "$name: ... no abort, no sanitizer report" \
        bash -c "! grep -q -a -E 'Assertion|Sanitizer|runtime error:' '$name.err'"
    grep -a -E 'Assertion|Sanitizer' "$name.err" | head -3 | sed 's/^/    /'
}

# wait_findings FILES...: until the findings in FILES are replay's (60 s at most)
wait_findings() {
    for _ in $(seq 1 300); do
        strip "$@" | cmp -s - want.txt && return 0
        sleep 0.2
    done
    return 1
}

scenario_more_members() {
    local i holder="" n n_i sum pids=()
    make_trail
    cluster raw:1
    kafka_produce raw first.ndjson --key-field "$KEY" || exit 2
    for i in 1 2 3; do
        "$TW" "${CONSUME[@]}" -t raw -G gm > "m$i.out" 2> "m$i.err" &
        pids[i]=$!
    done
    for i in 1 2 3; do kafka_signals_ready "${pids[i]}"; done
    # every member assigned (the idle ones an empty assignment), the first part read
    for _ in $(seq 1 150); do
        sum=0 n=0
        for i in 1 2 3; do
            kafka_ask_stats "${pids[i]}" "m$i.err"
            [ "$(kafka_last_stat "m$i.err" kafka.assignments)" -ge 1 ] 2>/dev/null && n=$((n + 1))
            n_i=$(kafka_last_stat "m$i.err" kafka.messages)
            sum=$((sum + ${n_i:-0}))
        done
        [ "$n" -eq 3 ] && [ "$sum" -ge 700 ] && break
        sleep 0.2
    done
    expect_eq "three members assigned (the idle ones nothing)" "$n" 3
    for i in 1 2 3; do
        [ "$(kafka_last_stat "m$i.err" kafka.messages)" -gt 0 ] 2>/dev/null && holder="$holder $i"
    done
    holder=${holder# }
    check "one member holds the partition (member '$holder')" test "${#holder}" -eq 1
    [ "${#holder}" -eq 1 ] || return
    for i in 1 2 3; do
        [ "$i" = "$holder" ] && continue
        stop "m$i" "${pids[i]}"
        expect_eq "m$i: read nothing" "$(kafka_last_stat "m$i.err" kafka.messages)" 0
    done
    # the holder goes on: the rest of the trail, without losing its partition
    kafka_produce raw rest.ndjson --key-field "$KEY" || exit 2
    for _ in $(seq 1 300); do
        kafka_ask_stats "${pids[holder]}" "m$holder.err"
        [ "$(kafka_last_stat "m$holder.err" kafka.messages)" -ge "$(wc -l < trail.ndjson)" ] && break
        sleep 0.2
    done
    expect_eq "the holder read the whole trail" "$(kafka_last_stat "m$holder.err" kafka.messages)" \
        "$(wc -l < trail.ndjson)"
    wait_findings m1.out m2.out m3.out
    kafka_ask_stats "${pids[holder]}" "m$holder.err"
    expect_eq "the holder kept its partition (no revocation before its own stop)" \
        "$(kafka_last_stat "m$holder.err" kafka.revocations)" 0
    stop "m$holder" "${pids[holder]}"
    strip m1.out m2.out m3.out > got.txt
    same_output "the findings of the three are replay's" got.txt want.txt
}

scenario_forming() {
    local d i=0 pa pb t0
    make_trail
    cluster raw:2
    kafka_produce raw trail.ndjson --key-field "$KEY" || exit 2
    for d in 0.5 1.5 3 5; do
        i=$((i + 1))
        "$TW" "${CONSUME[@]}" -t raw -G "gf$i" > "a$i.out" 2> "a$i.err" &
        pa=$!
        t0=$(date +%s.%N)
        "$TW" "${CONSUME[@]}" -t raw -G "gf$i" > "b$i.out" 2> "b$i.err" &
        pb=$!
        kafka_signals_ready "$pb"
        sleep "$(awk -v a="$t0" -v d="$d" -v now="$(date +%s.%N)" \
            'BEGIN { s = a + d - now; printf "%.2f", (s > 0 ? s : 0) }')"
        kafka_ask_stats "$pb" "b$i.err" || true
        echo "    b$i: stopped $d s after its start, assignments $(kafka_last_stat "b$i.err" kafka.assignments), messages $(kafka_last_stat "b$i.err" kafka.messages)"
        stop "b$i" "$pb"
        check "try $i: the first member finds replay's findings with the second's" \
            wait_findings "a$i.out" "b$i.out"
        stop "a$i" "$pa"
    done
}

scenario_leader_stuck() {
    local pa pb line
    make_trail
    cluster raw:1
    kafka_produce raw first.ndjson --key-field "$KEY" || exit 2
    "$TW" "${CONSUME[@]}" -t raw -G gs > a.out 2> a.err &
    pa=$!
    kafka_signals_ready "$pa"
    for _ in $(seq 1 150); do
        kafka_ask_stats "$pa" a.err
        [ "$(kafka_last_stat a.err kafka.messages)" = 700 ] && break
        sleep 0.2
    done
    expect_eq "the first member read the first part" "$(kafka_last_stat a.err kafka.messages)" 700
    # the second joins; the first, the group's leader, rejoins (it heartbeats every 500 ms) and
    # is frozen: the group answers both JoinGroups after 5 s and waits for the leader's
    # SyncGroup for 6 s (session.timeout.ms)
    "$TW" "${CONSUME[@]}" -t raw -G gs -X debug=cgrp > b.out 2> b.err &
    pb=$!
    sleep 1.5
    kill -STOP "$pa"
    for _ in $(seq 1 200); do
        grep -q -a 'JoinGroup response: GenerationId' b.err && break
        sleep 0.1
    done
    line=$(grep -a 'JoinGroup response: GenerationId' b.err | tail -n 1)
    check "the group answered the second member's JoinGroup" \
        grep -q -E 'LeaderId [^,]*, my MemberId.*\(no error\)' <<<"$line"
    sleep 1
    kafka_ask_stats "$pb" b.err
    expect_eq "... and assigned it nothing yet" "$(kafka_last_stat b.err kafka.assignments)" 0
    stop b "$pb"
    check "b: stderr says why it was not destroyed" grep -q -a 'issue 4312' b.err
    kill -CONT "$pa"
    # the leader, resumed, rejoins the group and reads the rest
    kafka_produce raw rest.ndjson --key-field "$KEY" || exit 2
    check "the first member, resumed, finds replay's findings" wait_findings a.out
    stop a "$pa"
    expect_eq "the second read nothing" "$(kafka_last_stat b.err kafka.messages)" 0
}

scenario_no_broker() {
    local d port lpid pid how
    # a listener that accepts connections and never answers one
    python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' > port.txt &
    lpid=$!
    for _ in $(seq 1 50); do [ -s port.txt ] && break; sleep 0.1; done
    port=$(head -n 1 port.txt)
    check "a silent listener is up (port $port)" test -n "$port"
    for how in refused silent; do
        for d in 0.5 3; do
            local bs=127.0.0.1:1
            [ "$how" = silent ] && bs=127.0.0.1:$port
            "$TW" consume -b "$bs" -t raw -G gn -f compact --stats -q > "n-$how-$d.out" 2> "n-$how-$d.err" &
            pid=$!
            kafka_signals_ready "$pid"
            sleep "$d"
            stop "n-$how-$d" "$pid"
            expect_eq "n-$how-$d: read nothing" "$(kafka_last_stat "n-$how-$d.err" kafka.messages)" 0
        done
    done
    kill "$lpid"
    wait "$lpid" 2>/dev/null
}


scenario_idle_at_end() {
    local pa pb rb t0 took
    make_trail
    cluster raw:1
    kafka_produce raw trail.ndjson --key-field "$KEY" || exit 2
    # A holds the partition and runs on (no --exit-at-end); B joins with --exit-at-end
    "$TW" "${CONSUME[@]}" -t raw -G gi > a.out 2> a.err &
    pa=$!
    kafka_signals_ready "$pa"
    for _ in $(seq 1 150); do
        kafka_ask_stats "$pa" a.err
        [ "$(kafka_last_stat a.err kafka.messages)" -ge 1 ] 2>/dev/null && break
        sleep 0.2
    done
    t0=$(date +%s.%N)
    "$TW" "${CONSUME[@]}" -t raw -G gi --exit-at-end > b.out 2> b.err &
    pb=$!
    for _ in $(seq 1 200); do
        kill -0 "$pb" 2> /dev/null || break
        sleep 0.2
    done
    took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    if kill -0 "$pb" 2> /dev/null; then
        fail "B (nothing assigned, --exit-at-end) still runs after $took s"
        kill -KILL "$pb"
    fi
    wait "$pb"
    rb=$?
    echo "    B gone after $took s"
    expect_eq "B, given nothing, exits 0 by itself" "$rb" 0
    check "... 10 s after the group's last rebalance, within 40 s ($took s)" \
        awk -v t="$took" 'BEGIN { exit !(t >= 10 && t < 40) }'
    expect_eq "B read nothing" "$(stat_of b kafka.messages)" 0
    check "B said why" grep -q -a 'no partition assigned 10 s after the group.s last rebalance: nothing to read' b.err
    check "B: no abort, no sanitizer report" \
        bash -c "! grep -q -a -E 'Assertion|Sanitizer|runtime error:' '$WORK/b.err'"
    check "A kept the partition and found replay's findings" wait_findings a.out
    stop A "$pa"
}

kafka_run_scenario
