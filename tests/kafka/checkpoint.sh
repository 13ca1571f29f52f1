#!/usr/bin/env bash
# checkpoint.sh TRAILWARDEN BUILD_DIR TW_MOCK_KAFKA KCAT [SCENARIO]: what `consume --state-dir
# DIR` does with checkpoints (DIR/checkpoint) it did not write cleanly, against tw_mock_kafka.
# Each scenario is a CTest entry of its own (kafka.checkpoint.SCENARIO) with a cluster of its
# own; without SCENARIO all run, one after the other (README.md, "Scenarios"). Restarts use a
# new consumer group, so the offsets a restart reads from can only come from the checkpoint (a
# new group would read from the beginning).
#   restored       the first part of a trail consumed (clean stop, a checkpoint written), the
#                  rest produced, a restart: it reads only the rest, and the findings of both
#                  runs are exactly replay's of the whole trail (no repeat, none missing).
#                  consume.sh covers the same after kill -9 (same group, repeats allowed);
#   damaged        a damaged checkpoint (cut to half, to 0 bytes, inside its offsets; bytes
#                  flipped in the middle; random bytes; random bytes behind a valid magic):
#                  exit 2 within seconds, stderr names DIR/checkpoint and what is wrong,
#                  nothing on the findings output, the file left byte for byte as it was and
#                  no checkpoint.tmp written;
#   damaged_slow   the same for a checkpoint slow to read, during which no partition is
#                  assigned;
#   other_rules    a checkpoint written with other rules (an extra -r): a warning naming the
#                  file, the state not restored but its offsets used: the findings are exactly
#                  replay's (with the new rules) of the records after the checkpoint; the next
#                  start, with the same rules, has no warning (the checkpoint was rewritten
#                  with them); and each partition read past where the (unrestored) state ends
#                  is said on stderr and counted (kafka.partitions_without_history), which a
#                  restored restart (restored) never is;
#   no_state_dir   the same group started again without --state-dir: the partitions it read
#                  before go on from their committed offsets, each said once and counted:
#                  their identities' history is gone;
#   leftover_tmp   a leftover DIR/checkpoint.tmp (a crash mid-write): not read, the restart
#                  restores the checkpoint beside it, and the temp file is gone after the next
#                  checkpoint; with no checkpoint beside it, a first start (reads everything);
#   bad_state_dir  --state-dir a file, under a missing directory, or /sys (no one may create
#                  files in it): exit 2 with the path and the reason, within seconds, before a
#                  consumer exists (no librdkafka debug log line); a mode-500 directory: the
#                  same (skipped as root).
# shellcheck disable=SC2317 # scenario_* functions are called by name (kafka_run_scenario)
source "$(dirname "$0")/../scripts/lib.bash"
source "$(dirname "$0")/lib.sh"

SCENARIOS=(restored damaged damaged_slow other_rules no_state_dir leftover_tmp bad_state_dir)
kafka_scenario "$@"
kafka_test_args "${@:1:4}" perl

KEY='.userIdentity.sessionContext.sessionIssuer.arn // .userIdentity.arn // .userIdentity.invokedBy // .userIdentity.principalId // "none"'
strip() { jq -c 'select((.update // false) == false) | del(.processed_time)' "$1" | sort; }

# tw under a time limit: a hang is a failure (timeout's 124), not a stuck test
tw_limited() { # NAME SECONDS ARGS...
    local name=$1 limit=$2 bin=$TW
    shift 2
    TW=timeout
    tw "$name" -k 5 "$limit" "$bin" "$@"
    TW=$bin
}
rc_is() { expect_eq "$1: exit status" "$(cat "$WORK/$2.rc")" "$3"; }

# A trail in event-time order, and a cut of it where state matters: replaying the two parts
# apart gives other findings than replaying the whole (so a restored state shows): A.ndjson
# and B.ndjson, $nA and $nB records, replay's findings of the whole in want_whole.txt.
"$TW" gen -n 2500 --identities 50 --scenario all -q -o gen.ndjson || exit 2
jq -c -s 'sort_by(.eventTime)[]' gen.ndjson > trail.ndjson
"$TW" replay -f compact trail.ndjson > whole.out 2>/dev/null
strip whole.out > want_whole.txt
check "replay finds something to compare" test "$(wc -l < want_whole.txt)" -gt 5
total=$(wc -l < trail.ndjson)
cut=""
for k in $(seq 600 200 $((total - 600))); do
    head -n "$k" trail.ndjson > A.ndjson
    tail -n +"$((k + 1))" trail.ndjson > B.ndjson
    { "$TW" replay -f compact A.ndjson; "$TW" replay -f compact B.ndjson; } 2>/dev/null |
        jq -c 'select((.update // false) == false) | del(.processed_time)' | sort > apart.txt
    if ! cmp -s apart.txt want_whole.txt; then cut=$k; break; fi
done
check "the trail has a cut where state matters" test -n "$cut"
[ -n "$cut" ] || exit 1
nA=$cut
nB=$((total - cut))
echo "cut at record $cut of $total"

# A cluster with TOPIC:PARTITIONS..., and the consume command line for it.
cluster() {
    kafka_start --brokers 1 "$@" || exit 2
    BS=$KAFKA_BOOTSTRAP
    CONSUME=(consume -b "$BS" -f compact -X session.timeout.ms=6000
             -X heartbeat.interval.ms=500 -X auto.commit.interval.ms=200)
}

# the first part of the trail into TOPIC, consumed to its end with --state-dir DIR
first_run() { # TOPIC DIR
    kafka_produce "$1" A.ndjson --key-field "$KEY" || exit 2
    tw_limited "$1-1" 120 "${CONSUME[@]}" -t "$1" -G "$1-1" --state-dir "$2" --exit-at-end --stats
    rc_is "$1: first run" "$1-1" 0
    expect_eq "$1: first run read the first part" "$(stat_of "$1-1" kafka.messages)" "$nA"
    check "$1: first run wrote $2/checkpoint" test -s "$2/checkpoint"
}

# good.ckpt: a clean checkpoint of the first part (topic good), for the damaged ones; $size
good_checkpoint() {
    first_run good sgood
    cp sgood/checkpoint good.ckpt
    size=$(stat -c %s good.ckpt)
}

# --- a checkpoint restored, consumption continued ---
scenario_restored() {
    cluster ok:2
    first_run ok sok
    kafka_produce ok B.ndjson --key-field "$KEY" || exit 2
    tw_limited ok-2 120 "${CONSUME[@]}" -t ok -G ok-2 --state-dir sok --exit-at-end --stats
    rc_is "restored" ok-2 0
    expect_eq "restored: a new group reads from the checkpoint's offsets" "$(stat_of ok-2 kafka.messages)" "$nB"
    check "restored: no warning" bash -c "! grep -q 'state-dir' '$WORK/ok-2.err'"
    expect_eq "restored: every partition read with its history" \
        "$(stat_of ok-2 kafka.partitions_without_history)" 0
    cat ok-1.out ok-2.out > ok.out
    strip ok.out > got_ok.txt
    same_output "restored: the findings of both runs are replay's of the whole trail" got_ok.txt want_whole.txt
}

# --- damaged checkpoints ---
flip() { # FILE OFFSET COUNT: every bit of COUNT bytes at OFFSET inverted, in place
    perl -e 'open(my $f, "+<", $ARGV[0]) or die; binmode $f; seek($f, $ARGV[1], 0);
             read($f, my $b, $ARGV[2]); seek($f, $ARGV[1], 0); print $f ~$b; close $f or die' "$@"
}
damaged() { # CASE DESCRIPTION EXPECTED_WORDS (the damaged file is $CASE.ckpt)
    local c=$1 what=$2 words=$3 t0 t1
    mkdir -p "s$c"
    cp "$c.ckpt" "s$c/checkpoint"
    kafka_produce "$c" B.ndjson --key-field "$KEY" || exit 2
    t0=$(date +%s.%N)
    tw_limited "$c" 30 "${CONSUME[@]}" -t "$c" -G "$c" --state-dir "s$c" --exit-at-end --stats
    t1=$(date +%s.%N)
    check "$what: exit status 2 (got $(cat "$WORK/$c.rc"))" test "$(cat "$WORK/$c.rc")" = 2
    check "$what: gone within 10 s" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 10) }'
    check "$what: stderr names s$c/checkpoint and says '$words'" \
        grep -q -E "^trailwarden: --state-dir s$c/checkpoint: $words( \\(.*\\))?; nothing read\$" "$WORK/$c.err"
    check "$what: no findings written" test ! -s "$WORK/$c.out"
    check "$what: the checkpoint is left as it was" cmp -s "$c.ckpt" "s$c/checkpoint"
    check "$what: no checkpoint.tmp written" test ! -e "s$c/checkpoint.tmp"
    if ! grep -q -F "s$c/checkpoint: $words" "$WORK/$c.err"; then
        sed 's/^/    stderr: /' "$WORK/$c.err" | head -5
    fi
}
scenario_damaged() {
    cluster good:2 d1:2 d2:2 d3:2 d4:2 d5:2 d6:2
    good_checkpoint
    head -c $((size / 2)) good.ckpt > d1.ckpt
    damaged d1 "cut to half its size ($((size / 2)) of $size bytes)" "damaged checkpoint"
    : > d2.ckpt
    damaged d2 "cut to 0 bytes" "not a trailwarden checkpoint"
    # magic (8), fingerprint (8), number of offsets (4), then the first topic's length (4): cut
    # 3 bytes into that topic's name
    head -c 27 good.ckpt > d3.ckpt
    damaged d3 "cut inside its offsets (27 bytes)" "damaged checkpoint"
    cp good.ckpt d4.ckpt
    flip d4.ckpt $((size / 2)) 16
    damaged d4 "16 bytes flipped in the middle (at $((size / 2)))" "damaged checkpoint"
    head -c "$size" /dev/urandom > d5.ckpt
    damaged d5 "random bytes" "not a trailwarden checkpoint"
    { head -c 8 good.ckpt; head -c "$size" /dev/urandom; } > d6.ckpt
    damaged d6 "random bytes behind the right magic" "damaged checkpoint"
}

# A damaged checkpoint that takes long to read (a checkpoint of millions of identities takes
# seconds; here the checkpoint is a fifo, fed 3 s after the start): the group is joined only
# once the checkpoint is read, so nothing is assigned meanwhile, and the exit is clean. (It
# used to join first: the failed start then pushed into the freed pipeline from the
# revocation, or hung in librdkafka's close.)
scenario_damaged_slow() {
    local d7pid d7rc t0 t1
    cluster good:2 d7:2
    good_checkpoint
    mkdir -p sd7
    mkfifo sd7/checkpoint
    kafka_produce d7 B.ndjson --key-field "$KEY" || exit 2
    timeout -k 5 60 "$TW" "${CONSUME[@]}" -t d7 -G d7 --state-dir sd7 --exit-at-end -X debug=cgrp \
        > "$WORK/d7.out" 2> "$WORK/d7.err" &
    d7pid=$!
    sleep 3
    check "late damage: no partition assigned while the checkpoint is being read" \
        bash -c "! grep -q -E 'assigned [0-9]+ partition' '$WORK/d7.err'"
    t0=$(date +%s.%N)
    timeout 20 bash -c '{ head -c 8 good.ckpt; head -c 100 /dev/urandom; } > sd7/checkpoint'
    wait "$d7pid"
    d7rc=$?
    t1=$(date +%s.%N)
    check "late damage: exit status 2 (got $d7rc)" test "$d7rc" = 2
    check "late damage: gone within 10 s of the damage" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 10) }'
    check "late damage: no crash, no sanitizer report" \
        bash -c "[ $d7rc -lt 128 ] && ! grep -q -E 'Sanitizer|runtime error:' '$WORK/d7.err'"
    check "late damage: stderr names sd7/checkpoint and says 'damaged checkpoint'" \
        grep -q -E "^trailwarden: --state-dir sd7/checkpoint: damaged checkpoint( \\(.*\\))?; nothing read\$" "$WORK/d7.err"
    check "late damage: no findings written" test ! -s "$WORK/d7.out"
    if grep -q -E 'ERROR: AddressSanitizer' "$WORK/d7.err"; then
        grep -E -A6 'ERROR: AddressSanitizer' "$WORK/d7.err" | sed 's/^/    /'
    fi
}

# --- a checkpoint written with other rules ---
scenario_other_rules() {
    # another rule set: the shipped rules and one more
    mkdir -p extra
    cat > extra/checkpoint-test-assume.yml <<'RULE'
title: A role assumed (checkpoint.sh's extra rule)
id: checkpoint-test-assume
status: experimental
level: low
description: Every sts:AssumeRole; only here to make a rule set that differs from the shipped.
logsource:
  product: aws
  service: cloudtrail
detection:
  sel:
    eventSource: sts.amazonaws.com
    eventName: AssumeRole
  condition: sel
RULE
    "$TW" replay -f compact -r extra B.ndjson > extraB.out 2>extraB.err
    strip extraB.out > want_extraB.txt
    check "the extra rule finds something in the second part" grep -q checkpoint-test-assume want_extraB.txt

    cluster foreign:2
    first_run foreign sforeign
    kafka_produce foreign B.ndjson --key-field "$KEY" || exit 2
    tw_limited foreign-2 120 "${CONSUME[@]}" -t foreign -G foreign-2 -r extra --state-dir sforeign \
        --exit-at-end --stats
    rc_is "other rules" foreign-2 0
    check "other rules: a warning naming the checkpoint" grep -q -F \
        "trailwarden: --state-dir sforeign/checkpoint: written with other rules or another build; its state is not restored, reading from its offsets" \
        "$WORK/foreign-2.err"
    expect_eq "other rules: the checkpoint's offsets used (a new group)" "$(stat_of foreign-2 kafka.messages)" "$nB"
    check "other rules: partitions read without their history are said" \
        test "$(stat_of foreign-2 kafka.partitions_without_history)" -gt 0
    check "other rules: ... naming where reading starts" \
        grep -q -E "^trailwarden: kafka: foreign\[[0-9]+\]: reading starts at offset [1-9][0-9]*; .* their state is not here" \
        "$WORK/foreign-2.err"
    strip foreign-2.out > got_foreign.txt
    same_output "other rules: the findings are replay's (same rules) of the records after the checkpoint" \
        got_foreign.txt want_extraB.txt
    tw_limited foreign-3 120 "${CONSUME[@]}" -t foreign -G foreign-3 -r extra --state-dir sforeign \
        --exit-at-end --stats
    rc_is "other rules, started again" foreign-3 0
    check "other rules, started again: no warning (rewritten with the new rules)" \
        bash -c "! grep -q 'other rules' '$WORK/foreign-3.err'"
    expect_eq "other rules, started again: nothing left to read" "$(stat_of foreign-3 kafka.messages)" 0
}

# --- the same group again without --state-dir: its partitions go on without history ---
scenario_no_state_dir() {
    local parts_a
    cluster nost:2
    kafka_produce nost A.ndjson --key-field "$KEY" || exit 2
    tw_limited nost-1 120 "${CONSUME[@]}" -t nost -G nost --exit-at-end --stats
    rc_is "no state-dir, first run" nost-1 0
    expect_eq "no state-dir, first run: from the partitions' start, with history" \
        "$(stat_of nost-1 kafka.partitions_without_history)" 0
    kafka_produce nost B.ndjson --key-field "$KEY" || exit 2
    tw_limited nost-2 120 "${CONSUME[@]}" -t nost -G nost --exit-at-end --stats
    rc_is "no state-dir, again" nost-2 0
    expect_eq "no state-dir, again: only the rest read" "$(stat_of nost-2 kafka.messages)" "$nB"
    parts_a=$(grep -c -E "^trailwarden: kafka: nost\[[0-9]+\]: reading starts at offset [1-9]" \
        "$WORK/nost-2.err")
    check "no state-dir, again: each partition read before is said once ($parts_a)" \
        test "$parts_a" -gt 0 -a "$parts_a" = "$(stat_of nost-2 kafka.partitions_without_history)"
}

# --- a leftover checkpoint.tmp ---
scenario_leftover_tmp() {
    cluster tmp:2 tmponly:2
    first_run tmp stmp
    cp stmp/checkpoint good.ckpt
    size=$(stat -c %s good.ckpt)
    head -c $((size / 3)) good.ckpt > stmp/checkpoint.tmp # as a crash mid-write leaves it
    kafka_produce tmp B.ndjson --key-field "$KEY" || exit 2
    tw_limited tmp-2 120 "${CONSUME[@]}" -t tmp -G tmp-2 --state-dir stmp --exit-at-end --stats
    rc_is "leftover checkpoint.tmp" tmp-2 0
    check "leftover checkpoint.tmp: not mentioned" bash -c "! grep -q 'checkpoint' '$WORK/tmp-2.err'"
    expect_eq "leftover checkpoint.tmp: the checkpoint beside it restored (its offsets)" \
        "$(stat_of tmp-2 kafka.messages)" "$nB"
    cat tmp-1.out tmp-2.out > tmp.out
    strip tmp.out > got_tmp.txt
    same_output "leftover checkpoint.tmp: the findings of both runs are replay's of the whole trail" \
        got_tmp.txt want_whole.txt
    check "leftover checkpoint.tmp: gone after the restart's checkpoints" test ! -e stmp/checkpoint.tmp
    mkdir -p stmponly
    head -c $((size / 3)) good.ckpt > stmponly/checkpoint.tmp
    kafka_produce tmponly trail.ndjson --key-field "$KEY" || exit 2
    tw_limited tmponly 120 "${CONSUME[@]}" -t tmponly -G tmponly --state-dir stmponly --exit-at-end --stats
    rc_is "only a checkpoint.tmp" tmponly 0
    expect_eq "only a checkpoint.tmp: a first start, everything read" "$(stat_of tmponly kafka.messages)" "$total"
    strip tmponly.out > got_tmponly.txt
    same_output "only a checkpoint.tmp: replay's findings" got_tmponly.txt want_whole.txt
    check "only a checkpoint.tmp: a checkpoint written in its place" test -s stmponly/checkpoint -a ! -e stmponly/checkpoint.tmp
}

# --- --state-dir unusable ---
bad_dir() { # NAME DESCRIPTION STATE_DIR EXPECTED_STDERR_TEXT
    local n=$1 what=$2 dir=$3 words=$4 t0 t1
    t0=$(date +%s.%N)
    tw_limited "$n" 30 "${CONSUME[@]}" -t notdir -G "$n" --state-dir "$dir" --exit-at-end \
        -X debug=cgrp
    t1=$(date +%s.%N)
    rc_is "$what" "$n" 2
    check "$what: gone within 10 s" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 10) }'
    check "$what: stderr says '$words'" grep -q -F "$words" "$WORK/$n.err"
    # -X debug=cgrp: librdkafka logs (%7|...) from the moment a consumer exists
    check "$what: refused before a consumer is made (no group log)" \
        bash -c "! grep -q '^%7|' '$WORK/$n.err'"
    if ! grep -q -F "$words" "$WORK/$n.err"; then
        grep -v 'RDKAFKA\|CGRP\|^%7' "$WORK/$n.err" | sed 's/^/    stderr: /' | head -5
    fi
}
scenario_bad_state_dir() {
    cluster notdir:2
    kafka_produce notdir B.ndjson --key-field "$KEY" || exit 2
    echo "not a directory" > afile
    bad_dir sfile "--state-dir a file" afile "trailwarden: --state-dir afile: not a directory; nothing read"
    check "--state-dir a file: the file left as it was" test "$(cat afile)" = "not a directory"
    bad_dir snoparent "--state-dir under a missing directory" missing/state \
        "trailwarden: --state-dir missing/state: No such file or directory; nothing read"
    # a directory no one may create files in, root included (sysfs)
    bad_dir ssys "--state-dir /sys" /sys "trailwarden: --state-dir /sys: cannot write in it: "
    if [ "$(id -u)" -eq 0 ]; then
        echo "SKIP: --state-dir without write permission (mode 500): running as root, which may write anyway"
    else
        mkdir -p sro
        chmod 500 sro
        bad_dir sro "--state-dir without write permission" sro \
            "trailwarden: --state-dir sro: cannot write in it: Permission denied; nothing read"
        chmod 700 sro
    fi
}

kafka_run_scenario
