#!/usr/bin/env bash
# input_links.sh BINARY BUILD_DIR: symbolic links in the directories replay walks (issue 13,
# item 6). Each directory is walked once (by device and inode), a link back to a directory being
# walked is a loop, named once on stderr and not followed, and a file reached through two paths
# is read once. A loop loses nothing (every file is still read once): exit status 0. A dangling
# link is still an unreadable input (exit 1).
#
# Walking used to follow links with only a depth limit: one link to "." read each file 41 times,
# two such links branched exponentially (still walking after 30 s). Every replay runs under a
# timeout, so a runaway walk fails the test instead of the suite.
source "$(dirname "$0")/lib.bash"

src=$DATA/trail.ndjson # 88 records, 7 findings with the shipped rules
n=$(wc -l < "$src")
cd "$WORK" || exit 2

# tree DIR: the records split into three files, two of them one folder down
tree() {
    mkdir -p "$1/sub"
    sed -n '1,30p' "$src" > "$1/a.json"
    sed -n '31,60p' "$src" > "$1/sub/b.json"
    sed -n "61,${n}p" "$src" > "$1/sub/c.json"
}

# tw_timed NAME ARGS...: tw (lib.bash) with a 60 s limit; exit status 124 is a runaway walk.
tw_timed() {
    local name=$1
    shift
    timeout 60 "$TW" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
    echo $? > "$WORK/$name.rc"
}

loops() { grep -c -F 'directory loop' "$WORK/$1.err"; }

# judge NAME WHAT EXIT: each record once, the findings of the plain tree
judge() {
    expect_eq "$2: exit status (124: still walking)" "$(rc_of "$1")" "$3"
    expect_eq "$2: each record read once" "$(stat_of "$1" ingest.records)" "$n"
    same_output "$2: the findings of the plain tree" "$WORK/plain.out" "$WORK/$1.out"
}

tree plain
tw plain replay -f compact --stats plain
expect_eq "plain tree: exit status" "$(rc_of plain)" 0
expect_eq "plain tree: inputs" "$(stat_of plain ingest.inputs)" 3
expect_eq "plain tree: the seven findings" "$(wc -l < "$WORK/plain.out")" 7

# 1. a link to "."
tree dot
ln -s . dot/self
tw_timed dot replay -f compact --stats dot
judge dot "link to ." 0
expect_eq "link to .: three inputs" "$(stat_of dot ingest.inputs)" 3
expect_eq "link to .: the loop named once" "$(loops dot)" 1
check "link to .: the message names the link and where it leads" \
    grep -q -F 'trailwarden: dot/self: a link back to dot (a directory loop): not followed' "$WORK/dot.err"

# 2. two links to "." (each loop named once; no exponential walk)
tree dots
ln -s . dots/l1
ln -s . dots/sub/l2
ln -s .. dots/sub/l3
tw_timed dots replay -f compact --stats dots
judge dots "three links to . and .." 0
expect_eq "three links: three inputs" "$(stat_of dots ingest.inputs)" 3
expect_eq "three links: each loop named once" "$(loops dots)" 3

# 3. a link to a parent, two levels up
tree up
mkdir -p up/sub/deeper
ln -s ../.. up/sub/deeper/top
tw_timed up replay -f compact --stats up
judge up "link to a parent" 0
expect_eq "link to a parent: named once" "$(loops up)" 1
check "link to a parent: the message names the link and where it leads" \
    grep -q -F 'trailwarden: up/sub/deeper/top: a link back to up (a directory loop): not followed' "$WORK/up.err"

# ... and the same loop from inside: replay given the subfolder follows the link up once and
# meets the subfolder again (the loop)
tw_timed up-inner replay -f compact --stats up/sub
judge up-inner "link to a parent, walked from below" 0
expect_eq "link to a parent, walked from below: named once" "$(loops up-inner)" 1

# 4. a dangling link: still an unreadable input, named once (exit 1); the rest counts
tree dangling
ln -s no-such-file.json dangling/gone.json
tw_timed dangling replay -f compact --stats dangling
judge dangling "dangling link" 1
expect_eq "dangling link: unreadable, named once" \
    "$(grep -c -F 'trailwarden: dangling/gone.json: offset 0: cannot open' "$WORK/dangling.err")" 1
expect_eq "dangling link: no loop" "$(loops dangling)" 0

# 5. links to a file and to a folder of the same tree: read once, silently (not a loop)
tree alias
ln -s a.json alias/a-again.json
ln -s sub alias/sub-again
ln -s ../a.json alias/sub/a-from-below.json
tw_timed alias replay -f compact --stats alias
judge alias "links within the tree" 0
expect_eq "links within the tree: three inputs" "$(stat_of alias ingest.inputs)" 3
expect_eq "links within the tree: nothing printed" "$(wc -l < "$WORK/alias.err")" \
    "$(wc -l < "$WORK/plain.err")"

# ... and a file given twice on the command line, or inside a folder also given
tw_timed twice replay -f compact --stats plain/a.json plain plain/sub/b.json
judge twice "a file given twice" 0
expect_eq "a file given twice: three inputs" "$(stat_of twice ingest.inputs)" 3

# 6. -q keeps stderr quiet about loops; the run is the same
tw_timed quiet replay -q -f compact --stats dot
judge quiet "link to ., -q" 0
expect_eq "link to ., -q: nothing said" "$(loops quiet)" 0

finish
