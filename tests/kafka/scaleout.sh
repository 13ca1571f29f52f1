#!/usr/bin/env bash
# scaleout.sh TRAILWARDEN BUILD_DIR TW_MOCK_KAFKA KCAT [SCENARIO]: `consume --state-topic`
# (issue 16): each identity's state in a compacted changelog topic co-partitioned with the
# keyed input (filled by `trailwarden route`), written at checkpoint barriers before the
# offsets are committed, restored when a partition is assigned. Each scenario is a CTest entry
# of its own (kafka.scaleout.SCENARIO) with a cluster of its own (README.md, "Scenarios"):
#   must_hold          a 30-day realistic trail with injected drift, routed in time order into
#                      a 16-partition keyed topic in four slices while instances come and go
#                      in one group: A alone; B joins (slice 2); A killed -9, C joins (slice
#                      3); B stopped by SIGTERM (slice 4, C alone). The union of the three
#                      instances' findings is replay's, uid for uid (repeats only of replay's
#                      findings, counted), every body one of replay's; no instance read a
#                      partition without its history; some partition's state came back in B
#                      or C (a restore line with identities > 0). SCALEOUT_NO_STATE=1 runs the
#                      same sequence without --state-topic (to see that it fails: README.md);
#   bad_partitions     a changelog whose partition count is not the input's: exit 2, both
#                      counts named;
#   missing_topic      a changelog topic that does not exist: exit 2, the topic named, and it
#                      is not created by asking (a second start says the same);
#   state_dir_and_topic  --state-topic with --state-dir, or with two input topics: exit 2;
#   damaged_record     a keyed record that is not a state record in a changelog partition:
#                      skipped and counted (damaged 1 in that partition's restore line), stderr
#                      names topic[partition] and its offset, and the trail's findings are
#                      replay's;
#   restart_restores   one instance reads the first part of a trail (cut where state matters)
#                      and is stopped by SIGTERM; a new one in the group reads the rest: its
#                      restore lines show identities, no partition without history, and both
#                      runs' findings are replay's.
# shellcheck disable=SC2317 # scenario_* functions are called by name (kafka_run_scenario)
source "$(dirname "$0")/../scripts/lib.bash"
source "$(dirname "$0")/lib.sh"

SCENARIOS=(must_hold bad_partitions missing_topic state_dir_and_topic damaged_record restart_restores)
kafka_scenario "$@"
kafka_test_args "${@:1:4}"

# A finding's uid, and its body without the time it was written (replay has none).
uids() { jq -r '.finding_info.uid' "$@" | sort -u; }
bodies() { jq -c 'del(.metadata.processed_time)' "$@" | sort -u; }

# A cluster with TOPIC:PARTITIONS..., and the consume command line for it (a short session,
# so that a killed member holds the group up for 6 s, not 45).
cluster() {
    kafka_start --brokers 3 "$@" || exit 2
    BS=$KAFKA_BOOTSTRAP
    CONSUME=(consume -b "$BS" --stats -X session.timeout.ms=6000 -X heartbeat.interval.ms=500
             -X auto.commit.interval.ms=200)
}

# FILE into the keyed topic TOPIC, in file order, by `route` (key: the identity key). zstd
# batches: the mock keeps about 5 MB a partition, counted in the bytes it was sent, and the
# realistic trail's busiest identities alone hold 7-12 MB of JSON (compressed, all of the
# 101 MB trail stays: kafka_partition_counts shows first offsets of 0).
route_file() { # TOPIC FILE
    "$TW" route -b "$BS" -X compression.type=zstd -o "kafka:$1" "$2" 2> "$WORK/route.err" ||
        { fail "route $2 into $1: $(tail -n 3 "$WORK/route.err")"; exit 1; }
}

# The small trail of the other scripts (consume.sh): 2,500 estate records and 50 identities
# with every default scenario, in event-time order; replay's findings in want.ndjson.
small_trail() {
    "$TW" gen -n 2500 --identities 50 --scenario all -q -o gen.ndjson || exit 2
    jq -c -s 'sort_by(.eventTime)[]' gen.ndjson > trail.ndjson
    "$TW" replay trail.ndjson > want.ndjson 2> /dev/null
    check "replay finds something to compare" test "$(wc -l < want.ndjson)" -gt 5
}

# ---- --stats on SIGUSR1, parsed ------------------------------------------------------------

# ask_stats PID ERRFILE: SIGUSR1, wait for the summary's last line; the new block is left in
# ERRFILE.last. Status 1 if the process is gone or no summary came.
ask_stats() {
    local pid=$1 err=$2 before lines
    before=$(grep -c -a '^  mb_per_second ' "$err")
    lines=$(wc -l < "$err")
    kill -USR1 "$pid" 2> /dev/null || return 1
    for _ in $(seq 1 50); do
        if [ "$(grep -c -a '^  mb_per_second ' "$err")" -gt "$before" ]; then
            tail -n +"$((lines + 1))" "$err" > "$err.last"
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# The number of messages (highest offset + 1) of each partition of TOPIC: "P END" a line.
topic_ends() {
    kafka_partition_counts "$1" 60 | awk '{ print $1, $2 + $3 }'
}

# covered ENDS ERRFILE...: every partition of ENDS is assigned (not restoring) in one of the
# instances' last --stats blocks and done up to its end.
covered() {
    local ends=$1
    shift
    cat "$@" | awk -v ends="$ends" '
        BEGIN { while ((getline l < ends) > 0) { split(l, f, " "); want[f[1]] = f[2] - 1 } }
        $1 ~ /^kafka\.partition\./ && $0 !~ /not assigned|restoring/ {
            p = $1; sub(/.*\[/, "", p); sub(/\].*/, "", p)
            for (i = 2; i < NF; i++) if ($i == "done") d = $(i + 1)
            if (p in want && d + 0 >= want[p]) ok[p] = 1
        }
        END { for (p in want) if (!(p in ok)) exit 1; exit 0 }'
}

# wait_covered TOPIC WHAT PID:ERRFILE...: until the live instances have read every partition
# of TOPIC to its end (120 s at most). Status 1 if not.
wait_covered() {
    local topic=$1 what=$2 ends=$WORK/ends.txt spec
    shift 2
    topic_ends "$topic" > "$ends"
    local -a lasts
    local t0=$SECONDS
    for _ in $(seq 1 240); do
        lasts=()
        for spec in "$@"; do
            ask_stats "${spec%%:*}" "${spec#*:}" && lasts+=("${spec#*:}.last")
        done
        if [ "${#lasts[@]}" -gt 0 ] && covered "$ends" "${lasts[@]}"; then
            pass "$what: every partition read to its end"
            # a restore takes a fraction of a second here: a slice waits for a rebalance
            # (a killed member's session: 6 s), not for a minute
            check "$what: ... within 30 s ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -le 30
            return 0
        fi
        sleep 0.3
    done
    fail "$what: not every partition read to its end after 120 s"
    return 1
}

wait_assigned() { # PID ERRFILE WHAT: until --stats says kafka.assignments >= 1 (60 s at most)
    local n
    for _ in $(seq 1 200); do
        ask_stats "$1" "$2" &&
            n=$(awk '$1 == "kafka.assignments" { print $2 }' "$2.last")
        [ "${n:-0}" -ge 1 ] && return 0
        sleep 0.3
    done
    fail "$3: no assignment after 60 s"
    return 1
}

# The partitions an instance holds in its last --stats block (space-separated).
held() {
    awk '$1 ~ /^kafka\.partition\./ && $0 !~ /not assigned/ {
             p = $1; sub(/.*\[/, "", p); sub(/\].*/, "", p); printf "%s ", p }' "$1.last"
}

# The last value of a --stats line in ERRFILE (a file polled with SIGUSR1 holds many).
last_stat() { awk -v k="$2" '$1 == k && NF == 2 { v = $2 } END { print v }' "$1"; }

stopped() { # PID WHAT: SIGTERM, exit 0 within 15 s
    local rc t0 t1
    t0=$(date +%s.%N)
    kill -TERM "$1"
    wait "$1"
    rc=$?
    t1=$(date +%s.%N)
    expect_eq "$2: SIGTERM: exit 0" "$rc" 0
    check "$2: ... within 15 s" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 15) }'
}

# ---- must_hold -----------------------------------------------------------------------------

# The trail: `gen --profile realistic --identities 30 --span 30d --scenario all`, 65,639
# records, 101 MB, 54 identity keys. Replay finds 102 findings (99 uids; 3 of them also as
# an Update that replay writes at the end of input, which a stream has not reached): rules
# model-customization (91: "its past is not known yet (learning)" against the baseline of
# a nightly pipeline, and one High: a telemetry reader's first fine-tuning job),
# training-telemetry-combined, agent-read-to-destructive (an agent that read for days, then
# deletes), llm-jacking (a new identity enables models, invokes days later), logging-tampered,
# admin-policy-attached: most of them need what an identity did days before.
PIDS=()
reap() { # kill -9 what a scenario that stopped early left running
    local pid
    for pid in "${PIDS[@]}"; do
        kill -KILL "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
    done
    PIDS=()
}
scenario_must_hold() { must_hold; reap; }
must_hold() {
    local pa pb pc with total n1 n2 n3 dup missing cov
    local -a state=(--state-topic state --checkpoint-every 2s)
    with="--state-topic"
    if [ -n "${SCALEOUT_NO_STATE:-}" ]; then
        state=()
        with="without --state-topic"
        echo "SCALEOUT_NO_STATE: the same sequence without --state-topic (expected to fail)"
    fi
    "$TW" gen --profile realistic --identities 30 --span 30d --scenario all -q \
        -o trail.ndjson || exit 2
    check "the trail is in event-time order" jq -e -s 'map(.eventTime) | . == sort' trail.ndjson > /dev/null
    echo "    trail: $(wc -l < trail.ndjson) records, $(wc -c < trail.ndjson) bytes"
    "$TW" replay trail.ndjson > want.ndjson 2> /dev/null
    uids want.ndjson > want_uids.txt
    check "replay finds something to compare ($(wc -l < want_uids.txt) uids)" \
        test "$(wc -l < want_uids.txt)" -gt 50
    echo "    replay's rules: $(jq -r '.finding_info.analytic.uid' want.ndjson | sort | uniq -c | awk '{ printf "%s %s, ", $2, $1 }')"
    total=$(wc -l < trail.ndjson)
    n1=$((total / 4)) n2=$((total / 2)) n3=$((total * 3 / 4))
    sed -n "1,${n1}p" trail.ndjson > s1.ndjson
    sed -n "$((n1 + 1)),${n2}p" trail.ndjson > s2.ndjson
    # slice 3 starts with 2,000 records routed just before A is killed: A dies with work done
    # since its last barrier (what C reads again, from the state of that barrier)
    sed -n "$((n2 + 1)),$((n2 + 2000))p" trail.ndjson > s3a.ndjson
    sed -n "$((n2 + 2001)),${n3}p" trail.ndjson > s3.ndjson
    sed -n "$((n3 + 1)),\$p" trail.ndjson > s4.ndjson

    cluster keyed:16 state:16
    local -a run=("${CONSUME[@]}" -t keyed -G g "${state[@]}")

    # A alone, slice 1
    "$TW" "${run[@]}" -o file:fA.ndjson > A.out 2> A.err &
    pa=$!
    PIDS+=("$pa")
    SECONDS=0
    kafka_signals_ready "$pa"
    wait_assigned "$pa" A.err "A" || return
    route_file keyed s1.ndjson
    wait_covered keyed "slice 1 (A alone)" "$pa:A.err" || return
    echo "    A holds: $(held A.err) (${SECONDS}s)"

    # B joins: the group shares the partitions out (A lets some go at a barrier, B restores
    # them); slice 2
    "$TW" "${run[@]}" -o file:fB.ndjson > B.out 2> B.err &
    pb=$!
    PIDS+=("$pb")
    kafka_signals_ready "$pb"
    wait_assigned "$pb" B.err "B" || return
    route_file keyed s2.ndjson
    wait_covered keyed "slice 2 (A and B)" "$pa:A.err" "$pb:B.err" || return
    echo "    A holds: $(held A.err); B holds: $(held B.err) (${SECONDS}s)"
    cp A.err.last A.final

    # A killed -9 amid slice 3's first records, C joins; the rest of slice 3
    route_file keyed s3a.ndjson
    sleep 0.7
    kill -KILL "$pa"
    wait "$pa" 2> /dev/null
    "$TW" "${run[@]}" -o file:fC.ndjson > C.out 2> C.err &
    pc=$!
    PIDS+=("$pc")
    kafka_signals_ready "$pc"
    wait_assigned "$pc" C.err "C" || return
    route_file keyed s3.ndjson
    wait_covered keyed "slice 3 (B and C, A's partitions moved)" "$pb:B.err" "$pc:C.err" || return
    echo "    B holds: $(held B.err); C holds: $(held C.err) (${SECONDS}s)"

    # B stopped by SIGTERM (its partitions go to C); slice 4; C stopped once it has read it
    stopped "$pb" "B"
    route_file keyed s4.ndjson
    wait_covered keyed "slice 4 (C alone)" "$pc:C.err" || return
    echo "    C holds: $(held C.err) (${SECONDS}s)"
    sleep 1
    stopped "$pc" "C"

    cov=$(kafka_partition_counts keyed 60 | awk '$3 > 0' | wc -l)
    expect_eq "the mock dropped nothing of the keyed topic (partitions with a first offset > 0)" "$cov" 0
    expect_eq "A: kafka.partitions_without_history (last --stats before kill -9)" \
        "$(last_stat A.final kafka.partitions_without_history)" 0
    expect_eq "B: kafka.partitions_without_history" "$(last_stat B.err kafka.partitions_without_history)" 0
    expect_eq "C: kafka.partitions_without_history" "$(last_stat C.err kafka.partitions_without_history)" 0
    check "no instance says 'reading starts at offset'" \
        bash -c "! grep -q 'reading starts at offset' '$WORK/A.err' '$WORK/B.err' '$WORK/C.err'"
    # the restore lines of every --stats block, one a partition and instance (the last)
    for i in B C; do
        grep -a '^  kafka.restore\.' $i.err | awk -v i=$i '{ last[$1] = i " " $1 " " $7 } END { for (p in last) print last[p] }'
    done | awk '$3 > 0' | sort > restored.txt
    check "a moved partition's state came back in B or C (restore lines with identities > 0: $(awk '{ printf "%s %s %s, ", $1, $2, $3 }' restored.txt))" \
        test -s restored.txt
    check "no partition held more than 15 s for its restore (the longest: $(grep -a -h '^  kafka.restore\.' B.err C.err | awk '$15 > m { m = $15 } END { print m + 0 }') s)" \
        bash -c "grep -a -h '^  kafka.restore\.' '$WORK/A.err' '$WORK/B.err' '$WORK/C.err' | awk '\$15 > 15 { exit 1 }'"
    check "no changelog record damaged, foreign or failed" \
        bash -c "! grep -a -h -E '^  kafka.restore\.' '$WORK/A.err' '$WORK/B.err' '$WORK/C.err' | awk '\$9 != 0 || \$11 != 0' | grep -q . &&
                 ! grep -a -h -E '^  kafka.changelog.(failed|too_large) +[1-9]' '$WORK/B.err' '$WORK/C.err' | grep -q ."

    touch fA.ndjson fB.ndjson fC.ndjson
    cat fA.ndjson fB.ndjson fC.ndjson > union.ndjson
    uids union.ndjson > got_uids.txt
    missing=$(comm -23 want_uids.txt got_uids.txt | wc -l)
    dup=$(($(wc -l < union.ndjson) - $(wc -l < got_uids.txt)))
    echo "    findings: A $(wc -l < fA.ndjson), B $(wc -l < fB.ndjson), C $(wc -l < fC.ndjson); $dup repeated (same uid)"
    if [ "$missing" -gt 0 ]; then
        echo "    missing from the union ($missing):"
        comm -23 want_uids.txt got_uids.txt | while read -r u; do
            jq -r --arg u "$u" 'select(.finding_info.uid == $u) | "      \($u) \(.finding_info.analytic.uid) \(.actor.user.uid) \(.time / 1000 | todate)"' want.ndjson | head -n 1
        done
    fi
    same_output "$with: the union of the instances' findings is replay's, uid for uid" \
        got_uids.txt want_uids.txt
    # repeats come from reading again what a killed instance did after its last barrier, with
    # the state of that barrier: the same findings, not others
    bodies want.ndjson > want_bodies.txt
    bodies union.ndjson > got_bodies.txt
    comm -23 got_bodies.txt want_bodies.txt |
        jq -r '"      not replay'"'"'s: \(.finding_info.uid) \(.finding_info.analytic.uid) \(.actor.user.uid): \(.message[0:90])"'
    check "$with: every finding written is one of replay's ($(comm -23 got_bodies.txt want_bodies.txt | wc -l) are not)" \
        bash -c "[ -z \"\$(comm -23 '$WORK/got_bodies.txt' '$WORK/want_bodies.txt')\" ]"
}

# ---- start-up errors -----------------------------------------------------------------------

scenario_bad_partitions() {
    cluster keyed:4 state:3
    tw bad "${CONSUME[@]}" -t keyed -G g --state-topic state --exit-at-end
    expect_eq "a changelog of 3 partitions for an input of 4: exit 2" "$(rc_of bad)" 2
    check "... both counts named" grep -q 'state has 3 partitions and the input topic keyed has 4' "$WORK/bad.err"
    check "... nothing written" test ! -s "$WORK/bad.out"
}

scenario_missing_topic() {
    local i
    cluster keyed:4
    for i in 1 2; do
        tw "missing$i" "${CONSUME[@]}" -t keyed -G g --state-topic nosuchstate --exit-at-end
        expect_eq "start $i: a changelog topic that does not exist: exit 2" "$(rc_of "missing$i")" 2
        check "start $i: ... the topic named, 'does not exist'" \
            grep -q 'state-topic nosuchstate does not exist' "$WORK/missing$i.err"
    done
    # asking for a topic by name creates it on the mock (and on auto-creating brokers)
    "$KAFKA_KCAT" -L -b "$BS" > list.out 2>&1 # all topics: asking for one by name would create it
    check "... and not created by the start" bash -c "! grep -q nosuchstate list.out && grep -q 'topic \"keyed\"' list.out"
}

scenario_state_dir_and_topic() {
    cluster keyed:4 other:4 state:4
    tw both "${CONSUME[@]}" -t keyed -G g --state-topic state --state-dir sd --exit-at-end
    expect_eq "--state-topic with --state-dir: exit 2" "$(rc_of both)" 2
    check "... both named" grep -q -- '--state-topic and --state-dir' "$WORK/both.err"
    check "... no state directory made" test ! -e "$WORK/sd"
    tw two "${CONSUME[@]}" -t keyed,other -G g --state-topic state --exit-at-end
    expect_eq "--state-topic with two input topics: exit 2" "$(rc_of two)" 2
    check "... said" grep -q 'consume reads one topic with it' "$WORK/two.err"
    tw twot "${CONSUME[@]}" -t keyed -t other -G g --state-topic state --exit-at-end
    expect_eq "--state-topic with -t twice: exit 2" "$(rc_of twot)" 2
}

# ---- damaged_record ------------------------------------------------------------------------

scenario_damaged_record() {
    small_trail
    cluster keyed:4 state:4
    printf 'some-identity\tthis is not a state record\n' |
        "$KAFKA_KCAT" -P -b "$BS" -t state -p 2 -K $'\t' || exit 2
    route_file keyed trail.ndjson
    tw dmg "${CONSUME[@]}" -t keyed -G g --state-topic state --checkpoint-every 2s --exit-at-end
    expect_eq "a junk record in the changelog: consume still runs (exit 0)" "$(rc_of dmg)" 0
    local line
    line=$(grep -a '^  kafka.restore.keyed\[2\] ' "$WORK/dmg.err")
    check "its partition's restore line counts it: damaged 1 ($line)" \
        awk '$8 == "damaged" && $9 == 1 { ok = 1 } END { exit !ok }' <<< "$line"
    check "the other partitions' restore lines count none" \
        bash -c "grep -a '^  kafka.restore.keyed\[[013]\] ' '$WORK/dmg.err' | awk '\$9 != 0 { exit 1 }'"
    expect_eq "stderr names topic[partition] and its offset, once" \
        "$(grep -c 'state-topic state\[2\] offset 0: not a trailwarden state record' "$WORK/dmg.err")" 1
    # (the records, and the copies route writes of grant calls to every partition)
    expect_eq "every message read" "$(stat_of dmg kafka.messages)" "$(kafka_count keyed)"
    uids want.ndjson > want_uids.txt
    uids "$WORK/dmg.out" > got_uids.txt
    same_output "the trail's findings are replay's (uids)" got_uids.txt want_uids.txt
}

# ---- restart_restores ----------------------------------------------------------------------

scenario_restart_restores() { restart_restores; reap; }
restart_restores() {
    local k cut="" total pid n
    small_trail
    # a cut where state matters: replaying the two parts apart misses or changes findings
    uids want.ndjson > want_uids.txt
    total=$(wc -l < trail.ndjson)
    for k in $(seq 600 200 $((total - 600))); do
        head -n "$k" trail.ndjson > cutA.ndjson
        tail -n +"$((k + 1))" trail.ndjson > cutB.ndjson
        { "$TW" replay cutA.ndjson; "$TW" replay cutB.ndjson; } 2> /dev/null | uids > apart.txt
        if ! cmp -s apart.txt want_uids.txt; then cut=$k; break; fi
    done
    check "the trail has a cut where state matters" test -n "$cut"
    [ -n "$cut" ] || return
    echo "    cut at record $cut of $total: apart, $(comm -3 apart.txt want_uids.txt | wc -l) uids differ"
    cluster keyed:4 state:4
    route_file keyed cutA.ndjson
    local m_cut # the messages of the first part: its records and route's copies of grant calls
    m_cut=$(kafka_count keyed)
    "$TW" "${CONSUME[@]}" -t keyed -G g --state-topic state --checkpoint-every 2s \
        > r1.out 2> r1.err &
    pid=$!
    PIDS+=("$pid")
    kafka_signals_ready "$pid"
    for _ in $(seq 1 300); do
        sleep 0.2
        ask_stats "$pid" r1.err &&
            n=$(awk '$1 == "kafka.messages" { print $2 }' r1.err.last)
        [ "${n:-0}" -ge "$m_cut" ] && break
    done
    expect_eq "run 1 read the first part" "${n:-0}" "$m_cut"
    stopped "$pid" "run 1"
    check "run 1 wrote identities to the changelog" test "$(last_stat r1.err kafka.changelog.records)" -gt 0
    route_file keyed cutB.ndjson
    local m_total t0=$SECONDS
    m_total=$(kafka_count keyed)
    tw r2 "${CONSUME[@]}" -t keyed -G g --state-topic state --checkpoint-every 2s --exit-at-end
    expect_eq "run 2 exits 0" "$(rc_of r2)" 0
    # the group's first join (3 s), four restores of a fraction of a second, 1,670 records
    check "run 2 is done within 30 s ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -le 30
    expect_eq "run 2 reads only the rest" "$(stat_of r2 kafka.messages)" "$((m_total - m_cut))"
    expect_eq "run 2: kafka.partitions_without_history" "$(stat_of r2 kafka.partitions_without_history)" 0
    grep -a '^  kafka.restore\.' "$WORK/r2.err" | sed 's/^/    /'
    check "run 2: its restore lines show identities restored" \
        bash -c "grep -a '^  kafka.restore\.' '$WORK/r2.err' | awk '\$7 > 0 { ok = 1 } END { exit !ok }'"
    cat r1.out "$WORK/r2.out" > both.ndjson
    uids both.ndjson > got_uids.txt
    same_output "runs 1 and 2 find replay's findings (uids)" got_uids.txt want_uids.txt
}

kafka_run_scenario
