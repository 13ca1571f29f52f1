#!/usr/bin/env bash
# outputs_and_options.sh BINARY BUILD_DIR: a failing output and hostile option values.
#
# Outputs (README "Outputs"): an output that fails names itself and the reason (strerror), the
# run stops with exit 1, and every healthy output holds every finding up to the failure, in
# order, flushed: the same lines as the first lines of a run without the failing output,
# whichever place the failing output has among -o. /dev/full fails when the file sink's 64 KiB
# buffer is first written out: 60 identities with one finding each (~170 KiB of OCSF) make it
# fail in the middle of the run; one finding makes it fail at the final flush.
# Options: numbers out of range are usage errors (exit 2, nothing read, no --stats), as is a
# --stats run whose configuration fails (a --grants file that is empty).
# route to a file: grant calls are not copied (copies go to each partition of a Kafka topic
# only), every record is written once.
source "$(dirname "$0")/lib.bash"
cd "$WORK" || exit 2

src=$DATA/agent-reads-then-deletes.ndjson
for i in $(seq -w 1 60); do
    sed -e "s/research-agent/research-agent-$i/g" \
        -e "s/\"eventID\":\"\([0-9a-f]\{8\}\)-/\"eventID\":\"\1-$i/" "$src"
done > many.ndjson
cp "$src" one.ndjson

tw full-alone replay -o file:/dev/full many.ndjson
expect_eq "file:/dev/full alone: exit status" "$(rc_of full-alone)" 1
check "file:/dev/full alone: the reason is named" \
    grep -q -F 'trailwarden: output file:/dev/full: write failed: No space left on device; stopping' "$WORK/full-alone.err"

for input in many one; do
    tw "all-$input" replay "$input.ndjson"
    expect_eq "$input: a clean run" "$(rc_of "all-$input")" 0
    total=$(wc -l < "$WORK/all-$input.out")
    for order in first last; do
        name=$input-full-$order
        rm -f healthy.ndjson
        if [ $order = first ]; then
            tw "$name" replay -o file:/dev/full -o file:healthy.ndjson "$input.ndjson"
        else
            tw "$name" replay -o file:healthy.ndjson -o file:/dev/full "$input.ndjson"
        fi
        expect_eq "$name: exit status" "$(rc_of "$name")" 1
        check "$name: the failure is named with its reason, once" \
            test "$(grep -c -F 'output file:/dev/full: ' "$WORK/$name.err")" = 1
        check "$name: ... and it says what the other output holds" \
            grep -q -F 'No space left on device; stopping (the other outputs hold every finding up to this one)' "$WORK/$name.err"
        got=$(wc -l < healthy.ndjson)
        if [ $input = one ]; then
            expect_eq "$name: the healthy output holds the finding (failure at the final flush)" "$got" "$total"
        else
            check "$name: the healthy output holds findings up to the failure ($got of $total)" \
                test "$got" -ge 20 -a "$got" -lt "$total"
        fi
        check "$name: ...the first $got lines of a run without /dev/full, in order" \
            cmp -s healthy.ndjson <(head -n "$got" "$WORK/all-$input.out")
    done
done

# configuration errors: exit 2, nothing read, no stats
: > empty-grants.json
tw stats-config replay --stats --grants empty-grants.json one.ndjson
expect_eq "--stats with an empty --grants: exit status" "$(rc_of stats-config)" 2
check "--stats with an empty --grants: no stats printed" \
    test "$(grep -c -F 'trailwarden stats' "$WORK/stats-config.err")" = 0

bad_option() { # NAME EXPECTED_MESSAGE ARGS...
    local name=$1 msg=$2
    shift 2
    tw "$name" replay "$@" one.ndjson
    expect_eq "$name: exit status" "$(rc_of "$name")" 2
    check "$name: says '$msg'" grep -q -F -- "$msg" "$WORK/$name.err"
    expect_eq "$name: nothing written" "$(wc -c < "$WORK/$name.out")" 0
}
for v in 99999999999999999999 18446744073709551615 18446744073709551616 4000000001 0 -1 +5 ' 5' '' 5x; do
    bad_option "max-identities '$v'" "--max-identities needs a number from 1 to 4000000000, not '$v'" \
        --stats --max-identities "$v"
done
for v in 99999999999999999999 -9223372036854775809 0 257 ''; do
    bad_option "-j '$v'" "-j needs a number of threads from 1 to 256, not '$v'" -j "$v"
done
for v in nan inf 1e300d -5m; do
    bad_option "--lateness '$v'" "--lateness needs a duration like 90s, 15m, 24h, not '$v'" --lateness "$v"
done
tw max-identities-top replay --max-identities 4000000000 one.ndjson
expect_eq "--max-identities 4000000000 is taken" "$(rc_of max-identities-top)" 0
same_output "--max-identities 4000000000: the same finding" "$WORK/max-identities-top.out" "$WORK/all-one.out"

grants=$(dirname "$0")/../e2e/grants-stream/records.ndjson
tw route-file route --stats -o file:routed.ndjson "$grants"
expect_eq "route -o file: with grant calls: exit status" "$(rc_of route-file)" 0
expect_eq "route -o file: every record once, no copy" "$(wc -l < routed.ndjson)" "$(wc -l < "$grants")"
expect_eq "route -o file: route.grant_copies" "$(stat_of route-file route.grant_copies)" 0

finish
