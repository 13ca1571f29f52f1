#!/usr/bin/env bash
# harness.sh TRAILWARDEN BUILD_DIR TW_MOCK_KAFKA KCAT: the Kafka test harness itself works
# (tw_mock_kafka and lib.sh), so that the consume tests built on it fail only for consume.
#
#   - a 3-broker cluster with a 4-partition topic starts and names 3 bootstrap servers;
#   - a generated trail (trailwarden gen -n 10000) produced one message a line lands in all
#     4 partitions with nothing dropped (the mock keeps 5 MB a partition), and consumed back it
#     gives every line, byte for byte;
#   - keyed production (--key-field, a jq expression) sends each key to one partition;
#   - commands answer ok or an error (a duplicate topic);
#   - broker 1 down: a partition it leads gives nothing, a producer waits; broker 1 up: the
#     waiting messages arrive and the whole topic reads back complete;
#   - kafka_stop exits 0 and leaves no process; a test shell that exits without kafka_stop
#     (EXIT trap) or is SIGKILLed (the helper's parent-death signal) leaves none either.
# Without kcat or jq it fails: scripts/install-deps.sh installs both.
source "$(dirname "$0")/../scripts/lib.bash"
source "$(dirname "$0")/lib.sh"

KAFKA_MOCK_BIN=${3:-}
KAFKA_KCAT=${4:-}
if [ -z "$KAFKA_KCAT" ] || ! command -v jq >/dev/null; then
    echo "kcat and jq are needed (scripts/install-deps.sh installs them)"
    exit 1
fi
case $KAFKA_MOCK_BIN in /*) ;; *) KAFKA_MOCK_BIN=$PWD/$KAFKA_MOCK_BIN ;; esac
[ -x "$KAFKA_MOCK_BIN" ] || { echo "tw_mock_kafka '$KAFKA_MOCK_BIN' is not executable"; exit 2; }
LIB=$(cd "$(dirname "$0")" && pwd)/lib.sh
cd "$WORK" || exit 2

# Our own tw_mock_kafka children (other tests may run theirs at the same time).
our_helpers() { pgrep -P "$$" -x tw_mock_kafka; }

# --- start ----------------------------------------------------------------------------------
check "kafka_start: 3 brokers, topic trail:4" kafka_start --brokers 3 trail:4
[ -n "$(kafka_pid)" ] || finish
expect_eq "three bootstrap servers" "$(tr ',' '\n' <<<"${KAFKA_BOOTSTRAP:-}" | grep -c '^127\.0\.0\.1:[0-9]*$')" 3
check "kafka_cmd: another topic" kafka_cmd "topic keyed 4"
check "kafka_cmd: a duplicate topic is an error" eval '! kafka_cmd "topic keyed 4" 2>/dev/null'
expect_eq "the error is librdkafka's" "$KAFKA_ANSWER" "error: Broker: Topic already exists"
check "kafka_cmd: an unknown command is an error" eval '! kafka_cmd "frobnicate" 2>/dev/null'

# --- 10,000 records through the cluster -----------------------------------------------------
"$TW" gen -n 10000 -q -o trail.ndjson || { fail "trailwarden gen"; finish; }
n=$(wc -l <trail.ndjson)
check "gen: at least 10000 lines" test "$n" -ge 10000
check "kafka_produce trail ($n lines, $(($(wc -c <trail.ndjson) / 1024)) KiB)" \
    kafka_produce trail trail.ndjson
kafka_partition_counts trail >parts.txt
expect_eq "all 4 partitions hold messages" "$(wc -l <parts.txt)" 4
expect_eq "none dropped by the mock's 5 MB a partition (first offsets)" \
    "$(awk '{ print $3 }' parts.txt | sort -u | tr '\n' ' ')" "0 "
expect_eq "kafka_count" "$(kafka_count trail)" "$n"
check "kafka_consume $n" eval 'kafka_consume trail "$n" 60 >back.ndjson'
expect_eq "consumed count" "$(wc -l <back.ndjson)" "$n"
sort trail.ndjson >want.sorted
sort back.ndjson >got.sorted
same_output "every line came back, byte for byte" want.sorted got.sorted

# --- keyed -----------------------------------------------------------------------------------
head -2000 trail.ndjson >keyed.ndjson
key='.userIdentity.arn // .userIdentity.principalId // .eventSource'
check "kafka_produce --key-field" kafka_produce keyed keyed.ndjson --key-field "$key"
KAFKA_FORMAT='%k\t%p\n' kafka_consume keyed 2000 30 >keyed.out
jq -r "($key) | if type == \"string\" then . else tojson end" keyed.ndjson | sort >keys.want
cut -f1 keyed.out | sort >keys.got
same_output "the keys are the jq expression's values" keys.want keys.got
expect_eq "one partition a key" "$(sort -u keyed.out | cut -f1 | uniq -d | wc -l)" 0
check "keys spread over several partitions" test "$(cut -f2 keyed.out | sort -u | wc -l)" -ge 2

# --- broker 1 down and up --------------------------------------------------------------------
leader_of() { # TOPIC PARTITION
    "$KAFKA_KCAT" -L -J -b "$KAFKA_BOOTSTRAP" -t "$1" 2>/dev/null |
        jq -r --argjson p "$2" '.topics[0].partitions[] | select(.partition == $p) | .leader'
}
# set_down does not move leaders (as in Kafka, a controller would): make broker 1 lead
# partition 0 so that taking it down matters.
check "kafka_cmd: broker 1 leads trail[0]" kafka_cmd "leader trail 0 1"
expect_eq "metadata names broker 1 leader of trail[0]" "$(leader_of trail 0)" 1
check "kafka_cmd down 1" kafka_cmd "down 1"
timeout -k 2 5 "$KAFKA_KCAT" -C -b "$KAFKA_BOOTSTRAP" -t trail -p 0 -o beginning -c 1 -q \
    >down.out 2>down.err
expect_eq "broker 1 down: nothing from trail[0]" "$(wc -c <down.out)" 0
"$TW" gen -n 1000 --seed 2 -q -o more.ndjson || fail "trailwarden gen --seed 2"
m=$(wc -l <more.ndjson)
kafka_produce trail more.ndjson >produce2.out 2>produce2.err &
producer=$!
sleep 3
check "broker 1 down: the producer waits (for trail[0])" _kafka_alive "$producer"
check "kafka_cmd up 1" kafka_cmd "up 1"
wait "$producer"
expect_eq "the producer delivered everything after up (exit status)" "$?" 0
expect_eq "kafka_count after down/up" "$(kafka_count trail 60)" $((n + m))
check "kafka_consume after down/up" eval 'kafka_consume trail $((n + m)) 60 >back2.ndjson'
cat trail.ndjson more.ndjson | sort >want2.sorted
sort back2.ndjson >got2.sorted
same_output "every line came back after down/up" want2.sorted got2.sorted
expect_eq "still none dropped (first offsets)" \
    "$(kafka_partition_counts trail | awk '{ print $3 }' | sort -u | tr '\n' ' ')" "0 "

# --- stop: no process left -------------------------------------------------------------------
pid=$(kafka_pid)
check "kafka_stop: exit status 0" kafka_stop
check "kafka_stop: the helper (pid $pid) is gone" eval '! kill -0 "$pid" 2>/dev/null'
expect_eq "kafka_stop: no tw_mock_kafka child left" "$(our_helpers | wc -l)" 0
check "kafka_cmd after stop fails" eval '! kafka_cmd "down 1" 2>/dev/null'
check "the helper's stderr has no sanitizer report" \
    eval '! grep -E "Sanitizer|runtime error" "$KAFKA_LOG"'

# A test shell that exits without kafka_stop: the EXIT trap (chained to its own) stops it.
bash -c 'source "$1"; KAFKA_MOCK_BIN=$2; KAFKA_KCAT=$3
         trap "echo own-trap-ran > \"$4/own-trap\"" EXIT
         kafka_start t:1 || exit 1; kafka_pid >"$4/pid1"; exit 0' \
    _ "$LIB" "$KAFKA_MOCK_BIN" "$KAFKA_KCAT" "$WORK"
expect_eq "a shell leaving without kafka_stop: exit status" "$?" 0
check "... its own EXIT trap still ran" test -s own-trap
p1=$(cat pid1 2>/dev/null)
check "... its helper (pid ${p1:-?}) is gone" eval '[ -n "$p1" ] && _kafka_wait_gone "$p1" 50'

# A test shell killed by SIGKILL runs no trap: the helper's parent-death signal stops it. (The
# shell becomes `sleep` by exec, same process, so that nothing else is left to clean up.)
TMPDIR=$WORK bash -c 'source "$1"; KAFKA_MOCK_BIN=$2; KAFKA_KCAT=$3
         kafka_start t:1 || exit 1; kafka_pid >"$4/pid2.tmp"; mv "$4/pid2.tmp" "$4/pid2"
         exec sleep 60' _ "$LIB" "$KAFKA_MOCK_BIN" "$KAFKA_KCAT" "$WORK" &
shell=$!
for ((i = 0; i < 100; i++)); do [ -s pid2 ] && break; sleep 0.1; done
p2=$(cat pid2 2>/dev/null)
check "a SIGKILLed shell's helper (pid ${p2:-?}) was running" eval '[ -n "$p2" ] && _kafka_alive "$p2"'
kill -KILL "$shell"
wait "$shell" 2>/dev/null
check "... and is gone after the shell's SIGKILL" eval '[ -n "$p2" ] && _kafka_wait_gone "$p2" 100'

finish
