#!/usr/bin/env bash
# changelog.sh TRAILWARDEN BUILD_DIR TW_MOCK_KAFKA KCAT [SCENARIO]: what consume --state-topic
# writes and `trailwarden state export|import` move, against the mock cluster (docs/consume.md,
# "State that follows its partition"; the scale-out scenarios are scaleout.sh):
#   export_import  a replay's --state-dir exported to a changelog; consume --state-topic of the
#                  rest of the trail, routed to a keyed topic, finds what a replay going on from
#                  that --state-dir finds (the identities restored in the partitions route gave
#                  them); the changelog imported back into a directory gives a replay the same
#                  findings again;
#   too_large      consume --state-topic with a small message.max.bytes: the identities whose
#                  state is over the bound are refused whole, said (10 at most) and counted
#                  (kafka.changelog.too_large), the others written, the findings unchanged;
#   audit_follows  the audit destinations a partition's records named (CreateTrail, ...) follow
#                  that partition: a second instance that restores it finds the deletion of
#                  one (High) that an instance with an empty changelog misses;
#   static_rejoin  an instance with static membership (-X group.instance.id) stopped with
#                  SIGTERM and started again: it restores its partitions from the changelog
#                  and the two runs find what one replay finds (librdkafka 2.0.2's mock makes
#                  the rejoin wait for the old session to expire; a real broker does not);
#   tombstones     --max-identities below the trail's: each identity evicted gets one tombstone
#                  (a record without value), written once, at the barrier after its eviction
#                  (kafka.changelog.tombstones = state.evicted over two barriers);
#   grants_follow  grant tracking (--grants, --unused-after) with a book per partition: route
#                  copies each grant call to every partition; A reads the first half alone,
#                  then B and C in one group read the rest, restoring the books A wrote; the
#                  union of their grant findings (unused-privileged-grant, dormant-privilege-used,
#                  training-telemetry-granted) is replay's, uid for uid, and so is every other
#                  finding;
#   usage          what state refuses: exit 2 for usage, 1 for a missing checkpoint (before any
#                  broker is asked), 2 for a missing topic or a partition it does not have.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/../scripts/lib.bash"
source "$(dirname "$0")/lib.sh"

SCENARIOS=(export_import usage too_large audit_follows static_rejoin tombstones grants_follow)
kafka_scenario "$@"
kafka_test_args "${@:1:4}"

ids() { jq -r 'select((.update // false) == false) | .finding_info.uid' "$@" | sort -u; }

scenario_export_import() {
    kafka_start --brokers 1 keyed:4 state:4 || exit 2
    local BS=$KAFKA_BOOTSTRAP
    # gen is deterministic: at this cut, B's findings depend on A's state (checked below)
    "$TW" gen -n 2500 --identities 50 --scenario all -q -o gen.ndjson || exit 2
    jq -c -s 'sort_by(.eventTime)[]' gen.ndjson > trail.ndjson
    head -n 1400 trail.ndjson > A.ndjson
    tail -n +1401 trail.ndjson > B.ndjson
    "$TW" replay -q --state-dir seed A.ndjson > A.out
    cp -r seed seed.copy
    "$TW" replay -q --state-dir seed.copy B.ndjson > B-replay.out
    ids B-replay.out > want.ids
    check "the replay of B finds something" test "$(wc -l < want.ids)" -gt 2
    # B without A's state finds something else: the state is what the test is about
    "$TW" replay -q B.ndjson > B-cold.out
    ids B-cold.out > cold.ids
    check "B without A's state finds something else" bash -c "! cmp -s want.ids cold.ids"

    tw export state export --state-dir seed -o "kafka:state@$BS"
    expect_eq "export: exit status" "$(cat "$WORK/export.rc")" 0
    local n_seed
    n_seed=$(grep -o -E '[0-9]+ identities' "$WORK/export.err" | awk '{print $1}')
    check "export: says how many identities" test "${n_seed:-0}" -gt 10
    expect_eq "export: the changelog holds them" "$(kafka_count state)" "$n_seed"

    "$TW" route -q -b "$BS" -o kafka:keyed B.ndjson || exit 2
    "$TW" consume -b "$BS" -t keyed -G g --state-topic state --exit-at-end --stats \
        -o file:B-consume.out 2> consume.err
    expect_eq "consume: exit status" "$?" 0
    ids B-consume.out > got.ids
    same_output "consume of B from the exported changelog finds what replay from the directory finds" want.ids got.ids
    local restored
    restored=$(grep -a -E '^  kafka.restore\.' consume.err | awk '{s += $7} END {print s + 0}')
    expect_eq "consume: every exported identity restored (in its route partition)" "$restored" "$n_seed"
    expect_eq "consume: no partition without history" \
        "$(grep -a '^  kafka.partitions_without_history ' consume.err | awk '{print $2}')" 0

    tw import state import -b "$BS" --state-topic state --state-dir pulled
    expect_eq "import: exit status" "$(cat "$WORK/import.rc")" 0
    check "import: wrote a checkpoint" test -s pulled/checkpoint
    # the changelog now holds the seed and consume's changes: a replay of B from it is a replay
    # of B on top of B; from one partition only, it has that partition's identities
    tw import1 state import -b "$BS" --state-topic state --state-dir part1 --partition 1
    expect_eq "import --partition: exit status" "$(cat "$WORK/import1.rc")" 0
    local n_all n_one
    n_all=$(grep -o -E '^trailwarden: state import: [0-9]+' "$WORK/import.err" | grep -o -E '[0-9]+$')
    n_one=$(grep -o -E '^trailwarden: state import: [0-9]+' "$WORK/import1.err" | grep -o -E '[0-9]+$')
    check "import --partition 1: some, not all ($n_one of $n_all)" test "${n_one:-0}" -gt 0 -a "${n_one:-0}" -lt "${n_all:-0}"
    # a fresh changelog from the same seed, imported, gives replay the same findings
    kafka_cmd "topic state2 4" || exit 2
    "$TW" state export -q --state-dir seed -o "kafka:state2@$BS" || exit 2
    "$TW" state import -q -b "$BS" --state-topic state2 --state-dir roundtrip || exit 2
    "$TW" replay -q --state-dir roundtrip B.ndjson > B-roundtrip.out
    same_output "replay of B from an exported then imported state" want.ids <(ids B-roundtrip.out)
}

scenario_usage() {
    kafka_start --brokers 1 keyed:4 state:4 || exit 2
    local BS=$KAFKA_BOOTSTRAP
    tw bare state
    expect_eq "state alone: usage" "$(cat "$WORK/bare.rc")" 2
    tw noout state export --state-dir d
    expect_eq "export without -o: usage" "$(cat "$WORK/noout.rc")" 2
    tw notopic state import -b "$BS" --state-dir d
    expect_eq "import without --state-topic: usage" "$(cat "$WORK/notopic.rc")" 2
    tw nofile state export --state-dir nowhere -o kafka:state@127.0.0.1:1
    expect_eq "export of a missing checkpoint: exit 1" "$(cat "$WORK/nofile.rc")" 1
    check "export of a missing checkpoint: names it" grep -q 'nowhere/checkpoint' "$WORK/nofile.err"
    tw missing state import -b "$BS" --state-topic nope --state-dir d
    expect_eq "import of a missing topic: usage" "$(cat "$WORK/missing.rc")" 2
    check "import of a missing topic: names it" grep -q 'topic nope does not exist' "$WORK/missing.err"
    tw range state import -b "$BS" --state-topic state --state-dir d --partition 9
    expect_eq "import --partition 9 of 4: usage" "$(cat "$WORK/range.rc")" 2
}

scenario_too_large() {
    kafka_start --brokers 1 keyed:4 state:4 || exit 2
    local BS=$KAFKA_BOOTSTRAP
    "$TW" gen -n 2500 --identities 50 --scenario all -q -o trail.ndjson || exit 2
    "$TW" route -q -b "$BS" -o kafka:keyed trail.ndjson || exit 2
    "$TW" replay -q trail.ndjson > replay.out
    # a bound of 750 bytes (message.max.bytes 1500, less the batch's framing)
    "$TW" consume -b "$BS" -t keyed -G g --state-topic state --exit-at-end --stats \
        --checkpoint-every 1s -X message.max.bytes=1500 -o file:consume.out 2> consume.err
    expect_eq "consume: exit status" "$?" 0
    local too_large written said
    too_large=$(grep -a '^  kafka.changelog.too_large ' consume.err | awk '{print $2}')
    written=$(grep -a '^  kafka.changelog.records ' consume.err | awk '{print $2}')
    said=$(grep -c 'over the bound of 750' consume.err)
    check "some refused ($too_large)" test "${too_large:-0}" -gt 0
    check "the others written ($written)" test "${written:-0}" -gt 0
    check "said, at most 10 times ($said)" test "$said" -ge 1 -a "$said" -le 10
    expect_eq "the changelog holds what was written" "$(kafka_count state)" "$written"
    same_output "findings unchanged" <(ids replay.out) <(ids consume.out)
}

scenario_audit_follows() {
    kafka_start --brokers 1 keyed:2 state:2 deletes:2 empty:2 || exit 2
    local BS=$KAFKA_BOOTSTRAP root=$ROOT case
    case=$root/tests/e2e/rule-logging-tampered-audit-destinations
    local ARGS=(-f compact --no-default-rules -r "$root/rules/sigma/logging-tampered.yml"
                --audit-log-group '/siem/*' --exit-at-end --stats -X session.timeout.ms=6000
                -X heartbeat.interval.ms=500)
    head -n 4 "$case/records.ndjson" > naming.ndjson   # CreateTrail, CreateFlowLogs, ...
    tail -n +5 "$case/records.ndjson" > deleting.ndjson
    "$TW" replay "${ARGS[@]:0:7}" "$case/records.ndjson" > whole.out 2>/dev/null
    "$TW" route -q -b "$BS" -o kafka:keyed naming.ndjson || exit 2
    "$TW" consume -b "$BS" -t keyed -G g --state-topic state "${ARGS[@]}" > a.out 2> a.err
    expect_eq "A: exit status" "$?" 0
    check "A wrote the destinations to the changelog" \
        test "$(KAFKA_FORMAT='%k\n' kafka_consume_all state | grep -c 'audit-destinations')" -ge 1
    "$TW" route -q -b "$BS" -o kafka:keyed deleting.ndjson || exit 2
    "$TW" consume -b "$BS" -t keyed -G g --state-topic state "${ARGS[@]}" > b.out 2> b.err
    expect_eq "B: exit status" "$?" 0
    same_output "A then B find what one replay finds" <(sort whole.out) \
        <(cat a.out b.out | jq -c 'del(.processed_time)' | sort)
    # the same deletions with a changelog that holds nothing: the stream-named destinations are
    # unknown (what B found, it found through the changelog)
    "$TW" route -q -b "$BS" -o kafka:deletes deleting.ndjson || exit 2
    "$TW" consume -b "$BS" -t deletes -G g2 --state-topic empty "${ARGS[@]}" > c.out 2> c.err
    check "without the changelog's destinations a High finding is missed" \
        test "$(jq -s '[.[] | select(.severity == "High")] | length' c.out)" -lt \
             "$(jq -s '[.[] | select(.severity == "High")] | length' whole.out)"
}

scenario_static_rejoin() {
    kafka_start --brokers 1 keyed:4 state:4 || exit 2
    local BS=$KAFKA_BOOTSTRAP pid
    "$TW" gen -n 2500 --identities 50 --scenario all -q -o gen.ndjson || exit 2
    jq -c -s 'sort_by(.eventTime)[]' gen.ndjson > trail.ndjson
    head -n 1400 trail.ndjson > A.ndjson
    tail -n +1401 trail.ndjson > B.ndjson
    "$TW" replay -q trail.ndjson > whole.out
    local X=(-X group.instance.id=host-a -X session.timeout.ms=10000 -X heartbeat.interval.ms=500)
    "$TW" route -q -b "$BS" -o kafka:keyed A.ndjson || exit 2
    "$TW" consume -b "$BS" -t keyed -G g --state-topic state --checkpoint-every 1s --stats \
        "${X[@]}" -o file:a.out 2> a.err &
    pid=$!
    kafka_signals_ready "$pid"
    for _ in $(seq 1 100); do # until every record of A is read and its barrier written
        sleep 0.2
        [ "$(kafka_count state)" -gt 0 ] && break
    done
    sleep 2
    kill -TERM "$pid"
    wait "$pid"
    expect_eq "first run: exit status" "$?" 0
    "$TW" route -q -b "$BS" -o kafka:keyed B.ndjson || exit 2
    "$TW" consume -b "$BS" -t keyed -G g --state-topic state --exit-at-end --stats "${X[@]}" \
        -o file:b.out 2> b.err
    expect_eq "second run: exit status" "$?" 0
    same_output "the two runs find what one replay finds" <(ids whole.out) <(ids a.out b.out)
    local restored
    restored=$(grep -a -E '^  kafka.restore\.' b.err | awk '{s += $7} END {print s + 0}')
    check "second run: identities restored ($restored)" test "$restored" -gt 0
    expect_eq "second run: no partition without history" \
        "$(grep -a '^  kafka.partitions_without_history ' b.err | awk '{print $2}')" 0
}

scenario_tombstones() {
    kafka_start --brokers 1 keyed:2 state:2 || exit 2
    local BS=$KAFKA_BOOTSTRAP pid
    "$TW" gen -n 3000 --identities 60 -q -o gen.ndjson || exit 2
    jq -c -s 'sort_by(.eventTime)[]' gen.ndjson > trail.ndjson
    head -n 1500 trail.ndjson > A.ndjson
    tail -n +1501 trail.ndjson > B.ndjson
    "$TW" route -q -b "$BS" -o kafka:keyed A.ndjson || exit 2
    "$TW" consume -b "$BS" -t keyed -G g --state-topic state --checkpoint-every 1s --stats \
        --max-identities 20 -j1 -o file:c.out 2> c.err &
    pid=$!
    kafka_signals_ready "$pid"
    for _ in $(seq 1 100); do # A read, and a barrier after it
        sleep 0.2
        kafka_ask_stats "$pid" c.err
        [ "$(kafka_last_stat c.err kafka.messages)" = 1500 ] &&
            [ "$(kafka_last_stat c.err kafka.changelog.tombstones)" -gt 0 ] && break
    done
    sleep 1.5 # another barrier: nothing removed since, nothing more to write
    "$TW" route -q -b "$BS" -o kafka:keyed B.ndjson || exit 2
    for _ in $(seq 1 100); do
        sleep 0.2
        kafka_ask_stats "$pid" c.err
        [ "$(kafka_last_stat c.err kafka.messages)" = 3000 ] && break
    done
    kill -TERM "$pid"
    wait "$pid"
    expect_eq "consume: exit status" "$?" 0
    local evicted tombstones
    evicted=$(kafka_last_stat c.err state.evicted)
    tombstones=$(kafka_last_stat c.err kafka.changelog.tombstones)
    check "identities were evicted ($evicted)" test "${evicted:-0}" -gt 20
    expect_eq "one tombstone an eviction, each written once" "$tombstones" "$evicted"
    expect_eq "the changelog holds them (records without value)" \
        "$(KAFKA_FORMAT='%S\n' kafka_consume_all state | grep -c -x -- -1)" "$evicted"
}


scenario_grants_follow() {
    kafka_start --brokers 1 keyed:8 state:8 || exit 2
    local BS=$KAFKA_BOOTSTRAP half pa pb pc
    # 15,000 records of 150 identities over 40 days, 8 of them grant calls (AttachRolePolicy);
    # an inventory giving 60 of the trail's roles and users two grants each
    "$TW" gen -n 15000 --identities 150 --span 40d --scenario all -q -o gen.ndjson || exit 2
    jq -c -s 'sort_by(.eventTime)[]' gen.ndjson > trail.ndjson
    python3 "$ROOT/bench/gen_inventory.py" -n 60 --seed 1 -o inv.json trail.ndjson 2> inv.log ||
        { fail "gen_inventory.py: $(cat inv.log)"; return; }
    local ARGS=(--grants inv.json --unused-after 7d --stats -X session.timeout.ms=6000
                -X heartbeat.interval.ms=500 --exit-at-end)
    "$TW" replay "${ARGS[@]:0:4}" trail.ndjson > want.ndjson 2> /dev/null
    local grant_rules='unused-privileged-grant|dormant-privilege-used|training-telemetry-granted'
    grep -E "\"uid\":\"($grant_rules)\"" want.ndjson | ids > want_grants.ids
    echo "    replay's grant findings: $(grep -E -o "\"analytic\":\\{[^}]*\"uid\":\"($grant_rules)\"" want.ndjson | grep -E -o "($grant_rules)" | sort | uniq -c | awk '{ printf "%s %s, ", $2, $1 }')"
    check "replay finds grant findings to compare ($(wc -l < want_grants.ids))" \
        test "$(wc -l < want_grants.ids)" -gt 50
    half=$(($(wc -l < trail.ndjson) / 2))
    head -n "$half" trail.ndjson > first.ndjson
    tail -n +"$((half + 1))" trail.ndjson > rest.ndjson

    "$TW" route -b "$BS" --stats -X compression.type=zstd -o kafka:keyed first.ndjson 2> route1.err || exit 2
    check "route copied grant calls to every partition" \
        test "$(awk '$1 == "route.grant_copies" { print $2 }' route1.err)" -gt 0
    "$TW" consume -b "$BS" -t keyed -G g --state-topic state "${ARGS[@]}" > a.out 2> a.err
    expect_eq "A: exit status" "$?" 0
    expect_eq "A's books read each grant call's copy in each of the 8 partitions (grants.copies)" \
        "$(awk '$1 == "grants.copies" { print $2 }' a.err)" \
        "$((8 * $(awk '$1 == "route.grant_copies" { print $2 }' route1.err)))"
    expect_eq "A: a copy is a message, not an event (ingest.events = the records)" \
        "$(awk '$1 == "ingest.events" { print $2 }' a.err)" "$half"
    check "A wrote its partitions' books to the changelog" \
        test "$(KAFKA_FORMAT='%k\n' kafka_consume_all state | grep -c -a 'grants')" -ge 8

    "$TW" route -b "$BS" -X compression.type=zstd -o kafka:keyed rest.ndjson 2> route2.err || exit 2
    "$TW" consume -b "$BS" -t keyed -G g --state-topic state "${ARGS[@]}" > b.out 2> b.err &
    pb=$!
    "$TW" consume -b "$BS" -t keyed -G g --state-topic state "${ARGS[@]}" > c.out 2> c.err &
    pc=$!
    wait "$pb"
    expect_eq "B: exit status" "$?" 0
    wait "$pc"
    expect_eq "C: exit status" "$?" 0
    echo "    B: $(awk '$1 == "kafka.messages" { print $2 }' b.err) messages, C: $(awk '$1 == "kafka.messages" { print $2 }' c.err)"
    expect_eq "B and C: no partition without history" \
        "$(cat b.err c.err | awk '$1 == "kafka.partitions_without_history" { s += $2 } END { print s + 0 }')" 0
    cat a.out b.out c.out > union.ndjson
    grep -E "\"uid\":\"($grant_rules)\"" union.ndjson | ids > got_grants.ids
    same_output "the books' grant findings are replay's, uid for uid" got_grants.ids want_grants.ids
    same_output "and every finding's uid is replay's" <(ids union.ndjson) <(ids want.ndjson)
}

kafka_run_scenario
