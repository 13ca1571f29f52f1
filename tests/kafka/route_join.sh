#!/usr/bin/env bash
# route_join.sh TRAILWARDEN BUILD_DIR TW_MOCK_KAFKA KCAT: `trailwarden route` stopped while its
# group forms exits cleanly. librdkafka 2.0.2 aborts a cooperative-sticky consumer destroyed
# between the group's answer to its JoinGroup and the assignment that follows (its issue 4312:
# `Assertion 'assignor_state' failed`); a restart whose group waits for a dead member's session
# sits in that window for seconds. consume has waited for the assignment there since issue 13
# (restart.sh); route, with a consumer of its own, aborted: 5 of 7 SIGTERMs 5-9 s into such a
# restart.
#
# Three times, each in a group of its own: run 1 routes RAW and is killed -9 once assigned (its
# member holds the next join up for its session, 6 s); run 2 joins and gets SIGTERM 5, 6.5 or
# 8 s later: exit 0 within 15 s, no abort; run 3 (--exit-at-end) routes what is left: every
# record of RAW is on that try's KEYED topic at least once.
source "$(dirname "$0")/../scripts/lib.bash"
source "$(dirname "$0")/lib.sh"

kafka_test_args "$@"

"$TW" gen -n 300 --identities 20 -q -o trail.ndjson || exit 2
jq -r '.eventID' trail.ndjson | sort -u > want_ids.txt
kafka_start --brokers 1 raw:4 keyed1:2 keyed2:2 keyed3:2 || exit 2
BS=$KAFKA_BOOTSTRAP
kafka_produce raw trail.ndjson || exit 2
ROUTE=(route -b "$BS" -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 --stats -q)

assignments_now() { # ERRFILE: the last route.assignments of --stats printed on SIGUSR1
    grep -a '^  route.assignments ' "$1" | tail -n 1 | awk '{print $2}'
}

i=0
for delay in 5 6.5 8; do
    i=$((i + 1))
    "$TW" "${ROUTE[@]}" -t raw -G "g$i" -o "kafka:keyed$i" > "r1-$i.out" 2> "r1-$i.err" &
    pid=$!
    kafka_signals_ready "$pid"
    for _ in $(seq 1 150); do
        sleep 0.2
        kill -USR1 "$pid" 2>/dev/null
        [ "$(assignments_now "r1-$i.err")" -ge 1 ] 2>/dev/null && break
    done
    check "try $i: run 1 is assigned its partitions" test "$(assignments_now "r1-$i.err")" -ge 1
    sleep 1
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null

    "$TW" "${ROUTE[@]}" -t raw -G "g$i" -o "kafka:keyed$i" > "r2-$i.out" 2> "r2-$i.err" &
    pid=$!
    kafka_signals_ready "$pid"
    sleep "$delay"
    t0=$(date +%s.%N)
    kill -TERM "$pid"
    wait "$pid"
    rc=$?
    t1=$(date +%s.%N)
    expect_eq "try $i: run 2 stopped by SIGTERM ${delay} s into the join: exit 0" "$rc" 0
    check "try $i: ... within 15 s" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 15) }'
    check "try $i: ... no abort, no sanitizer report" \
        bash -c "! grep -q -E 'Sanitizer|runtime error:|Assertion' 'r2-$i.err'"
    grep -a -E 'Assertion|Sanitizer' "r2-$i.err" | head -3 | sed 's/^/    /'

    tw "r3-$i" "${ROUTE[@]}" -t raw -G "g$i" -o "kafka:keyed$i" --exit-at-end
    expect_eq "try $i: run 3 exits 0" "$(rc_of "r3-$i")" 0
    kafka_consume_all "keyed$i" | jq -r '.eventID' | sort -u > "got_ids-$i.txt"
    same_output "try $i: every record routed at least once" "got_ids-$i.txt" want_ids.txt
done

kafka_stop
finish
