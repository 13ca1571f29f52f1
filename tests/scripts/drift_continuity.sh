#!/usr/bin/env bash
# drift_continuity.sh BINARY BUILD_DIR: state across replays and learning (DESIGN §5, issue 14).
# One 30-day realistic trail (trailwarden gen --profile realistic, 100 identities, 2 accounts,
# the injected drift included) replayed three ways:
#   - whole;
#   - as two replays with --state-dir: days 0-15, then 15-30. The second gives the same
#     findings as the whole run from day 15 on (baselines, windows, suppression periods,
#     grants, audit destinations and the stream's start carried over), and its checkpoint is
#     replaced by one that restores again;
#   - from day 10 only (a cold start in the middle): no Medium-or-higher finding in its first
#     --learn (7 days) that the whole run does not raise.
# And -j1 against -j2 for the restoring run (the shards of the checkpoint are this run's).
source "$(dirname "$0")/lib.bash"
cd "$WORK" || exit 2

"$TW" gen -q --profile realistic --identities 100 --span 30d --accounts 2 --seed 7 \
    -o trail.ndjson --truth truth.ndjson || exit 2
python3 - <<'PY' || exit 2
first = open("days00-15.ndjson", "w")
second = open("days15-30.ndjson", "w")
late = open("days10-30.ndjson", "w")
for line in open("trail.ndjson"):
    i = line.index('"eventTime":"') + 13
    t = line[i:i + 20]
    (first if t < "2026-09-16T00:00:00Z" else second).write(line)
    if t >= "2026-09-11T00:00:00Z":
        late.write(line)
PY
findings() { jq -c 'select(.update | not)' "$1" | sort; }

tw whole replay -f compact -j2 --stats trail.ndjson
expect_eq "whole: exit status" "$(rc_of whole)" 0
check "whole: the trail raises findings from day 15 on" \
    test "$(jq -c 'select(.time >= "2026-09-16")' "$WORK/whole.out" | wc -l)" -gt 10

tw part1 replay -f compact -j2 --state-dir state days00-15.ndjson
expect_eq "days 0-15: exit status" "$(rc_of part1)" 0
check "days 0-15: a checkpoint written" test -s state/checkpoint
check "days 0-15: no temporary file left" test ! -e state/checkpoint.tmp
cp state/checkpoint part1.ckpt
tw part2 replay -f compact -j2 --state-dir state --stats days15-30.ndjson
expect_eq "days 15-30: exit status" "$(rc_of part2)" 0
jq -c 'select(.time >= "2026-09-16")' "$WORK/whole.out" > whole-15.out
findings whole-15.out > want.txt
findings "$WORK/part2.out" > got.txt
check "days 15-30 after days 0-15: findings to compare ($(wc -l < got.txt))" test -s got.txt
same_output "days 15-30 after days 0-15: the whole run's findings from day 15 on" got.txt want.txt
check "days 15-30: the checkpoint was replaced" bash -c '! cmp -s state/checkpoint part1.ckpt'
# the same restored state with -j1: the identities go to this run's shards
mkdir -p state1 && cp part1.ckpt state1/checkpoint
tw part2j1 replay -f compact -j1 --state-dir state1 days15-30.ndjson
findings "$WORK/part2j1.out" > got1.txt
same_output "days 15-30 restored with -j1: the same findings as with -j2" got1.txt got.txt
# without the state: the second half alone learns from scratch, and drifts held back count
tw cold15 replay -f compact -j2 --stats days15-30.ndjson
check "days 15-30 without the state: it learns (suppressed.learning > 0)" \
    test "$(stat_of cold15 suppressed.learning)" -gt 0
expect_eq "days 15-30 after days 0-15: nothing held back for learning" \
    "$(stat_of part2 suppressed.learning)" 0

tw from10 replay -f compact -j2 days10-30.ndjson
jq -r 'select((.update | not) and (.severity == "High" or .severity == "Medium")
       and .time < "2026-09-18T00:00:00Z") | .uid' "$WORK/from10.out" | sort > from10-learn.uids
jq -r 'select(.update | not) | .uid' "$WORK/whole.out" | sort > whole.uids
expect_eq "from day 10: Medium-or-higher findings of its first 7 days that the whole run lacks" \
    "$(comm -23 from10-learn.uids whole.uids | wc -l)" 0

# a damaged checkpoint stops the start: exit 2, nothing read, the file left as it was
head -c 100 part1.ckpt > cut.ckpt
mkdir -p statecut && cp cut.ckpt statecut/checkpoint
tw cut replay -f compact --state-dir statecut days15-30.ndjson
expect_eq "a checkpoint cut short: exit status" "$(rc_of cut)" 2
check "a checkpoint cut short: named, damaged" \
    grep -q -F "trailwarden: --state-dir statecut/checkpoint: damaged checkpoint" "$WORK/cut.err"
check "a checkpoint cut short: no finding written" test ! -s "$WORK/cut.out"
check "a checkpoint cut short: left as it was" cmp -s cut.ckpt statecut/checkpoint

# a checkpoint of an older layout (TWCKPT03: the router's state was not yet by stream
# detector) is read for what it still means, its state is not: said so, and the run learns
python3 - <<'PY' || exit 2
import struct, zlib
b = open("part1.ckpt", "rb").read()[:-4]
b = b"TWCKPT03" + b[8:]
open("old.ckpt", "wb").write(b + struct.pack("<I", zlib.crc32(b)))
PY
mkdir -p stateold && cp old.ckpt stateold/checkpoint
tw old replay -f compact -j2 --state-dir stateold days15-30.ndjson
expect_eq "an older checkpoint: exit status" "$(rc_of old)" 0
check "an older checkpoint: said so, not restored" \
    grep -q -F "trailwarden: --state-dir stateold/checkpoint: written with other rules or another build" "$WORK/old.err"
findings "$WORK/cold15.out" > cold.txt
findings "$WORK/old.out" > old.txt
same_output "an older checkpoint: the findings of a run without one" old.txt cold.txt
check "an older checkpoint: replaced by this run's" bash -c '! cmp -s stateold/checkpoint old.ckpt'
finish
