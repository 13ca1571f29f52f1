#!/usr/bin/env bash
# bad_input.sh BINARY BUILD_DIR: broken input never crashes replay and never hides the good input
# (DESIGN §6: exit 1, every other input still processed, each problem named on stderr once with
# file and offset or line; a malformed record is skipped and counted, never fatal).
#
# Each case puts one bad file next to data/agent-reads-then-deletes.ndjson (11 records, one known
# finding) and checks:
#   - exit status exactly 1, no signal, no sanitizer report;
#   - each expected problem on exactly one stderr line of the form
#       trailwarden: FILE: line N: MESSAGE [REASON]    or    trailwarden: FILE: offset N: ...
#     at the expected line (offsets are not pinned: they depend on compression), and no other
#     line about FILE or about the good file;
#   - the good file's finding, unchanged (same uid);
#   - --stats: ingest.events (good records of the bad file still count), ingest.rejected.REASON
#     (record-level problems) or ingest.input_problems.REASON (truncated, empty, unreadable
#     inputs), ingest.inputs_with_problems 1, and ingest.records == events + skipped + rejected.
# Then the bad file alone: exit status 1, no crash, no sanitizer report.
# The bad files are made here, at test time, from data/etl-noise.ndjson (40 records of a role that
# never triggers anything, a day before the good file's records).
source "$(dirname "$0")/lib.bash"

good_src=$DATA/agent-reads-then-deletes.ndjson
noise=$DATA/etl-noise.ndjson
GOOD_UID=8dbd9579057488f554a006ba61bad6a8
cd "$WORK" || exit 2
cp "$good_src" good.ndjson

# bad_case NAME FILE EVENTS_FROM_BAD_FILE RECORD_LEVEL(yes|no) SPEC...
#   SPEC: "line N|REASON" or "offset|REASON" (REASON may be a|b for either)
bad_case() {
    local name=$1 file=$2 bad_events=$3 record_level=$4
    shift 4
    local err=$WORK/$name.err
    tw "$name" replay -f compact --stats "$file" good.ndjson
    expect_eq "$name: exit status" "$(rc_of "$name")" 1

    local spec loc reason n=0 total=0
    declare -A want_rej=()
    for spec in "$@"; do
        loc=${spec%%|*}
        reason=${spec#*|}
        local re_loc
        case $loc in
        offset) re_loc='offset [0-9]+' ;;
        line*) re_loc=$loc ;;
        *) echo "bad spec $spec" >&2; exit 2 ;;
        esac
        n=$(grep -c -E "^trailwarden: $(printf '%s' "$file" | sed 's/[.[\*^$]/\\&/g'): $re_loc: .+ \[($reason)\]\$" "$err")
        expect_eq "$name: '$loc ... [$reason]' named once on stderr" "$n" 1
        total=$((total + 1))
        want_rej[$reason]=$((${want_rej[$reason]:-0} + 1))
    done
    expect_eq "$name: stderr lines about $file" "$(grep -c -F "trailwarden: $file: " "$err")" "$total"
    expect_eq "$name: stderr lines about good.ndjson" "$(grep -c -F "good.ndjson" "$err")" 0

    expect_eq "$name: findings" "$(wc -l < "$WORK/$name.out")" 1
    expect_eq "$name: the good file's finding" "$(jq -r .uid "$WORK/$name.out" 2> /dev/null)" "$GOOD_UID"

    local events rejected records skipped
    events=$(stat_of "$name" ingest.events)
    expect_eq "$name: ingest.events (11 good + $bad_events from $file)" "$events" $((11 + bad_events))
    expect_eq "$name: ingest.inputs_with_problems" "$(stat_of "$name" ingest.inputs_with_problems)" 1
    # record-level problems are rejected records; whole-input ones (truncated, empty,
    # unreadable) are counted apart, as they are no record
    local counter=ingest.rejected want_rejected=$total
    if [ "$record_level" = no ]; then
        counter=ingest.input_problems
        want_rejected=0
    fi
    rejected=$(stat_of "$name" ingest.rejected)
    expect_eq "$name: ingest.rejected" "$rejected" "$want_rejected"
    for r in "${!want_rej[@]}"; do # r is a reason, or reasons a|b of which the sum counts
        local sum=0 alt
        for alt in ${r//|/ }; do
            sum=$((sum + $(stat_of "$name" "$counter.$alt" | grep . || echo 0)))
        done
        expect_eq "$name: $counter.$r" "$sum" "${want_rej[$r]}"
    done
    records=$(stat_of "$name" ingest.records)
    skipped=$(stat_of "$name" ingest.skipped)
    expect_eq "$name: records = events + skipped + rejected" "$records" $((events + skipped + rejected))

    tw "$name-alone" replay -f compact -q "$file"
    expect_eq "$name alone: exit status" "$(rc_of "$name-alone")" 1
}

# 1. truncated gzip: the stream cut in the middle. Every complete line before the cut is a record.
gzip -n -c "$noise" > noise.gz
size=$(wc -c < noise.gz)
head -c $((size / 2)) noise.gz > truncated.ndjson.gz
complete=$(gzip -dc truncated.ndjson.gz 2> /dev/null | wc -l)
bad_case truncated-gzip truncated.ndjson.gz "$complete" no "offset|truncated"

# 2. corrupt zstd frame: 16 bytes in the middle of the frame inverted. The frame is one block, so
# nothing of it can be trusted; the content checksum tells.
zstd -q -c "$noise" > noise.zst
python3 - noise.zst corrupt.ndjson.zst <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
m = len(b) // 2
for i in range(m, m + 16):
    b[i] ^= 0xFF
open(sys.argv[2], "wb").write(b)
EOF
bad_case corrupt-zstd corrupt.ndjson.zst 0 no "offset|truncated"

# 3. non-JSON lines among good lines: a log line (starts like a number) at line 6 and an HTML error
# page at line 21. Both are "not JSON"; the 40 good lines still count.
{
    head -n 5 "$noise"
    echo '2026-08-30T03:05:00Z INFO export-trail: uploading batch 17 to s3://acme-trail-archive'
    sed -n '6,19p' "$noise"
    echo '<html><head><title>503 Service Unavailable</title></head><body>Slow Down</body></html>'
    tail -n +20 "$noise"
} > with-garbage.ndjson
bad_case not-json-lines with-garbage.ndjson 40 yes "line 6|not_json" "line 21|not_json"

# 4. fields of the wrong type: eventTime a number (line 3), userIdentity a string (line 7)
head -n 10 "$noise" | awk 'NR == 3 { sub(/"eventTime":"[^"]*"/, "\"eventTime\":123") }
                          NR == 7 { sub(/"userIdentity":\{[^}]*\{[^}]*\}[^}]*\{[^}]*\}\}\}/, "\"userIdentity\":\"x\"") }
                          { print }' > wrong-type.ndjson
check "wrong-type.ndjson: line 3 holds eventTime 123" test "$(sed -n 3p wrong-type.ndjson | jq -c .eventTime)" = 123
check "wrong-type.ndjson: line 7 holds userIdentity \"x\"" test "$(sed -n 7p wrong-type.ndjson | jq -c .userIdentity)" = '"x"'
bad_case wrong-type wrong-type.ndjson 8 yes "line 3|wrong_type" "line 7|wrong_type"

# 5. a 10 MB record (line 2 of 4): rejected as too large, its neighbours kept
python3 - "$noise" > huge.ndjson <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
r = json.loads(lines[1])
r["requestParameters"]["key"] = "k" * (10 * 1024 * 1024)
print(lines[0])
print(json.dumps(r, separators=(",", ":")))
print(lines[2])
print(lines[3])
EOF
bad_case huge-record huge.ndjson 3 yes "line 2|too_large"

# 6. 100,000 nested arrays on line 2 (a recursive parser would overflow its stack). Either reason
# is right: too deep, or (as an array of records) an element that is not an object.
{
    head -n 1 "$noise"
    python3 -c 'print("[" * 100000 + "]" * 100000)'
    sed -n 2p "$noise"
} > deep.ndjson
bad_case nested-arrays deep.ndjson 2 yes "line 2|too_deep|not_object"

# 6b. the same depth inside a field the rules never read: no crash; whether the record is kept or
# rejected is the parser's choice, but it is counted either way
python3 - "$noise" > deep-field.ndjson <<'EOF'
import json, sys
line = open(sys.argv[1]).readline().rstrip("\n")
print(line.replace('"requestParameters":{', '"requestParameters":{"filter":' + "[" * 100000 + "]" * 100000 + ",", 1))
EOF
tw deep-field replay -f compact --stats deep-field.ndjson good.ndjson
check "deep field: exit status 0 or 1" test "$(rc_of deep-field)" -le 1
expect_eq "deep field: the good file's finding" "$(jq -r .uid "$WORK/deep-field.out" 2> /dev/null)" "$GOOD_UID"
expect_eq "deep field: the record is counted" "$(stat_of deep-field ingest.records)" 12

# 7. invalid UTF-8 (line 2: bytes FF FE inside a string), a raw NUL inside a string (line 3) and a
# raw NUL between two members (line 4); lines 1 and 5 are good
{
    sed -n 1p "$noise"
    sed -n 2p "$noise" | sed 's/etl-run/etl-\xff\xferun/'
    sed -n 3p "$noise" | sed 's/etl-run/etl-\x00run/'
    sed -n 4p "$noise" | sed 's/,"eventTime"/,\x00"eventTime"/'
    sed -n 5p "$noise"
} > bad-bytes.ndjson
expect_eq "bad-bytes.ndjson holds two NUL bytes" "$(tr -cd '\000' < bad-bytes.ndjson | wc -c)" 2
bad_case bad-bytes bad-bytes.ndjson 2 yes "line 2|invalid_utf8" "line 3|control_char" "line 4|not_json"

# 8. an empty file
: > empty.json
bad_case empty-file empty.json 0 no "offset|empty_input"

# 9. {"Records": 5}: a CloudTrail file whose Records is not an array. The message must say which
# field is wrong.
echo '{"Records": 5}' > records-not-array.json
bad_case records-not-array records-not-array.json 0 yes "line 1|wrong_type"
check "records-not-array: the message names Records" grep -q -E '^trailwarden: records-not-array.json: .*Records' "$WORK/records-not-array.err"

# 10. a dangling symlink
ln -s "$WORK/no-such-dir/111122223333_CloudTrail_us-east-1_20260901T0000Z_abcd.json.gz" dangling.json.gz
bad_case dangling-symlink dangling.json.gz 0 no "offset|unreadable"

# 11. a directory holding a mix: the good file, a gzip S3-layout file of 40 good records, a text note,
# an empty file, a truncated gzip and a dangling symlink. Each bad one is named once; the rest count.
mkdir -p mix/AWSLogs/111122223333/CloudTrail/us-east-1/2026/08/30
cp good.ndjson mix/
jq -c -s '{Records: .}' "$noise" | gzip -n > mix/AWSLogs/111122223333/CloudTrail/us-east-1/2026/08/30/111122223333_CloudTrail_us-east-1_20260830T0000Z_k2Jd8sLq0PzX3vBn.json.gz
echo 'exported from s3://acme-trail-archive on 2026-09-02 by alice' > mix/notes.txt
: > mix/empty.json
cp truncated.ndjson.gz mix/AWSLogs/111122223333/CloudTrail/us-east-1/2026/08/30/
ln -s ../gone.json mix/AWSLogs/111122223333/CloudTrail/us-east-1/link.json
tw mix replay -f compact --stats mix
expect_eq "mix: exit status" "$(rc_of mix)" 1
for spec in "mix/notes.txt: line 1: |not_json" "mix/empty.json: offset 0: |empty_input" \
    "mix/AWSLogs/111122223333/CloudTrail/us-east-1/2026/08/30/truncated.ndjson.gz: offset |truncated" \
    "mix/AWSLogs/111122223333/CloudTrail/us-east-1/link.json: offset |unreadable"; do
    prefix=${spec%|*}
    reason=${spec#*|}
    expect_eq "mix: '$prefix...[$reason]' named once" \
        "$(grep -F "trailwarden: $prefix" "$WORK/mix.err" | grep -c -F "[$reason]")" 1
done
expect_eq "mix: problem lines" "$(grep -c '^trailwarden: mix/' "$WORK/mix.err")" 4
expect_eq "mix: inputs" "$(stat_of mix ingest.inputs)" 6
expect_eq "mix: inputs with problems" "$(stat_of mix ingest.inputs_with_problems)" 4
expect_eq "mix: events (11 + 40 + $complete before the cut)" "$(stat_of mix ingest.events)" $((11 + 40 + complete))
expect_eq "mix: the good file's finding" "$(jq -r .uid "$WORK/mix.out" 2> /dev/null)" "$GOOD_UID"

# 12. strings holding escaped control characters, \u0000, quotes, backslashes, DEL and U+2028, in
# every field that reaches a finding (user agent, session name, eventID, source IP, region): the
# output is valid JSON, UTF-8, and gives the same strings back.
jq -c --arg ua $'strands-agents/1.4.0 \x01\x1f\t\n"\\ \x7f \u2028 \u00e9' '
    .userAgent = ($ua + "\u0000end") | .sourceIPAddress = "198.51.100.23\r\n"
    | .userIdentity.arn |= sub("research-agent-7f3a"; "sess\u0000\n\u001b[31m")
    | if .eventName == "DeleteBucket"
      then .eventID = "del-\u0000-\u001b[31m-\"q\"-\\-\u0007" | .awsRegion = "us-east-1\u0000\t"
      else . end' "$good_src" > control-chars.ndjson
for fmt in compact ocsf; do
    tw "ctl-$fmt" replay -f "$fmt" control-chars.ndjson
    expect_eq "control chars ($fmt): exit status" "$(rc_of "ctl-$fmt")" 0
    expect_eq "control chars ($fmt): findings" "$(wc -l < "$WORK/ctl-$fmt.out")" 1
    check "control chars ($fmt): jq parses every line" jq_true "$WORK/ctl-$fmt.out" 'type == "object"' 
    check "control chars ($fmt): output is UTF-8 without raw control bytes" python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
b.decode("utf-8")
assert all(c >= 0x20 for c in b.replace(b"\n", b"")), "raw control byte"' "$WORK/ctl-$fmt.out"
done
del=$(tail -n 1 control-chars.ndjson)
check "control chars (compact): eventID and region round-trip" jq_true "$WORK/ctl-compact.out" \
    '.evidence[-1].event_id == $r.eventID and .region == $r.awsRegion' --argjson r "$del"
check "control chars (ocsf): user agent, session, IP, eventID, region round-trip" jq_true "$WORK/ctl-ocsf.out" \
    '.unmapped.user_agent == $r.userAgent and .actor.session.uid == $r.userIdentity.arn
     and .src_endpoint.ip == $r.sourceIPAddress and .evidences[-1].data.event_id == $r.eventID
     and .cloud.region == $r.awsRegion' --argjson r "$del"

finish
