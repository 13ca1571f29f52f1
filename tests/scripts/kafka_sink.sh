#!/usr/bin/env bash
# kafka_sink.sh BINARY BUILD_DIR: `-o kafka:TOPIC@BROKERS` (outputs/output_sink_kafka.c) against
# librdkafka's mock cluster in a process of its own (tests/kafka: tw_mock_kafka, lib.sh), driven
# through `replay` over a generated trail and read back with kcat:
#   - as many messages as replay writes to stdout for the same input, in compact and in OCSF;
#   - each message's key is its finding's identity key (compact "identity", OCSF
#     actor.user.uid), every key lives in one partition, and per key the bodies are replay's
#     lines (without the newline) in replay's order;
#   - the only broker down before the run and up during it: replay waits (flush waits for the
#     delivery reports), then delivers everything, once, and exits 0;
#   - kafka:TOPIC without brokers is a configuration error (exit 2) that names the spec.
# What replay cannot show (it has no -X: a delivery that fails, librdkafka's errors for -X) is
# in tests/unit/test_sink_kafka.c.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/../kafka/lib.sh"

KAFKA_MOCK_BIN=${TW_MOCK_KAFKA:-$BUILD/tests/kafka/tw_mock_kafka}
command -v "$KAFKA_KCAT" >/dev/null || { echo "kcat is needed (scripts/install-deps.sh installs it)"; exit 1; }
[ -x "$KAFKA_MOCK_BIN" ] || { echo "tw_mock_kafka '$KAFKA_MOCK_BIN' is not built (target tw_mock_kafka)"; exit 1; }
KAFKA_MOCK_BIN=$(realpath "$KAFKA_MOCK_BIN")
cd "$WORK" || exit 2

"$TW" gen -n 20000 --scenario all -q -o trail.ndjson || exit 2

# One broker, so that taking it down leaves the producer nothing to fall back on; 4 partitions,
# so that keys really spread.
kafka_start --brokers 1 f-compact:4 f-ocsf:4 f-down:4 || exit 2

# by_key REF DUMP OUT_REF OUT_KAFKA: writes "KEY<TAB>BODY" lines grouped by key (keys sorted,
# bodies in their order: replay's stdout for REF, partition then offset for the topic's DUMP of
# "PARTITION<TAB>OFFSET<TAB>KEY<TAB>BODY" lines); prints the number of messages whose key is not
# their body's identity, then the number of keys seen in more than one partition.
by_key() {
    python3 - "$@" <<'EOF'
import json, sys
ref, dump, out_ref, out_kafka = sys.argv[1:5]

def identity(body):
    f = json.loads(body)
    return f["identity"] if "identity" in f else f["actor"]["user"]["uid"]

groups = {}
for line in open(ref, encoding="utf-8"):
    body = line.rstrip("\n")
    groups.setdefault(identity(body), []).append(body)
with open(out_ref, "w", encoding="utf-8") as f:
    for k in sorted(groups):
        for b in groups[k]:
            f.write("%s\t%s\n" % (k, b))

msgs = []
for line in open(dump, encoding="utf-8"):
    p, o, k, body = line.rstrip("\n").split("\t", 3)
    msgs.append((int(p), int(o), k, body))
msgs.sort()
groups, parts, wrong_key = {}, {}, 0
for p, o, k, body in msgs:
    groups.setdefault(k, []).append(body)
    parts.setdefault(k, set()).add(p)
    if identity(body) != k:
        wrong_key += 1
with open(out_kafka, "w", encoding="utf-8") as f:
    for k in sorted(groups):
        for b in groups[k]:
            f.write("%s\t%s\n" % (k, b))
print(wrong_key, sum(1 for s in parts.values() if len(s) > 1))
EOF
}

# check_topic NAME TOPIC REF: the topic holds REF's findings, keyed, in order per key.
check_topic() {
    local name=$1 topic=$2 ref=$3 n
    n=$(wc -l < "$ref")
    KAFKA_FORMAT='%p\t%o\t%k\t%s\n' kafka_consume_all "$topic" > "$name.dump" ||
        { fail "$name: reading $topic back"; return; }
    expect_eq "$name: messages in $topic = findings replay writes to stdout" "$(wc -l < "$name.dump")" "$n"
    local counts
    counts=$(by_key "$ref" "$name.dump" "$name.ref.by_key" "$name.kafka.by_key") ||
        { fail "$name: comparing"; return; }
    expect_eq "$name: messages whose key is not their finding's identity" "${counts% *}" 0
    expect_eq "$name: keys found in more than one partition" "${counts#* }" 0
    same_output "$name: per key, the same bodies in the same order" "$name.ref.by_key" "$name.kafka.by_key"
}

for fmt in compact ocsf; do
    tw "ref-$fmt" replay -f "$fmt" trail.ndjson
    expect_eq "replay -f $fmt (stdout): exit status" "$(rc_of "ref-$fmt")" 0
    [ -s "$WORK/ref-$fmt.out" ] || fail "replay -f $fmt found nothing: the trail has no findings"
    tw "kafka-$fmt" replay -f "$fmt" -o "kafka:f-$fmt@$KAFKA_BOOTSTRAP" trail.ndjson
    expect_eq "replay -f $fmt -o kafka: exit status" "$(rc_of "kafka-$fmt")" 0
    expect_eq "replay -f $fmt -o kafka: nothing on stdout" "$(wc -c < "$WORK/kafka-$fmt.out")" 0
    check_topic "$fmt" "f-$fmt" "$WORK/ref-$fmt.out"
done

# The only broker down before the run, up 3 s into it: nothing may be lost or doubled.
kafka_cmd "down 1" || fail "down 1"
tw down replay -f compact -o "kafka:f-down@$KAFKA_BOOTSTRAP" trail.ndjson &
pid=$!
sleep 3
if kill -0 "$pid" 2> /dev/null; then
    pass "broker down: replay waits for delivery (still running after 3 s)"
else
    fail "broker down: replay ended before the broker came back (exit $(rc_of down 2> /dev/null))"
fi
kafka_cmd "up 1" || fail "up 1"
wait "$pid"
expect_eq "broker down, then up: exit status" "$(rc_of down)" 0
check_topic down f-down "$WORK/ref-compact.out"

# No brokers: a configuration error before any input is read, naming the spec.
tw nobrokers replay -o kafka:f-compact trail.ndjson
expect_eq "kafka:TOPIC without brokers: exit status" "$(rc_of nobrokers)" 2
check "kafka:TOPIC without brokers: stderr names the spec" grep -q "kafka:f-compact: no brokers" "$WORK/nobrokers.err"

kafka_stop || fail "tw_mock_kafka exited badly"
finish
