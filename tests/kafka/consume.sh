#!/usr/bin/env bash
# consume.sh TRAILWARDEN BUILD_DIR TW_MOCK_KAFKA KCAT [SCENARIO]: `trailwarden consume` against
# librdkafka's mock cluster in a process of its own (tw_mock_kafka), reached over TCP. Each
# scenario is a CTest entry of its own (kafka.consume.SCENARIO) with a cluster of its own;
# without SCENARIO all run, one after the other (README.md, "Scenarios"):
#   refused_prop   a property librdkafka refuses: exit 2 before anything is read, its words;
#   replay_match   the findings from consuming a generated trail (keyed by identity, 4
#                  partitions, 3 brokers) are those from replaying it (metadata.processed_time
#                  aside), and each carries a processed_time; with -o kafka:findings they are
#                  also on that topic, keyed by identity;
#   sigterm        SIGTERM: exit 0 within seconds, offsets committed; a restart reads only what
#                  came after;
#   broker_bounce  a broker taken down and brought back during the run: every finding comes;
#   two_instances  two instances in one group: each finding exactly once across both;
#   poison         poison records (not JSON, 2 MB of junk, wrong types) are counted and
#                  skipped, their offsets commit, the consumer goes on (the findings around
#                  them still come); --stats says lag 0 where it read to the end, and a
#                  second run in the group, with nothing to do, lag -1 (none of its own);
#   unkeyed        records of one identity in several partitions (an unkeyed topic) are
#                  counted and named;
#   lateness       --lateness counts disorder within a partition, not between partitions;
#   kill9_state    kill -9 in the middle and a restart with the same --state-dir: no finding
#                  lost;
#   kill9_nostate  ... and without --state-dir the same restart does lose some (so that
#                  kill9_state can fail).
# shellcheck disable=SC2317 # scenario_* functions are called by name (kafka_run_scenario)
source "$(dirname "$0")/../scripts/lib.bash"
source "$(dirname "$0")/lib.sh"

SCENARIOS=(refused_prop replay_match sigterm broker_bounce two_instances poison unkeyed lateness kill9_state kill9_nostate)
kafka_scenario "$@"
kafka_test_args "${@:1:4}"

# The identity a record belongs to, as a partition key (any stable function of the identity
# will do: its records must all go to one partition).
KEY='.userIdentity.sessionContext.sessionIssuer.arn // .userIdentity.arn // .userIdentity.invokedBy // .userIdentity.principalId // "none"'
strip() { jq -c 'select((.update // false) == false) | del(.processed_time)' "$1" | sort; }

# A trail small enough for the mock's ~5 MB a partition, in event-time order as a CloudTrail
# to Kafka pipeline delivers it; and what replay finds in it (want.txt).
make_trail() {
    "$TW" gen -n 2500 --identities 50 --scenario all -q -o gen.ndjson || exit 2
    jq -c -s 'sort_by(.eventTime)[]' gen.ndjson > trail.ndjson
    head -n 1200 trail.ndjson > first.ndjson
    tail -n +1201 trail.ndjson > rest.ndjson
    tw replay replay -f compact trail.ndjson
    check "replay finds something to compare" test "$(wc -l < replay.out)" -gt 5
    strip replay.out > want.txt
}

# A cluster with TOPIC:PARTITIONS..., and the consume command line for it.
cluster() {
    kafka_start --brokers 3 "$@" || exit 2
    BS=$KAFKA_BOOTSTRAP
    CONSUME=(consume -b "$BS" -f compact -X session.timeout.ms=6000
             -X heartbeat.interval.ms=500 -X auto.commit.interval.ms=200)
}

scenario_refused_prop() {
    # a property librdkafka refuses: exit 2 before anything is read, its words on stderr
    tw badprop consume -b 127.0.0.1:1 -t raw -X no.such.property=secret-value
    expect_eq "a refused -X: exit 2" "$(cat "$WORK/badprop.rc")" 2
    check "a refused -X: librdkafka's words, the property named" grep -q 'no.such.property: No such configuration property' "$WORK/badprop.err"
    check "a refused -X: the value is not echoed" bash -c "! grep -q secret-value '$WORK/badprop.err'"
}

scenario_replay_match() {
    make_trail
    cluster raw:4
    kafka_produce raw trail.ndjson --key-field "$KEY" || exit 2
    tw whole "${CONSUME[@]}" -t raw -G g1 --exit-at-end --stats -o stdout -o kafka:findings
    expect_eq "consume exits 0 at the end" "$(cat "$WORK/whole.rc")" 0
    expect_eq "every message read" "$(stat_of whole kafka.messages)" "$(wc -l < trail.ndjson)"
    strip whole.out > got.txt
    same_output "consume finds what replay finds" got.txt want.txt
    check "each finding carries a processed_time (ms since the epoch)" \
        jq_true whole.out '.processed_time | type == "number" and . > 1700000000000'
    expect_eq "keyed by identity: no identity in two partitions" "$(stat_of whole kafka.split_identities)" 0
    # the same findings on the findings topic (consume's brokers), keyed by identity
    KAFKA_FORMAT='%k\t%s\n' kafka_consume findings "$(wc -l < whole.out)" 30 > topic.txt
    expect_eq "findings topic: one message a finding" "$(wc -l < topic.txt)" "$(wc -l < whole.out)"
    cut -f2- topic.txt | sort > topic_bodies.txt
    sort whole.out > stdout_bodies.txt
    same_output "findings topic: the bodies written to stdout" topic_bodies.txt stdout_bodies.txt
    check "findings topic: each key is its finding's identity" \
        awk -F'\t' '{ if (index($2, "\"identity\":\"" $1 "\"") == 0) exit 1 }' topic.txt
}

scenario_sigterm() {
    local pid n rc t0 t1
    make_trail
    cluster raw2:4
    kafka_produce raw2 first.ndjson --key-field "$KEY" || exit 2
    "$TW" "${CONSUME[@]}" -t raw2 -G g2 --stats > term1.out 2> term1.err &
    pid=$!
    kafka_signals_ready "$pid" # SIGUSR1 asks for --stats below
    # wait until it has read the first part (SIGUSR1 prints --stats)
    for _ in $(seq 1 600); do
        sleep 0.2
        kill -USR1 "$pid" 2>/dev/null
        n=$(grep -a 'kafka.messages' term1.err | tail -n 1 | awk '{print $2}')
        [ "${n:-0}" -ge 1200 ] && break
    done
    sleep 1 # its offsets are stored every 200 ms and committed every 200 ms
    t0=$(date +%s.%N)
    kill -TERM "$pid"
    wait "$pid"
    rc=$?
    t1=$(date +%s.%N)
    expect_eq "SIGTERM: exit 0" "$rc" 0
    check "SIGTERM: gone within 5 s" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 5) }'
    expect_eq "first run read the first part" "$(grep -a 'kafka.messages' term1.err | tail -n 1 | awk '{print $2}')" 1200
    kafka_produce raw2 rest.ndjson --key-field "$KEY" || exit 2
    tw term2 "${CONSUME[@]}" -t raw2 -G g2 --exit-at-end --stats
    expect_eq "restart reads only what came after" "$(stat_of term2 kafka.messages)" "$(wc -l < rest.ndjson)"
}

scenario_broker_bounce() {
    local bouncer chunks
    make_trail
    cluster raw3:4
    kafka_produce raw3 trail.ndjson --key-field "$KEY" || exit 2
    ( sleep 0.3; kafka_cmd "down 1"; sleep 3; kafka_cmd "up 1" ) > /dev/null 2>&1 &
    bouncer=$!
    tw bounce "${CONSUME[@]}" -t raw3 -G g3 --exit-at-end --stats
    wait "$bouncer"
    expect_eq "broker bounce: exit 0" "$(cat "$WORK/bounce.rc")" 0
    expect_eq "broker bounce: every message read" "$(stat_of bounce kafka.messages)" "$(wc -l < trail.ndjson)"
    chunks=$(stat_of bounce kafka.chunks)
    check "broker bounce: the chunks handed to the parsers are counted ($chunks)" \
        test "${chunks:-0}" -ge 1 -a "${chunks:-0}" -le "$(wc -l < trail.ndjson)"
    strip bounce.out > got3.txt
    same_output "broker bounce: nothing lost" got3.txt want.txt
}

scenario_two_instances() {
    local pa pb ra rb total
    make_trail
    cluster raw4:4
    "$TW" "${CONSUME[@]}" -t raw4 -G g4 > twoA.out 2> twoA.err &
    pa=$!
    "$TW" "${CONSUME[@]}" -t raw4 -G g4 > twoB.out 2> twoB.err &
    pb=$!
    sleep 5 # both join, the partitions are shared out
    kafka_produce raw4 trail.ndjson --key-field "$KEY" || exit 2
    total=$(wc -l < want.txt)
    for _ in $(seq 1 600); do
        [ "$(cat twoA.out twoB.out | wc -l)" -ge "$total" ] && break
        sleep 0.2
    done
    sleep 1
    kill -TERM "$pa" "$pb"
    wait "$pa"; ra=$?
    wait "$pb"; rb=$?
    expect_eq "two instances: both exit 0" "$ra $rb" "0 0"
    cat twoA.out twoB.out > two.out
    strip two.out > got4.txt
    same_output "two instances: each finding exactly once across both" got4.txt want.txt
    check "two instances: both took part" test -s twoA.out -a -s twoB.out
}

scenario_poison() {
    make_trail
    cluster raw5:4
    head -n 600 trail.ndjson > p1.ndjson
    tail -n +601 trail.ndjson > p2.ndjson
    {
        echo 'this is not JSON'
        head -c 2000000 /dev/zero | tr '\0' 'x'; echo
        echo '{"eventTime": 42, "eventName": ["x"], "userIdentity": "nobody"}'
    } > bad.txt
    kafka_produce raw5 p1.ndjson --key-field "$KEY" || exit 2
    kafka_produce raw5 bad.txt -X message.max.bytes=4000000 || exit 2
    kafka_produce raw5 p2.ndjson --key-field "$KEY" || exit 2
    tw poison "${CONSUME[@]}" -t raw5 -G g5 --exit-at-end --stats -X fetch.message.max.bytes=4000000
    expect_eq "poison: exit 0" "$(cat "$WORK/poison.rc")" 0
    expect_eq "poison: every message read" "$(stat_of poison kafka.messages)" "$(($(wc -l < trail.ndjson) + 3))"
    check "poison: the bad records are counted" test "$(stat_of poison ingest.rejected)" -ge 3
    check "poison: named on stderr" grep -q 'kafka' "$WORK/poison.err"
    strip poison.out > got5.txt
    same_output "poison: the findings around them still come" got5.txt want.txt
    # and their offsets committed: the group has nothing left to read
    tw poison2 "${CONSUME[@]}" -t raw5 -G g5 --exit-at-end --stats
    expect_eq "poison: offsets committed past them" "$(stat_of poison2 kafka.messages)" 0
    # --stats' lag is this instance's: 0 where it read to the end, -1 where it did nothing in
    # this run (the partition's length would claim a backlog the group has not)
    check "poison: every partition read to its end says lag 0" \
        awk '$1 ~ /^kafka\.partition\./ { n++; if ($7 != 0 && !($5 == -1 && $7 == -1)) bad = 1 }
             END { exit bad || !n }' "$WORK/poison.err"
    check "poison2: nothing done in this run, lag -1 on every partition" \
        awk '$1 ~ /^kafka\.partition\./ { n++; if ($5 != -1 || $7 != -1) bad = 1 }
             END { exit bad || !n }' "$WORK/poison2.err"
}

scenario_unkeyed() {
    # identities spread over partitions are named (consume warns, once each)
    make_trail
    cluster raw8:4
    kafka_produce raw8 trail.ndjson || exit 2
    tw spread "${CONSUME[@]}" -t raw8 -G g8 --exit-at-end --stats
    check "unkeyed: identities in two partitions are counted" test "$(stat_of spread kafka.split_identities)" -gt 0
    check "unkeyed: and named, pointing at route" grep -q 'arrives in more than one partition.*trailwarden route' "$WORK/spread.err"
}

# lateness is within a partition: partitions read side by side may be hours apart. Partition 0
# holds 20 records a minute apart from 10:00, partition 1 20 from 08:00 then 20 from 12:00 (in
# order within itself; whichever partition is read first, the other's records are hours away
# from it, far more than the 15 min of --lateness), and one record in partition 0 an hour
# behind its neighbours: the only late one
late_rec() { # MINUTE_OF_DAY ID
    printf '{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/late/s","accountId":"111122223333"},"eventTime":"2026-03-01T%02d:%02d:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.1","eventID":"late-%s","recipientAccountId":"111122223333"}\n' $(($1 / 60)) $(($1 % 60)) "$2"
}
scenario_lateness() {
    local i
    cluster raw:4
    : > late0.ndjson; : > late1.ndjson
    for i in $(seq 0 19); do late_rec $((600 + i)) "a$i" >> late0.ndjson; late_rec $((480 + i)) "b$i" >> late1.ndjson; done
    for i in $(seq 0 19); do late_rec $((720 + i)) "c$i" >> late1.ndjson; done
    late_rec 560 behind >> late0.ndjson
    kafka_cmd "topic late 2" || exit 2
    kafka_produce late late0.ndjson -p 0 || exit 2
    kafka_produce late late1.ndjson -p 1 || exit 2
    tw late "${CONSUME[@]}" -t late -G glate --exit-at-end --stats
    expect_eq "lateness: every record read" "$(stat_of late kafka.messages)" 61
    expect_eq "lateness: only the record behind its own partition is late" "$(stat_of late ingest.late)" 1
}

# A cut of the trail where state matters: replaying the two parts apart (state lost between
# them) misses findings that replaying the whole finds. killA.ndjson and killB.ndjson.
make_cut() {
    local k total_lines
    make_trail
    cut=""
    total_lines=$(wc -l < trail.ndjson)
    for k in $(seq 300 100 $((total_lines - 300))); do
        head -n "$k" trail.ndjson > cutA.ndjson
        tail -n +"$((k + 1))" trail.ndjson > cutB.ndjson
        { "$TW" replay -f compact cutA.ndjson; "$TW" replay -f compact cutB.ndjson; } 2>/dev/null |
            jq -c 'select((.update // false) == false) | del(.processed_time)' | sort -u > cutU.txt
        if ! cmp -s cutU.txt want.txt; then cut=$k; break; fi
    done
    check "the trail has a cut where state matters" test -n "$cut"
    [ -n "$cut" ] || cut=1200
    head -n "$cut" trail.ndjson > killA.ndjson
    tail -n +"$((cut + 1))" trail.ndjson > killB.ndjson
}

scenario_kill9_state() {
    local pid n
    make_cut
    cluster raw6:4
    kafka_produce raw6 killA.ndjson --key-field "$KEY" || exit 2
    "$TW" "${CONSUME[@]}" -t raw6 -G g6 --state-dir state6 --checkpoint-every 1s --stats \
        > kill1.out 2> kill1.err &
    pid=$!
    kafka_signals_ready "$pid" # SIGUSR1 asks for --stats below
    for _ in $(seq 1 600); do # until it has read part of what is there, and checkpointed
        sleep 0.2
        kill -USR1 "$pid" 2>/dev/null
        n=$(grep -a 'kafka.messages' kill1.err | tail -n 1 | awk '{print $2}')
        [ "${n:-0}" -ge $((cut / 2)) ] && [ -s state6/checkpoint ] && break
    done
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    check "kill -9: a checkpoint was written" test -s state6/checkpoint
    kafka_produce raw6 killB.ndjson --key-field "$KEY" || exit 2
    tw kill2 "${CONSUME[@]}" -t raw6 -G g6 --state-dir state6 --exit-at-end --stats
    expect_eq "kill -9: the restart exits 0" "$(cat "$WORK/kill2.rc")" 0
    cat kill1.out kill2.out > killed.out
    strip killed.out | sort -u > got6.txt
    same_output "kill -9: no finding lost (repeats allowed)" got6.txt want.txt
}

scenario_kill9_nostate() {
    # without the state, what came before the restart is forgotten: the same cut gives other
    # findings here (missed or repeated), which is what the checkpoint is for (so that
    # kill9_state can tell the difference)
    make_cut
    cluster raw7:4
    kafka_produce raw7 killA.ndjson --key-field "$KEY" || exit 2
    tw nostate1 "${CONSUME[@]}" -t raw7 -G g7 --exit-at-end
    kafka_produce raw7 killB.ndjson --key-field "$KEY" || exit 2
    tw nostate2 "${CONSUME[@]}" -t raw7 -G g7 --exit-at-end
    cat nostate1.out nostate2.out > nostate.out
    strip nostate.out | sort -u > got7.txt
    if cmp -s got7.txt want.txt; then
        fail "without --state-dir the restart should differ here (the cut is where state matters)"
    else
        pass "without --state-dir a restart differs on this trail (what --state-dir is for)"
    fi
}

kafka_run_scenario
