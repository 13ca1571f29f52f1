#!/usr/bin/env bash
# storm.sh TRAILWARDEN BUILD_DIR TW_MOCK_KAFKA KCAT: a kill-and-restart storm (issue 13). One
# `consume --state-dir` after another, each killed -9 at a random moment while a producer
# feeds the topic: some while they read, some while they checkpoint, some while they wait for
# the group (short session timeouts, 3 s: every restart waits for the dead member before it
# is assigned anything, and about a third are killed within 2 s of their start, before their
# assignment). Then one more run reads to the end. The union of the findings of all runs (by
# finding_info.uid) must be replay's of the whole trail: nothing missing, nothing extra.
#
# The trail: four generated trails (seeds 1-4, every scenario: 34 findings, most of them
# needing state: windows, baselines, first uses), and 40 Bedrock users whose records lie about
# an hour apart, so that a kill falls between them: 20 enable model access, then invoke a model
# 50 min later (llm-jacking: missed if the enablement is forgotten), 20 invoke a model, then 70
# min later probe its availability and invoke (no finding: Bedrock is in their baseline; one
# appears if the first call is forgotten). All merged
# in event-time order with one record a second at most (untie.jq: replay then applies it in
# file order, as consume applies a partition), keyed by identity over 6 partitions, produced
# in 30 slices over about 75 s.
#
# STORM_SEED=N replays a storm (the seed is printed); STORM_KILLS=N (default 20).
source "$(dirname "$0")/../scripts/lib.bash"
source "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
kafka_test_args "$@"
started=$(date +%s)

SEED=${STORM_SEED:-$(( $(date +%s) % 32768 ))}
KILLS=${STORM_KILLS:-20}
RANDOM=$SEED
echo "storm seed $SEED (STORM_SEED=$SEED replays it), $KILLS kills"

KEY='.userIdentity.sessionContext.sessionIssuer.arn // .userIdentity.arn // .userIdentity.invokedBy // .userIdentity.principalId // "none"'

bedrock() { # ROLE EVENT_ID MINUTE EVENT_NAME
    printf '{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/%s/s","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/%s","accountId":"111122223333"}}},"eventTime":"2026-09-01T%02d:%02d:30Z","eventSource":"bedrock.amazonaws.com","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.1","userAgent":"aws-cli/2","eventID":"%s","recipientAccountId":"111122223333","readOnly":false}\n' \
        "$1" "$1" $(($3 / 60)) $(($3 % 60)) "$4" "$2"
}
{
    for s in 1 2 3 4; do
        "$TW" gen --seed "$s" -n 1500 --identities 40 --scenario all -q -o - || exit 2
    done
    for i in $(seq 0 19); do
        t=$((10 + i * 65))
        bedrock "storm-fires-$i" "f$i-probe" "$t" PutUseCaseForModelAccess
        bedrock "storm-fires-$i" "f$i-invoke" $((t + 50)) InvokeModel
        bedrock "storm-quiet-$i" "q$i-first" $((t + 5)) InvokeModel
        bedrock "storm-quiet-$i" "q$i-probe" $((t + 75)) GetFoundationModelAvailability
        bedrock "storm-quiet-$i" "q$i-invoke" $((t + 80)) InvokeModel
    done
} > gen.ndjson
jq -c -s -f "$HERE/untie.jq" gen.ndjson > trail.ndjson
total=$(wc -l < trail.ndjson)
# --learn 0: every past known at once, so a forgotten first call would raise a first use
"$TW" replay -f compact --learn 0 trail.ndjson > replay.out 2>/dev/null
jq -r .uid replay.out | sort -u > want.uids
check "replay finds something to compare ($(wc -l < want.uids) findings)" test "$(wc -l < want.uids)" -gt 20
expect_eq "replay: llm-jacking for the 20 that probe then invoke, not for the 20 that used Bedrock before" \
    "$(jq -r 'select(.identity | test("role/storm-")) | .identity | sub(".*role/storm-"; "") | sub("-[0-9]+$"; "")' replay.out | sort | uniq -c | tr -s ' ')" \
    " 20 fires"
split -n l/30 -d trail.ndjson slice.

kafka_start --brokers 1 storm:6 || exit 2
BS=$KAFKA_BOOTSTRAP
CONSUME=(consume -b "$BS" -t storm -G storm -f compact --learn 0 --stats --state-dir state
         --checkpoint-every 1s -X session.timeout.ms=3000 -X heartbeat.interval.ms=500
         -X auto.commit.interval.ms=200)

# the producer: a slice every 2.5 s
(
    for f in slice.*; do
        kafka_produce storm "$f" --key-field "$KEY" || exit 1
        sleep 2.5
    done
) > producer.log 2>&1 &
producer=$!

early=0 assigned=0 read_some=0
for i in $(seq 1 "$KILLS"); do
    "$TW" "${CONSUME[@]}" > "run$i.out" 2> "run$i.err" &
    pid=$!
    kafka_signals_ready "$pid"
    # a third within 2 s (before the assignment: the dead member's session is 3 s), the rest
    # within 2 to 9 s (reading, checkpointing, or still joining)
    if [ $((RANDOM % 3)) -eq 0 ]; then
        ms=$((200 + RANDOM % 1800))
    else
        ms=$((2000 + RANDOM % 7000))
    fi
    sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
    # what it had done, for the figures (--stats on SIGUSR1), then the kill
    kill -USR1 "$pid" 2>/dev/null
    for _ in $(seq 1 20); do
        grep -q -a '^  kafka.errors ' "run$i.err" && break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    a=$(kafka_last_stat "run$i.err" kafka.assignments)
    m=$(kafka_last_stat "run$i.err" kafka.messages)
    [ "${a:-0}" -eq 0 ] && early=$((early + 1))
    [ "${a:-0}" -gt 0 ] && assigned=$((assigned + 1))
    [ "${m:-0}" -gt 0 ] && read_some=$((read_some + 1))
    echo "    run $i: killed after ${ms} ms: assignments ${a:-?}, messages ${m:-?}"
    if grep -q -E 'Sanitizer|runtime error:|Assertion' "run$i.err"; then
        fail "run $i: a crash or sanitizer report"
        grep -E -A10 'Sanitizer|runtime error:|Assertion' "run$i.err" | head -20 | sed 's/^/    /'
    fi
done
wait "$producer"
check "the producer wrote every slice" test "$(kafka_count storm)" -eq "$total"

# the last run reads to the end
tw last "${CONSUME[@]}" --exit-at-end
expect_eq "the last run exits 0" "$(cat "$WORK/last.rc")" 0
check "the storm killed runs before their assignment ($early) and after it ($assigned)" \
    test "$early" -ge 3 -a "$assigned" -ge 3
check "... and runs that had read something ($read_some)" test "$read_some" -ge 3
expect_eq "no partition read without its history" "$(stat_of last kafka.partitions_without_history)" 0
check "no 'reading starts at offset' in any run" bash -c "! grep -l 'reading starts at offset' run*.err last.err"

cat run*.out last.out | jq -r .uid | sort -u > got.uids
missing=$(comm -23 want.uids got.uids | wc -l)
extra=$(comm -13 want.uids got.uids | wc -l)
lines=$(cat run*.out last.out | wc -l)
echo "    $KILLS kills ($early before the assignment), $((KILLS + 1)) starts; $lines finding" \
     "lines, $(wc -l < got.uids) uids against replay's $(wc -l < want.uids);" \
     "$(( $(date +%s) - started )) s"
check "the union of the findings (by uid) is replay's: $missing missing, $extra extra" cmp -s got.uids want.uids
comm -23 want.uids got.uids | while read -r u; do grep -F -m1 "\"$u\"" replay.out; done |
    cut -c1-200 | head -10 | sed 's/^/    missing: /'
comm -13 want.uids got.uids | while read -r u; do cat run*.out last.out | grep -F -m1 "\"$u\""; done |
    cut -c1-200 | head -10 | sed 's/^/    extra: /'

kafka_stop
finish
