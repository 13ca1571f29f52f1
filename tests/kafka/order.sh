#!/usr/bin/env bash
# order.sh TRAILWARDEN BUILD_DIR TW_MOCK_KAFKA KCAT [SCENARIO]: the findings of `consume` are a
# function of each partition's records and their order, whatever the chunking and timing (issue
# 13, item 4).
#
# consume applies records as they arrive (DESIGN §2); within a partition, arrival order is the
# partition's order. The router used to re-sort each chunk's events by (time, eventID hash)
# while applying chunks in arrival order, so two records of one identity in the same second
# were swapped only when they fell in the same chunk, and where chunks end depends on timing.
#
# The same topics are consumed in chunks of 1, 2, 3, 7, 50, 1000 messages and of any size
# (TRAILWARDEN_TEST_CHUNK_MESSAGES, a test knob: tests/kafka/README.md), each a scenario and a
# CTest entry of its own (kafka.order.chunks_1 ... chunks_1000, chunks_any) with a cluster of
# its own; without SCENARIO all run, one after the other (README.md, "Scenarios"):
#   - `ord` (2 partitions): 8 identities, each with, in partition order, an InvokeModel and a
#     PutUseCaseForModelAccess in the same second, then an InvokeModel 134 s later. In
#     partition order llm-jacking fires on the second invocation (first Bedrock call, enable,
#     invoke); swapped, it fires on the first. Every run must find all 8 on the second;
#   - `gen` (4 partitions, keyed by identity): a generated trail with every scenario, in
#     event-time order, each second holding one record at most (a record in a second taken
#     moves on by a second), so that replay applies it in file order: every run finds what
#     replay finds (by uid, and line for line but processed_time). In a trail with ties,
#     replay orders them by eventID hash and consume in partition order: those may differ.
#     Each chunking gives replay's uids, so all give the same ones.
# shellcheck disable=SC2317 # scenario_* functions are called by name (kafka_run_scenario)
source "$(dirname "$0")/../scripts/lib.bash"
source "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
SCENARIOS=(chunks_1 chunks_2 chunks_3 chunks_7 chunks_50 chunks_1000 chunks_any)
kafka_scenario "$@"
kafka_test_args "${@:1:4}"

KEY='.userIdentity.sessionContext.sessionIssuer.arn // .userIdentity.arn // .userIdentity.invokedBy // .userIdentity.principalId // "none"'

rec() { # EVENT_ID ROLE SECOND_OF_HOUR EVENT_NAME
    printf '{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/%s/s","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/%s","accountId":"111122223333"}}},"eventTime":"2026-03-01T01:%02d:%02dZ","eventSource":"bedrock.amazonaws.com","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.1","userAgent":"aws-cli/2","eventID":"%s","recipientAccountId":"111122223333","readOnly":false}\n' \
        "$2" "$2" $(($3 / 60)) $(($3 % 60)) "$4" "$1"
}
: > ord0.ndjson
: > ord1.ndjson
for i in 1 2 3 4 5 6 7 8; do
    f=ord$((i % 2)).ndjson
    rec "inv1-$i" "ord$i" 11 InvokeModel >> "$f"
    rec "put-$i" "ord$i" 11 PutUseCaseForModelAccess >> "$f"
    rec "inv2-$i" "ord$i" 145 InvokeModel >> "$f"
done
# replay sorts ties by eventID hash: some of the 8 fire on their first invocation there, which
# is what a chunk holding both records of that second did in consume
cat ord0.ndjson ord1.ndjson > ord.ndjson
"$TW" replay -f compact ord.ndjson > ord_replay.out 2>/dev/null
swapped=$(jq -r 'select(.rule == "llm-jacking") | .evidence[-1].event_id' ord_replay.out | grep -c '^inv1-')
check "sorted by eventID hash, some identities fire on their first invocation ($swapped of 8)" \
    test "$swapped" -gt 0

"$TW" gen -n 2500 --identities 50 --scenario all -q -o gen.ndjson || exit 2
jq -r .eventTime gen.ndjson | sort | uniq -d > ties.txt
check "the generated trail has seconds with two records or more ($(wc -l < ties.txt))" test -s ties.txt
jq -c -s -f "$HERE/untie.jq" gen.ndjson > trail.ndjson
check "...and none after untie.jq" bash -c "[ -z \"\$(jq -r .eventTime trail.ndjson | sort | uniq -d)\" ]"
tw replay_gen replay -f compact trail.ndjson
check "replay finds something to compare" test "$(wc -l < replay_gen.out)" -gt 5
strip() { jq -c 'select((.update // false) == false) | del(.processed_time)' "$1" | sort; }
strip replay_gen.out > want_gen.txt

kafka_start --brokers 3 ord:2 gen:4 || exit 2
BS=$KAFKA_BOOTSTRAP
kafka_produce ord ord0.ndjson -p 0 || exit 2
kafka_produce ord ord1.ndjson -p 1 || exit 2
kafka_produce gen trail.ndjson --key-field "$KEY" || exit 2
n_all=$(($(wc -l < ord.ndjson) + $(wc -l < trail.ndjson)))

uids() { jq -r 'select((.update // false) == false) | .uid' "$1" | sort; }
uids replay_gen.out > want_gen.uids

# one run, its chunks LIMIT messages ("": any number), a new group
run_chunks() { # LIMIT
    local limit=$1 name=run what late
    TRAILWARDEN_TEST_CHUNK_MESSAGES=$limit tw "$name" consume -b "$BS" -t ord,gen -G order \
        -f compact --exit-at-end --stats
    what="chunks of ${limit:-any number of} messages"
    expect_eq "$what: exit 0" "$(cat "$WORK/$name.rc")" 0
    expect_eq "$what: every message read" "$(stat_of "$name" kafka.messages)" "$n_all"
    echo "    $what: $(stat_of "$name" kafka.chunks) chunks"
    jq -c 'select((.update // false) == false) | select(.identity | test("role/ord[0-9]$"))' "$name.out" > "$name.ord"
    jq -c 'select((.update // false) == false) | select(.identity | test("role/ord[0-9]$") | not)' "$name.out" > "$name.gen"
    late=$(jq -r 'select(.rule == "llm-jacking") | .evidence[-1].event_id' "$name.ord" | sort | tr '\n' ' ')
    expect_eq "$what: llm-jacking of each identity on its second invocation, in partition order" \
        "$late" "inv2-1 inv2-2 inv2-3 inv2-4 inv2-5 inv2-6 inv2-7 inv2-8 "
    uids "$name.gen" > "$name.uids"
    same_output "$what: the same findings (uids) as every other chunking: replay's" "$name.uids" want_gen.uids
    strip "$name.gen" > "$name.txt"
    same_output "$what: replay's findings" "$name.txt" want_gen.txt
}
scenario_chunks_1() { run_chunks 1; }
scenario_chunks_2() { run_chunks 2; }
scenario_chunks_3() { run_chunks 3; }
scenario_chunks_7() { run_chunks 7; }
scenario_chunks_50() { run_chunks 50; }
scenario_chunks_1000() { run_chunks 1000; }
scenario_chunks_any() { run_chunks ""; }

kafka_run_scenario
