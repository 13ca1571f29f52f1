#!/usr/bin/env bash
# input_streams.sh BINARY BUILD_DIR: inputs that are not regular files (a named FIFO, a `<(...)`
# process substitution, stdin) are read once, in place, in the order given, and nothing of them
# is lost (issue 13, item 1).
#
# Ordering inputs by time used to read up to 64 KiB of every input whose name carries no time to
# find its first eventTime, and throw it away: a process substitution lost its first records and
# the cut line was reported as "line 1: not JSON"; a named FIFO's writer got SIGPIPE when the
# peek closed it, and replay then waited forever for a writer. Every replay here runs under a
# timeout, so a hang fails the test instead of the suite.
source "$(dirname "$0")/lib.bash"

# A trail larger than the old 64 KiB peek and than one 1 MiB chunk, with findings to compare.
"$TW" gen -q -n 3000 --seed 7 --scenario all -o "$WORK/trail.ndjson" || exit 2
src=$WORK/trail.ndjson
n=$(wc -l < "$src")
half=$((n / 2))
head -n "$half" "$src" > "$WORK/first.ndjson"
tail -n +"$((half + 1))" "$src" > "$WORK/second.ndjson"
cd "$WORK" || exit 2

# tw_timed NAME ARGS...: tw (lib.bash) with a 60 s limit; exit status 124 is a hang.
tw_timed() {
    local name=$1
    shift
    timeout 60 "$TW" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
    echo $? > "$WORK/$name.rc"
}

# problem lines: the ones naming an input and a reason, "trailwarden: PATH: ... [reason]"
problems() { grep -c -E '^trailwarden: .*\[[a-z_]+\]$' "$WORK/$1.err"; }

# every record counted, no problem printed, the findings of the file
judge() { # NAME WHAT
    expect_eq "$2: exit status (124: it hung)" "$(rc_of "$1")" 0
    expect_eq "$2: every record read" "$(stat_of "$1" ingest.records)" "$n"
    expect_eq "$2: no input problem printed" "$(problems "$1")" 0
    same_output "$2: the findings of the file" "$WORK/ref.out" "$WORK/$1.out"
}

tw ref replay -f compact --stats trail.ndjson
expect_eq "reference: exit status" "$(rc_of ref)" 0
expect_eq "reference: every record read" "$(stat_of ref ingest.records)" "$n"
check "reference: some findings to compare" test -s "$WORK/ref.out"

# 1. a process substitution (/dev/fd/N, a pipe)
tw_timed procsub replay -f compact --stats <(cat trail.ndjson)
judge procsub "process substitution"

# 2. a named FIFO with a writer in the background: the writer must not be cut off (SIGPIPE: 141)
# and replay must not wait for a second writer. The writer's open blocks until replay opens the
# FIFO: under timeout too, so a replay that never opens it cannot leave it behind.
mkfifo fifo
timeout 60 bash -c 'cat "$1" > "$2"' _ trail.ndjson fifo &
writer=$!
tw_timed fifo replay -f compact --stats fifo
wait "$writer"
expect_eq "named FIFO: the writer wrote everything (141: SIGPIPE)" "$?" 0
judge fifo "named FIFO"

# 3. a FIFO and a regular file together: the FIFO is read as it comes, the file is placed by
# time (the FIFO goes first, like stdin); nothing of either is lost
mkfifo fifo2
timeout 60 bash -c 'cat "$1" > "$2"' _ first.ndjson fifo2 &
writer=$!
tw_timed mixed replay -f compact --stats second.ndjson fifo2
wait "$writer"
expect_eq "FIFO and file: the writer wrote everything" "$?" 0
judge mixed "FIFO and file"
expect_eq "FIFO and file: two inputs" "$(stat_of mixed ingest.inputs)" 2

# 4. two process substitutions and stdin: streams are read in the order given, each whole
tw_timed streams replay -f compact --stats <(cat first.ndjson) - < second.ndjson
judge streams "stdin and a process substitution"

# 5. a FIFO inside a directory has no writer: reading it would wait forever. It is named and
# skipped (like `grep -r`); the directory's files are read. Named on the command line, it is read.
mkdir -p tree/sub
cp trail.ndjson tree/sub/
mkfifo tree/sub/stray.fifo
tw_timed tree replay -f compact --stats tree
judge tree "a FIFO in a directory"
expect_eq "a FIFO in a directory: named once" \
    "$(grep -c -F 'tree/sub/stray.fifo: not a regular file' "$WORK/tree.err")" 1

finish
