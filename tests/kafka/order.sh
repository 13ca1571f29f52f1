#!/usr/bin/env bash
# order.sh TRAILWARDEN BUILD_DIR TW_MOCK_KAFKA KCAT: the findings of `consume` are a function of
# each partition's records and their order, whatever the chunking and timing (issue 13, item 4).
#
# consume applies records as they arrive (DESIGN §2); within a partition, arrival order is the
# partition's order. The router used to re-sort each chunk's events by (time, eventID hash)
# while applying chunks in arrival order, so two records of one identity in the same second
# were swapped only when they fell in the same chunk, and where chunks end depends on timing.
#
# The same topics are consumed again and again, each time cut into chunks of another size
# (TRAILWARDEN_TEST_CHUNK_MESSAGES, a test knob: tests/kafka/README.md), by a new group:
#   - `ord` (2 partitions): 8 identities, each with, in partition order, an InvokeModel and a
#     PutUseCaseForModelAccess in the same second, then an InvokeModel 134 s later. In
#     partition order llm-jacking fires on the second invocation (first Bedrock call, enable,
#     invoke); swapped, it fires on the first. Every run must find all 8 on the second;
#   - `gen` (4 partitions, keyed by identity): a generated trail with every scenario, in
#     event-time order, each second holding one record at most (a record in a second taken
#     moves on by a second), so that replay applies it in file order: every run finds what
#     replay finds (by uid, and line for line but processed_time). In a trail with ties,
#     replay orders them by eventID hash and consume in partition order: those may differ.
source "$(dirname "$0")/../scripts/lib.bash"
source "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
kafka_test_args "$@"

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
run=0
for limit in 1 2 3 7 50 1000 ""; do
    run=$((run + 1))
    name=run$run
    TRAILWARDEN_TEST_CHUNK_MESSAGES=$limit tw "$name" consume -b "$BS" -t ord,gen -G "order$run" \
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
    if [ "$run" -eq 1 ]; then
        cp run1.uids first.uids
    else
        same_output "$what: the same findings (uids) as chunks of 1" "$name.uids" first.uids
    fi
    strip "$name.gen" > "$name.txt"
    same_output "$what: replay's findings" "$name.txt" want_gen.txt
done

kafka_stop
finish
