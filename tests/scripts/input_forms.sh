#!/usr/bin/env bash
# input_forms.sh BINARY BUILD_DIR: the same CloudTrail records in every input form replay accepts
# (DESIGN §6: recognised by content; envelopes unwrapped) give byte-identical findings.
#
# The records are data/trail.ndjson (88 records, 8 identities, 7 findings with the shipped rules, four of them at the same
# second). The compressed and wrapped forms are made here, at test time, from that file: no binary
# file is committed.
source "$(dirname "$0")/lib.bash"

src=$DATA/trail.ndjson
n_records=$(wc -l < "$src")
f=$WORK/forms
mkdir -p "$f"

# 1. NDJSON, the reference
tw base replay -f compact --stats "$src"
expect_eq "NDJSON: exit status" "$(rc_of base)" 0
expect_eq "NDJSON: every record an event" "$(stat_of base ingest.events)" "$n_records"
expect_eq "NDJSON: findings" "$(wc -l < "$WORK/base.out")" 7
check "NDJSON: the seven findings expected" test "$(jq -r '[.rule, .identity, .time] | @tsv' "$WORK/base.out" | sort | tr '\t' ' ')" == \
"agent-read-to-destructive arn:aws:iam::111122223333:role/research-agent 2026-09-01T04:00:00Z
agent-read-to-destructive arn:aws:iam::111122223333:role/triage-agent 2026-09-01T14:00:00Z
agent-read-to-destructive arn:aws:iam::111122223333:user/ci-deployer 2026-09-01T04:00:00Z
model-customization arn:aws:iam::111122223333:role/ml-ops-agent 2026-09-01T03:00:00Z
model-customization arn:aws:iam::111122223333:role/support-tuner 2026-09-01T03:00:00Z
training-telemetry-combined arn:aws:iam::111122223333:role/ml-ops-agent 2026-09-01T04:00:00Z
training-telemetry-combined arn:aws:iam::111122223333:role/support-tuner 2026-09-01T04:00:00Z"
tw base_ocsf replay -f ocsf "$src"

# Each form: a name and the path(s) to give replay. Every form is run in compact and OCSF format and
# must match the NDJSON run byte for byte.
forms=()

# 2. zstd-compressed NDJSON (recognised by magic, whatever the name)
zstd -q -19 -o "$f/trail.ndjson.zst" "$src"
forms+=("zstd-ndjson:$f/trail.ndjson.zst")
cp "$f/trail.ndjson.zst" "$f/trail-zstd.log"
forms+=("zstd-ndjson-misnamed:$f/trail-zstd.log")

# 3. gzip NDJSON
gzip -n -c "$src" > "$f/trail.ndjson.gz"
forms+=("gzip-ndjson:$f/trail.ndjson.gz")

# 4. the S3 delivery layout: a tree of gzip'd {"Records":[...]} files, given as the top folder
day=$f/s3/AWSLogs/111122223333/CloudTrail/us-east-1/2026/09/01
mkdir -p "$day"
jq -c -s '{Records: .}' "$src" | gzip -n > "$day/111122223333_CloudTrail_us-east-1_20260901T0000Z_abcd.json.gz"
forms+=("s3-layout-gzip-records:$f/s3")

# 5. the same tree split into two delivery files (records 1-44 and 45-88)
day2=$f/s3split/AWSLogs/111122223333/CloudTrail/us-east-1/2026/09/01
mkdir -p "$day2"
head -n 44 "$src" | jq -c -s '{Records: .}' | gzip -n > "$day2/111122223333_CloudTrail_us-east-1_20260901T0305Z_Q8vZ0RkXoB1mT2aQ.json.gz"
tail -n +45 "$src" | jq -c -s '{Records: .}' | gzip -n > "$day2/111122223333_CloudTrail_us-east-1_20260901T0350Z_h3WcN5yE7sP0dL4k.json.gz"
forms+=("s3-layout-two-files:$f/s3split")

# 6. {"Records":[...]} uncompressed, pretty-printed (as 'aws s3 cp' then 'jq .' leaves it)
jq -s '{Records: .}' "$src" > "$f/records-pretty.json"
forms+=("records-pretty:$f/records-pretty.json")

# 7. a pretty-printed JSON array of records
jq -s . "$src" > "$f/array-pretty.json"
forms+=("array-pretty:$f/array-pretty.json")

# 8. EventBridge events ("AWS API Call via CloudTrail"), one envelope a line
jq -c '{version: "0", id: .eventID, "detail-type": "AWS API Call via CloudTrail",
        source: ("aws." + (.eventSource | split(".")[0])), account: .recipientAccountId,
        time: .eventTime, region: .awsRegion, resources: [], detail: .}' "$src" > "$f/eventbridge.ndjson"
forms+=("eventbridge:$f/eventbridge.ndjson")

# 9. a CloudWatch Logs subscription batch: each record a JSON string in logEvents[].message
jq -c -s '{messageType: "DATA_MESSAGE", owner: "111122223333",
           logGroup: "aws-cloudtrail-logs-111122223333-1a2b3c4d",
           logStream: "111122223333_CloudTrail_us-east-1", subscriptionFilters: ["trailwarden"],
           logEvents: [to_entries[] | {id: ("3923814867215847862746281236591234567890123456789012" + (.key | tostring)),
                                       timestamp: ((.value.eventTime | fromdateiso8601) * 1000),
                                       message: (.value | tojson)}]}' "$src" > "$f/cwlogs.json"
forms+=("cloudwatch-logs:$f/cwlogs.json")
# ... and gzip'd, as a subscription delivers it
gzip -n -c "$f/cwlogs.json" > "$f/cwlogs.json.gz"
forms+=("cloudwatch-logs-gzip:$f/cwlogs.json.gz")

# 10. NDJSON with CRLF line ends
sed 's/$/\r/' "$src" > "$f/crlf.ndjson"
forms+=("ndjson-crlf:$f/crlf.ndjson")

for form in "${forms[@]}"; do
    name=${form%%:*}
    path=${form#*:}
    tw "$name" replay -f compact --stats "$path"
    expect_eq "$name: exit status" "$(rc_of "$name")" 0
    expect_eq "$name: events" "$(stat_of "$name" ingest.events)" "$n_records"
    same_output "$name: compact findings identical to NDJSON" "$WORK/base.out" "$WORK/$name.out"
    tw "$name-ocsf" replay -f ocsf "$path"
    same_output "$name: OCSF findings identical to NDJSON" "$WORK/base_ocsf.out" "$WORK/$name-ocsf.out"
done

# 11. standard input, plain and compressed ('-' is stdin; content decides the format)
tw stdin replay -f compact - < "$src"
expect_eq "stdin: exit status" "$(rc_of stdin)" 0
same_output "stdin: findings identical to NDJSON" "$WORK/base.out" "$WORK/stdin.out"
tw stdin-gzip-records replay -f compact - < "$day/111122223333_CloudTrail_us-east-1_20260901T0000Z_abcd.json.gz"
expect_eq "stdin gzip Records: exit status" "$(rc_of stdin-gzip-records)" 0
same_output "stdin gzip Records: findings identical to NDJSON" "$WORK/base.out" "$WORK/stdin-gzip-records.out"
tw stdin-zstd-pipe replay -f compact - < <(cat "$f/trail.ndjson.zst") # a pipe, not a file
expect_eq "stdin zstd pipe: exit status" "$(rc_of stdin-zstd-pipe)" 0
same_output "stdin zstd pipe: findings identical to NDJSON" "$WORK/base.out" "$WORK/stdin-zstd-pipe.out"

# 12. -o file:PATH writes what stdout would get
tw tofile replay -f compact -o "file:$WORK/findings.ndjson" "$src"
expect_eq "-o file: exit status" "$(rc_of tofile)" 0
same_output "-o file: file identical to stdout findings" "$WORK/base.out" "$WORK/findings.ndjson"
expect_eq "-o file: nothing on stdout" "$(wc -c < "$WORK/tofile.out")" 0

finish
