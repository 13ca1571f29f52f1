#!/usr/bin/env bash
# consume_no_broker.sh BINARY BUILD_DIR: consume and route give up when no broker answers
# (issue 15, item 5). -b points at a localhost port nothing listens on.
#
# Before --broker-timeout, `consume --exit-at-end` against no broker retried forever: every
# run below then hit its timeout (exit 124). Now:
#   - consume --exit-at-end --broker-timeout 2s: exit 1 within seconds, stderr says no broker
#     answered and names the brokers and the option;
#   - the same without --exit-at-end (the live case, where the default is to wait): exit 1;
#   - route -t --exit-at-end --broker-timeout 2s: exit 1, the same message behind "route: ";
#   - consume with neither (a live consumer waits for its cluster, as before): still running
#     after 3 s, and SIGTERM stops it with exit 0;
#   - consume --state-topic (issue 16) checks its topics at start under the same bound: exit 1
#     naming the option and -b with --broker-timeout 2s; waits without, and SIGTERM gives 0
#     (its checks had waited 60 s whatever --broker-timeout said: the first failed at 5 s
#     with the message, but the wait without a bound ended with exit 1 after 60 s).
#   - --broker-timeout with a bad duration, or given to replay: exit 2.
# --exit-at-end alone waits 60 s by default: too long for the suite; docs/consume.md says it.
source "$(dirname "$0")/lib.bash"
cd "$WORK" || exit 2

# a port nothing listens on: bound, read, closed
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()') || exit 2
brokers=127.0.0.1:$port

# tw_timed NAME ARGS...: tw (lib.bash) with a 30 s limit; exit status 124 is a hang.
tw_timed() {
    local name=$1
    shift
    timeout -k 5 30 "$TW" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
    echo $? > "$WORK/$name.rc"
}

said() { # NAME PATTERN: a trailwarden line of NAME's stderr matches
    grep -q -E "^trailwarden: $2" "$WORK/$1.err"
}

start=$(date +%s)
tw_timed at_end consume -b "$brokers" -t raw -G tw-nobroker --exit-at-end --broker-timeout 2s
took=$(( $(date +%s) - start ))
expect_eq "consume --exit-at-end --broker-timeout 2s: exit status" "$(rc_of at_end)" 1
check "consume --exit-at-end: gave up within 15 s (took ${took}s)" test "$took" -lt 15
check "consume --exit-at-end: says no broker answered, with -b" \
    said at_end "kafka: no broker answered within 2 s \(-b $brokers\); giving up \(--broker-timeout"

tw_timed live consume -b "$brokers" -t raw -G tw-nobroker --broker-timeout 2s
expect_eq "consume --broker-timeout 2s (live): exit status" "$(rc_of live)" 1
check "consume --broker-timeout 2s (live): says no broker answered" \
    said live "kafka: no broker answered within 2 s"

tw_timed route route -b "$brokers" -t raw -G tw-nobroker -o stdout --exit-at-end \
    --broker-timeout 2s
expect_eq "route --exit-at-end --broker-timeout 2s: exit status" "$(rc_of route)" 1
check "route: says no broker answered" said route "route: kafka: no broker answered within 2 s"

# --state-topic checks its topics before anything: the same bound, the same exit status
tw_timed state_at_end consume -b "$brokers" -t raw -G tw-nobroker --state-topic st --exit-at-end \
    --broker-timeout 2s
expect_eq "consume --state-topic --broker-timeout 2s: exit status" "$(rc_of state_at_end)" 1
check "consume --state-topic: says it could not read the topics, with -b" \
    said state_at_end "kafka: --state-topic st: cannot read the topics' metadata from $brokers"

# the live default: waits for the cluster (no bound), and stops on SIGTERM as before (with
# --state-topic too, waiting for its start checks)
for extra in "" "--state-topic st"; do
    # shellcheck disable=SC2086 # extra: none, or two words
    "$TW" consume -b "$brokers" -t raw -G tw-nobroker $extra > "$WORK/forever.out" \
        2> "$WORK/forever.err" &
    pid=$!
    sleep 3
    if kill -0 "$pid" 2>/dev/null; then
        pass "consume $extra without --exit-at-end or --broker-timeout: still waiting after 3 s"
        kill -TERM "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            fail "consume $extra (waiting for a broker): still running 10 s after SIGTERM"
            kill -KILL "$pid"
        fi
        wait "$pid"
        expect_eq "consume $extra (waiting for a broker): SIGTERM, exit status" "$?" 0
    else
        wait "$pid"
        fail "consume $extra without --exit-at-end or --broker-timeout: gave up (exit $?), it should wait"
        sed 's/^/    /' "$WORK/forever.err" | head -5
    fi
done

tw bad consume -b "$brokers" -t raw --broker-timeout soon
expect_eq "--broker-timeout soon: exit status" "$(rc_of bad)" 2
check "--broker-timeout soon: named" said bad "--broker-timeout needs a duration"
tw replay_opt replay --broker-timeout 2s "$DATA"
expect_eq "replay --broker-timeout: exit status" "$(rc_of replay_opt)" 2
check "replay --broker-timeout: belongs to consume" said replay_opt "option '--broker-timeout' belongs to consume"

finish
