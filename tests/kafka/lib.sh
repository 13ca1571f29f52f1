# shellcheck shell=bash
# lib.sh: bash helpers for the Kafka tests (sourced; see README.md). They drive tw_mock_kafka
# (librdkafka's mock cluster in a process of its own) through two fifos, and kcat against it.
#
#   KAFKA_MOCK_BIN=PATH            tw_mock_kafka (required before kafka_start)
#   KAFKA_KCAT=PATH                kcat (default: kcat on PATH)
#   KAFKA_KCAT_ARGS=(...)          extra arguments for every kcat call (e.g. -X prop=value)
#
#   kafka_start [--brokers N] TOPIC:PARTITIONS...
#                                  starts a cluster (3 brokers by default) with those topics,
#                                  waits for it, exports KAFKA_BOOTSTRAP; a cleanup on EXIT
#                                  (chained to the caller's trap) stops it whatever happens
#   kafka_cmd COMMAND              "down ID", "up ID", "topic NAME N", "leader TOPIC P ID":
#                                  sends it, waits for the answer; status 0 on "ok", else 1
#                                  with the answer on stderr (it is also left in KAFKA_ANSWER)
#   kafka_stop                     quit, wait (TERM, then KILL after a grace period); returns
#                                  the helper's exit status (non-zero: see $KAFKA_LOG)
#   kafka_pid                      the helper's pid (empty when stopped)
#   kafka_produce TOPIC FILE [--key-field JQ_EXPR] [KCAT_ARG...]
#                                  one message a line of FILE; with --key-field, each line's key
#                                  is JQ_EXPR applied to it (strings as they are, other values
#                                  as JSON, tabs and newlines made spaces; null gives "null")
#   kafka_consume TOPIC COUNT [TIMEOUT_S] [KCAT_ARG...]
#                                  prints COUNT messages from the beginning of TOPIC, one a
#                                  line (kcat -f; set KAFKA_FORMAT for keys etc.), waiting for
#                                  them up to TIMEOUT_S (default 30); status 1 if fewer came
#   kafka_consume_all TOPIC [TIMEOUT_S]
#                                  prints every message now in TOPIC (kcat -e: to the end)
#   kafka_count TOPIC [TIMEOUT_S]  the number of messages a consumer can read in TOPIC now
#   kafka_partition_counts TOPIC [TIMEOUT_S]
#                                  "PARTITION COUNT FIRST_OFFSET" a line, for partitions that
#                                  hold messages (FIRST_OFFSET > 0: the mock dropped old ones)
#
# Every function returns non-zero on failure and says why on stderr; none exits the caller.

KAFKA_KCAT=${KAFKA_KCAT:-kcat}
KAFKA_FORMAT=${KAFKA_FORMAT:-'%s\n'}
if ! declare -p KAFKA_KCAT_ARGS >/dev/null 2>&1; then
    KAFKA_KCAT_ARGS=()
fi
KAFKA_PID=
KAFKA_LOG=
KAFKA_ANSWER=
_KAFKA_DIR=
_KAFKA_IN=
_KAFKA_OUT=
_KAFKA_TRAP_SET=

_kafka_err() { printf '%s\n' "$*" >&2; }

# Zombie-aware: our exited but not yet reaped child still answers kill -0.
_kafka_alive() {
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [[ -n $st && $st != Z* ]]
}

_kafka_wait_gone() { # PID TENTHS_OF_A_SECOND
    local i
    for ((i = 0; i < $2; i++)); do
        _kafka_alive "$1" || return 0
        sleep 0.1
    done
    ! _kafka_alive "$1"
}

_kafka_cleanup() {
    kafka_stop >/dev/null 2>&1
    [ -z "$_KAFKA_DIR" ] || rm -rf "$_KAFKA_DIR"
    _KAFKA_DIR=
}

# Chain our cleanup in front of whatever EXIT trap the caller has; make INT/TERM/HUP exit (so
# that EXIT runs) unless the caller handles them.
_kafka_trap_install() {
    [ -z "$_KAFKA_TRAP_SET" ] || return 0
    local old sig
    local -a words
    old=$(trap -p EXIT)
    if [ -n "$old" ]; then
        eval "words=($old)" # trap -- 'COMMAND' EXIT
        # shellcheck disable=SC2064
        trap "_kafka_cleanup; ${words[2]}" EXIT
    else
        trap _kafka_cleanup EXIT
    fi
    for sig in HUP:129 INT:130 TERM:143; do
        # shellcheck disable=SC2064
        [ -n "$(trap -p "${sig%:*}")" ] || trap "exit ${sig#*:}" "${sig%:*}"
    done
    _KAFKA_TRAP_SET=1
}

# The arguments every scenario gets (BINARY BUILD_DIR TW_MOCK_KAFKA KCAT) checked, the tools it
# needs (jq always, more by name) found, then into $WORK: kafka_test_args "$@" [TOOL...].
kafka_test_args() {
    KAFKA_MOCK_BIN=${3:-}
    KAFKA_KCAT=${4:-}
    shift $(($# < 4 ? $# : 4))
    [ -n "$KAFKA_KCAT" ] || { echo "kcat is needed (scripts/install-deps.sh installs it)"; exit 1; }
    local tool
    for tool in jq "$@"; do
        command -v "$tool" >/dev/null || { echo "$tool is needed (scripts/install-deps.sh installs it)"; exit 1; }
    done
    [ -x "$KAFKA_MOCK_BIN" ] || { echo "tw_mock_kafka '$KAFKA_MOCK_BIN' is not executable"; exit 2; }
    cd "$WORK" || exit 2
}

# One CTest entry a scenario (README.md, "Scenarios"): a test script lists its scenarios in a
# line of its own, `SCENARIOS=(a b c)` (tests/kafka/CMakeLists.txt reads that line and registers
# kafka.SCRIPT.a, ...), defines a function scenario_NAME for each, and calls
#   kafka_scenario "$@"    before kafka_test_args: the fifth argument names the scenario to run
#                          (left in $SCENARIO; an unknown name exits 2 with the list); without
#                          one, every scenario runs in turn, each as a process of its own as
#                          CTest runs it, and the script exits with the tally (1 if any failed)
#   kafka_run_scenario     at the end: runs scenario_$SCENARIO, kafka_stop, finish
# shellcheck disable=SC2153 # SCENARIOS is the calling script's
kafka_scenario() {
    local want=${5:-} s rc
    local -a failed=() skipped=()
    if [ -n "$want" ]; then
        for s in "${SCENARIOS[@]}"; do
            if [ "$s" = "$want" ]; then
                SCENARIO=$want
                return 0
            fi
        done
        echo "$0: no scenario '$want'; its scenarios: ${SCENARIOS[*]}" >&2
        exit 2
    fi
    for s in "${SCENARIOS[@]}"; do
        echo "=== $(basename "$0" .sh) $s"
        bash "$0" "$TW" "${2:-}" "${3:-}" "${4:-}" "$s"
        rc=$?
        case $rc in
        0) ;;
        77) skipped+=("$s") ;;
        *) failed+=("$s (exit $rc)") ;;
        esac
    done
    echo "=== $(basename "$0" .sh): ${#SCENARIOS[@]} scenarios, ${#failed[@]} failed${failed[*]:+: ${failed[*]}}, ${#skipped[@]} skipped${skipped[*]:+: ${skipped[*]}}"
    [ "${#failed[@]}" -eq 0 ] || exit 1
    [ "${#skipped[@]}" -lt "${#SCENARIOS[@]}" ] || exit 77
    exit 0
}

kafka_run_scenario() {
    echo "--- $(basename "$0" .sh) $SCENARIO"
    "scenario_$SCENARIO"
    kafka_stop
    finish
}

# kafka_ask_stats PID ERRFILE: SIGUSR1 (the process prints its --stats summary on stderr),
# then waits up to 5 s for the summary's kafka.errors line; status 1 if the process is gone or
# none came.
kafka_ask_stats() {
    local before
    before=$(grep -c -a '^  kafka.errors ' "$2")
    kill -USR1 "$1" 2>/dev/null || return 1
    for _ in $(seq 1 50); do
        [ "$(grep -c -a '^  kafka.errors ' "$2")" -gt "$before" ] && return 0
        sleep 0.1
    done
    return 1
}

# kafka_last_stat ERRFILE KEY: KEY's value in the last --stats summary printed so far.
kafka_last_stat() {
    grep -a "^  $2 " "$1" | tail -n 1 | awk '{print $2}'
}

kafka_pid() { printf '%s\n' "$KAFKA_PID"; }

# kafka_signals_ready PID: waits (up to 60 s) until the process catches SIGUSR1, i.e. has
# installed its signal handlers; a SIGUSR1 sent before that kills it (a slow start, as under
# ThreadSanitizer, takes longer than a test's first poll). Status 1 if it never did.
kafka_signals_ready() {
    local i cgt
    for i in $(seq 1 600); do
        cgt=$(awk '/^SigCgt:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
        [ -n "$cgt" ] || return 1
        (( (16#$cgt >> 9) & 1 )) && return 0
        sleep 0.1
    done
    return 1
}

kafka_start() {
    local brokers=3 line
    local -a args=()
    if [ -n "$KAFKA_PID" ]; then
        _kafka_err "kafka_start: a cluster is already running (pid $KAFKA_PID)"
        return 1
    fi
    if [ -z "${KAFKA_MOCK_BIN:-}" ] || [ ! -x "$KAFKA_MOCK_BIN" ]; then
        _kafka_err "kafka_start: KAFKA_MOCK_BIN ('${KAFKA_MOCK_BIN:-}') is not an executable"
        return 1
    fi
    while [ $# -gt 0 ]; do
        case $1 in
        --brokers) brokers=$2; shift 2 ;;
        --brokers=*) brokers=${1#*=}; shift ;;
        *:*) args+=(--topic "$1"); shift ;;
        *) _kafka_err "kafka_start: expected TOPIC:PARTITIONS, got '$1'"; return 1 ;;
        esac
    done
    _kafka_trap_install
    [ -n "$_KAFKA_DIR" ] || _KAFKA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tw-kafka.XXXXXX") || return 1
    rm -f "$_KAFKA_DIR/in" "$_KAFKA_DIR/out"
    mkfifo "$_KAFKA_DIR/in" "$_KAFKA_DIR/out" || return 1
    KAFKA_LOG=$_KAFKA_DIR/mock.log
    # Started straight from this shell (no subshell between): the helper dies with it
    # (PR_SET_PDEATHSIG) even when this shell is SIGKILLed and cannot run its traps.
    "$KAFKA_MOCK_BIN" --brokers "$brokers" "${args[@]}" \
        <"$_KAFKA_DIR/in" >"$_KAFKA_DIR/out" 2>>"$KAFKA_LOG" &
    KAFKA_PID=$!
    # Same order as the helper's redirections (in, then out), or both sides would block.
    exec {_KAFKA_IN}>"$_KAFKA_DIR/in"
    exec {_KAFKA_OUT}<"$_KAFKA_DIR/out"
    if ! read -r -t 30 -u "$_KAFKA_OUT" line || [[ $line != *:* ]]; then
        _kafka_err "kafka_start: tw_mock_kafka did not start; its stderr:"
        sed 's/^/    /' "$KAFKA_LOG" >&2
        kafka_stop >/dev/null 2>&1
        return 1
    fi
    export KAFKA_BOOTSTRAP=$line
}

kafka_cmd() {
    KAFKA_ANSWER=
    if [ -z "$KAFKA_PID" ]; then
        _kafka_err "kafka_cmd: no cluster running"
        return 1
    fi
    # In a subshell that ignores SIGPIPE: a dead helper must not kill the test shell.
    if ! (trap '' PIPE; printf '%s\n' "$*" >&"$_KAFKA_IN") 2>/dev/null; then
        _kafka_err "kafka_cmd '$*': tw_mock_kafka is gone"
        return 1
    fi
    if ! read -r -t "${KAFKA_CMD_TIMEOUT:-20}" -u "$_KAFKA_OUT" KAFKA_ANSWER; then
        _kafka_err "kafka_cmd '$*': no answer from tw_mock_kafka"
        return 1
    fi
    [ "$KAFKA_ANSWER" = ok ] && return 0
    _kafka_err "kafka_cmd '$*': $KAFKA_ANSWER"
    return 1
}

kafka_stop() {
    [ -n "$KAFKA_PID" ] || return 0
    local pid=$KAFKA_PID rc
    if _kafka_alive "$pid"; then
        kafka_cmd quit >/dev/null 2>&1
    fi
    [ -z "$_KAFKA_IN" ] || exec {_KAFKA_IN}>&-
    [ -z "$_KAFKA_OUT" ] || exec {_KAFKA_OUT}<&-
    _KAFKA_IN=''
    _KAFKA_OUT=
    if ! _kafka_wait_gone "$pid" 100; then
        _kafka_err "kafka_stop: tw_mock_kafka (pid $pid) did not quit; SIGTERM"
        kill -TERM "$pid" 2>/dev/null
        if ! _kafka_wait_gone "$pid" 50; then
            _kafka_err "kafka_stop: tw_mock_kafka (pid $pid) ignored SIGTERM; SIGKILL"
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    wait "$pid" 2>/dev/null
    rc=$?
    KAFKA_PID=
    unset KAFKA_BOOTSTRAP
    if [ "$rc" -ne 0 ]; then
        _kafka_err "kafka_stop: tw_mock_kafka exited with status $rc; its stderr:"
        sed 's/^/    /' "$KAFKA_LOG" | tail -60 >&2
    fi
    return "$rc"
}

_kafka_need_cluster() {
    if [ -z "${KAFKA_BOOTSTRAP:-}" ]; then
        _kafka_err "$1: no cluster running (kafka_start)"
        return 1
    fi
}

kafka_produce() {
    _kafka_need_cluster kafka_produce || return 1
    local topic=$1 file=$2 key_expr='' keys nk nl
    shift 2
    if [ "${1:-}" = --key-field ]; then
        key_expr=$2
        shift 2
    fi
    if [ ! -r "$file" ]; then
        _kafka_err "kafka_produce: cannot read '$file'"
        return 1
    fi
    if [ -z "$key_expr" ]; then
        # Keyless messages: librdkafka's sticky partitioner would put whole batches (up to
        # batch.size, 1 MB) in one random partition, and a partition of the mock keeps only
        # 5 MB; one random partition a message spreads them evenly.
        "$KAFKA_KCAT" -P -b "$KAFKA_BOOTSTRAP" -t "$topic" -X sticky.partitioning.linger.ms=0 \
            "${KAFKA_KCAT_ARGS[@]}" "$@" <"$file"
        return
    fi
    keys=$(mktemp "${TMPDIR:-/tmp}/tw-kafka-keys.XXXXXX") || return 1
    if ! jq -r "($key_expr) | (if type == \"string\" then . else tojson end) | gsub(\"[\\t\\r\\n]\"; \" \")" \
        "$file" >"$keys"; then
        _kafka_err "kafka_produce: jq '$key_expr' failed on '$file'"
        rm -f "$keys"
        return 1
    fi
    nk=$(wc -l <"$keys")
    nl=$(wc -l <"$file")
    if [ "$nk" -ne "$nl" ]; then
        _kafka_err "kafka_produce: '$key_expr' gave $nk keys for $nl lines (one JSON value a line?)"
        rm -f "$keys"
        return 1
    fi
    # KEY<TAB>LINE: a tab cannot occur in the key (made a space) and kcat splits at the first.
    paste -d '\t' "$keys" "$file" |
        "$KAFKA_KCAT" -P -b "$KAFKA_BOOTSTRAP" -t "$topic" -K $'\t' "${KAFKA_KCAT_ARGS[@]}" "$@"
    local rc=$?
    rm -f "$keys"
    return "$rc"
}

kafka_consume() {
    _kafka_need_cluster kafka_consume || return 1
    local topic=$1 count=$2 limit=${3:-30} rc
    shift $(($# < 3 ? $# : 3))
    timeout -k 5 "$limit" "$KAFKA_KCAT" -C -b "$KAFKA_BOOTSTRAP" -t "$topic" -o beginning \
        -c "$count" -q -f "$KAFKA_FORMAT" "${KAFKA_KCAT_ARGS[@]}" "$@"
    rc=$?
    if [ "$rc" -eq 124 ]; then
        _kafka_err "kafka_consume: fewer than $count messages in '$topic' after ${limit}s"
        return 1
    fi
    return "$rc"
}

kafka_consume_all() {
    _kafka_need_cluster kafka_consume_all || return 1
    local topic=$1 limit=${2:-30} rc
    timeout -k 5 "$limit" "$KAFKA_KCAT" -C -b "$KAFKA_BOOTSTRAP" -t "$topic" -o beginning -e \
        -q -f "$KAFKA_FORMAT" "${KAFKA_KCAT_ARGS[@]}"
    rc=$?
    if [ "$rc" -eq 124 ]; then
        _kafka_err "kafka_consume_all: '$topic' not read to its end after ${limit}s"
        return 1
    fi
    return "$rc"
}

kafka_partition_counts() {
    local topic=$1 limit=${2:-30}
    KAFKA_FORMAT='%p %o\n' kafka_consume_all "$topic" "$limit" >"${_KAFKA_DIR:-/tmp}/offsets.$$" ||
        { rm -f "${_KAFKA_DIR:-/tmp}/offsets.$$"; return 1; }
    awk '{ n[$1]++; if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2 }
         END { for (p in n) print p, n[p], lo[p] }' "${_KAFKA_DIR:-/tmp}/offsets.$$" | sort -n
    rm -f "${_KAFKA_DIR:-/tmp}/offsets.$$"
}

kafka_count() {
    local out
    out=$(kafka_partition_counts "$@") || return 1
    awk '{ s += $2 } END { print s + 0 }' <<<"$out"
}
