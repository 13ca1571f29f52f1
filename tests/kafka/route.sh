#!/usr/bin/env bash
# route.sh TRAILWARDEN BUILD_DIR TW_MOCK_KAFKA KCAT [SCENARIO]: `trailwarden route` against
# librdkafka's mock cluster in a process of its own (tw_mock_kafka), reached over TCP. Each
# scenario is a CTest entry of its own (kafka.route.SCENARIO) with a cluster of its own;
# without SCENARIO all run, one after the other (README.md, "Scenarios"):
#   keyed          a generated trail produced to a RAW topic without keys (spread over 4
#                  partitions), plus {"Records":[...]} bodies, a gzip-compressed
#                  pretty-printed body, EventBridge envelopes, a CloudWatch Logs batch and
#                  poison messages, routed to KEYED (4 partitions) with --exit-at-end: every
#                  record arrives exactly once (the multiset of eventIDs is the input's), each
#                  value is the record's own JSON on one line, each key sits in one partition
#                  and is the record's identity key (DESIGN §3, recomputed with jq, and the
#                  identity of replay's findings for their evidence), the poison is counted
#                  and named with its topic, partition and offset;
#   committed      after that route, a second route in the same group reads nothing (offsets
#                  committed, the poison's too);
#   bodies         the same trail as gzip {"Records":[...]} bodies in time order on a
#                  one-partition RAW, with poison among them, routed to 4 partitions;
#   sigterm        SIGTERM: exit 0 within seconds, what was written is committed, a restart
#                  reads nothing;
#   two_consumers  two `consume` instances in one group on the KEYED topic of `bodies` find,
#                  together, what replay finds (route keeps the order of a RAW partition);
#   files          files and stdin instead of -t load the same records with the same keys as
#                  `keyed` routed from the topic.
# shellcheck disable=SC2317 # scenario_* functions are called by name (kafka_run_scenario)
source "$(dirname "$0")/../scripts/lib.bash"
source "$(dirname "$0")/lib.sh"

SCENARIOS=(keyed committed bodies sigterm two_consumers files)
kafka_scenario "$@"
kafka_test_args "${@:1:4}"

# The identity key of DESIGN §3, independently of trailwarden: the session issuer's role or
# user (path dropped), root, an assumed-role ARN's role, an IAM user or role ARN (path
# dropped), any other ARN, an IAM user by name, invokedBy, principalId, the type.
IKEY='
def seg: split("/") | last;
def iam($p; $a; $t; $n): "arn:\($p):iam::\($a):\($t)\($n)";
.userIdentity as $u
| ($u.sessionContext.sessionIssuer.arn // "") as $iss
| ($u.arn // "") as $arn
| if ($iss | test("^arn:[^:]*:iam::[^:]*:(role|user)/")) then
      ($iss | capture("^arn:(?<p>[^:]*):iam::(?<a>[^:]*):(?<t>role|user)/(?<n>.*)$"))
      | iam(.p; .a; .t + "/"; .n | seg)
  elif ($iss | test("^arn:[^:]*:iam::[^:]*:root$")) then
      ($iss | capture("^arn:(?<p>[^:]*):iam::(?<a>[^:]*):root$")) | iam(.p; .a; "root"; "")
  elif $u.type == "AWSService" and ($u.invokedBy // "") != "" then
      ((.recipientAccountId // $u.accountId // "") as $acct
       | $u.invokedBy + (if $acct != "" then "@" + $acct else "" end))
  elif $u.type == "Root" then
      iam(($arn | capture("^arn:(?<p>[^:]*):").p? // "aws");
          ($u.accountId // ($arn | capture("^arn:[^:]*:[^:]*:[^:]*:(?<a>[^:]*):").a?)
           // .recipientAccountId); "root"; "")
  elif ($arn | test("^arn:[^:]*:sts::[^:]*:assumed-role/")) then
      ($arn | capture("^arn:(?<p>[^:]*):sts::(?<a>[^:]*):assumed-role/(?<r>[^/]*)")) | iam(.p; .a; "role/"; .r)
  elif ($arn | test("^arn:[^:]*:iam::[^:]*:(role|user)/")) then
      ($arn | capture("^arn:(?<p>[^:]*):iam::(?<a>[^:]*):(?<t>role|user)/(?<n>.*)$"))
      | iam(.p; .a; .t + "/"; .n | seg)
  elif ($arn | startswith("arn:")) then $arn
  elif $u.type == "IAMUser" and ($u.userName // "") != ""
       and (($u.accountId // .recipientAccountId // "") != "") then
      iam("aws"; $u.accountId // .recipientAccountId; "user/"; $u.userName)
  elif $arn != "" then $arn
  else ($u.invokedBy // $u.principalId // $u.type // "unknown")
  end'

# A trail small enough for the mock's ~5 MB a partition (4.4 MB over RAW's 4 and KEYED's 4),
# in event-time order as a CloudTrail to Kafka pipeline delivers it; and what replay finds.
"$TW" gen -n 2500 --identities 50 --scenario all -q -o gen.ndjson || exit 2
jq -c -s 'sort_by(.eventTime)[]' gen.ndjson > trail.ndjson
total=$(wc -l < trail.ndjson)
tw replay replay -f compact trail.ndjson
check "replay finds something to compare" test "$(wc -l < replay.out)" -gt 5
strip() { jq -c 'select((.update // false) == false) | del(.processed_time)' "$1" | sort; }
strip replay.out > want.txt

# The trail cut into the shapes a RAW topic carries: one record a message for most of it,
# then 4 {"Records":[...]} bodies of 50, one gzip-compressed pretty-printed body of 40, 5
# EventBridge envelopes, one CloudWatch Logs batch of 5, and the rest one a message again.
n_single=$((total - 300))
head -n "$n_single" trail.ndjson > singles.ndjson
sed -n "$((n_single + 1)),$((n_single + 200))p" trail.ndjson |
    jq -c -s '_nwise(50) | {Records: .}' > bodies.ndjson
sed -n "$((n_single + 201)),$((n_single + 240))p" trail.ndjson | jq -s '{Records: .}' | gzip > body.json.gz
sed -n "$((n_single + 241)),$((n_single + 245))p" trail.ndjson |
    jq -c '{version: "0", id: "e", "detail-type": "AWS API Call via CloudTrail",
            source: "aws.cloudtrail", account: .recipientAccountId, detail: .}' > eventbridge.ndjson
sed -n "$((n_single + 246)),$((n_single + 250))p" trail.ndjson |
    jq -c -s '{messageType: "DATA_MESSAGE", owner: "1", logGroup: "trail", logStream: "s",
               logEvents: [to_entries[] | {id: (.key | tostring), timestamp: 0, message: (.value | tojson)}]}' \
    > cwl.ndjson
tail -n +"$((n_single + 251))" trail.ndjson > tail.ndjson
{
    echo 'this is not JSON'
    echo '{"eventTime": 42, "eventName": ["x"], "userIdentity": "nobody"}'
} > poison.txt
n_messages=$((n_single + 4 + 1 + 5 + 1 + $(wc -l < tail.ndjson) + 2))

# A cluster with RAW and KEYED (more topics come with kafka_cmd), and the command lines.
cluster() {
    kafka_start --brokers 3 raw:4 keyed:4 || exit 2
    BS=$KAFKA_BOOTSTRAP
    ROUTE=(route -b "$BS" -X session.timeout.ms=6000 -X heartbeat.interval.ms=500
           -X auto.commit.interval.ms=200)
    CONSUME=(consume -b "$BS" -f compact -X session.timeout.ms=6000
             -X heartbeat.interval.ms=500 -X auto.commit.interval.ms=200)
}

# RAW: keyless, spread over its partitions
fill_raw() {
    kafka_produce raw singles.ndjson || exit 2
    kafka_produce raw bodies.ndjson || exit 2
    # a file argument makes kcat produce the whole file as one message (binary: gzip)
    "$KAFKA_KCAT" -P -b "$BS" -t raw body.json.gz || exit 2
    kafka_produce raw eventbridge.ndjson || exit 2
    kafka_produce raw cwl.ndjson || exit 2
    kafka_produce raw poison.txt || exit 2
    kafka_produce raw tail.ndjson || exit 2
    expect_eq "RAW holds every message" "$(kafka_count raw)" "$n_messages"
    check "RAW is spread over its 4 partitions" test "$(kafka_partition_counts raw | wc -l)" -eq 4
}

# KEYED's messages (key TAB partition TAB value) without route's copies of grant calls (no key,
# one in every partition: docs/consume.md), which copies_of checks
keyed_records() { # TOPIC
    KAFKA_FORMAT='%k\t%p\t%s\n' kafka_consume_all "$1" 60 > "$WORK/all.tsv"
    awk -F'\t' '$1 != ""' "$WORK/all.tsv"
}

# copies_of CALLS PARTITIONS: all.tsv (keyed_records) holds each grant call copied once in each
# partition, nothing else keyless
copies_of() {
    awk -F'\t' '$1 == ""' "$WORK/all.tsv" > "$WORK/copies.tsv"
    expect_eq "KEYED: the copies of grant calls (route.grant_copies $1 x $2 partitions)" \
        "$(wc -l < "$WORK/copies.tsv")" "$(($1 * $2))"
    expect_eq "KEYED: each copy is an IAM call" \
        "$(cut -f3- "$WORK/copies.tsv" | jq -r .eventSource | grep -c -v -x iam.amazonaws.com)" 0
    if [ "$1" -gt 0 ]; then
        expect_eq "KEYED: the copies are in every partition" \
            "$(cut -f2 "$WORK/copies.tsv" | sort -u | wc -l)" "$2"
    fi
}

# RAW routed to KEYED (group r1)
route_raw() {
    tw route1 "${ROUTE[@]}" -t raw -G r1 -o kafka:keyed --exit-at-end --stats
}

scenario_keyed() {
    cluster
    fill_raw
    route_raw
    expect_eq "route exits 0 at the end" "$(rc_of route1)" 0
    expect_eq "route read every message" "$(stat_of route1 route.messages)" "$n_messages"
    expect_eq "route wrote every record" "$(stat_of route1 route.written)" "$total"
    expect_eq "route counted the poison" "$(stat_of route1 route.rejected)" 2
    check "the poison is named with topic, partition and offset" \
        grep -Eq 'route: raw\[[0-3]\] offset [0-9]+: line 1: not JSON' "$WORK/route1.err"
    check "the wrong types are named too" \
        grep -Eq 'route: raw\[[0-3]\] offset [0-9]+: line 1: .*wrong JSON type' "$WORK/route1.err"

    keyed_records keyed > keyed.tsv
    expect_eq "KEYED: one message a record" "$(wc -l < keyed.tsv)" "$total"
    copies_of "$(stat_of route1 route.grant_copies)" 4
    check "some grant calls were copied" test "$(stat_of route1 route.grant_copies)" -gt 0
    check "KEYED: spread over several partitions" test "$(cut -f2 keyed.tsv | sort -u | wc -l)" -ge 2
    check "KEYED: nothing dropped by the mock" \
        awk '$3 != 0 { exit 1 }' <(kafka_partition_counts keyed)
    cut -f3- keyed.tsv > keyed_values.ndjson
    jq -r '.eventID' trail.ndjson | sort > want_ids.txt
    jq -r '.eventID' keyed_values.ndjson | sort > got_ids.txt
    same_output "KEYED: the multiset of eventIDs is the input's (each record exactly once)" \
        got_ids.txt want_ids.txt
    jq -c -S . trail.ndjson | sort > want_recs.txt
    jq -c -S . keyed_values.ndjson | sort > got_recs.txt
    same_output "KEYED: each value is the record itself" got_recs.txt want_recs.txt
    check "KEYED: each key sits in exactly one partition" \
        awk -F'\t' '{ if (($1 in p) && p[$1] != $2) exit 1; p[$1] = $2 }' keyed.tsv
    # the key is the identity key of DESIGN §3
    jq -r "$IKEY" keyed_values.ndjson > want_keys.txt
    cut -f1 keyed.tsv > got_keys.txt
    same_output "KEYED: each key is the record's identity key (DESIGN §3, by jq)" \
        got_keys.txt want_keys.txt
    check "KEYED: identities are keys" test "$(sort -u got_keys.txt | wc -l)" -ge 40
    # and the identity replay gives the findings whose evidence the record is
    jq -r '.identity as $i | .evidence[] | "\(.event_id)\t\($i)"' replay.out | sort -u > evid.tsv
    paste <(jq -r '.eventID' keyed_values.ndjson) got_keys.txt | sort -u > id_key.tsv
    check "KEYED: the key of each evidence record is its finding's identity" \
        test -z "$(join -t $'\t' evid.tsv id_key.tsv | awk -F'\t' '$2 != $3')"
    check "some evidence to compare" test "$(join -t $'\t' evid.tsv id_key.tsv | wc -l)" -gt 5
}

# --- offsets committed: a second route in the group reads nothing ---
scenario_committed() {
    cluster
    fill_raw
    route_raw
    expect_eq "route exits 0 at the end" "$(rc_of route1)" 0
    expect_eq "route wrote every record" "$(stat_of route1 route.written)" "$total"
    tw route2 "${ROUTE[@]}" -t raw -G r1 -o kafka:keyed --exit-at-end --stats
    expect_eq "second route: exit 0" "$(rc_of route2)" 0
    expect_eq "second route reads nothing (the poison's offsets too)" \
        "$(stat_of route2 route.messages)" 0
    expect_eq "KEYED unchanged (the records and the copies of grant calls)" "$(kafka_count keyed)" \
        "$((total + 4 * $(stat_of route1 route.grant_copies)))"
}

# --- 3. two consume instances in one group on KEYED: together, what replay finds ---
# route keeps the order of each RAW partition, not an order across them: from the spread RAW
# above an identity's records reach KEYED interleaved from 4 partitions, and consume applies
# records as they arrive (DESIGN §2), so order-sensitive rules could differ from replay, which
# sorts. A producer that delivers CloudTrail files in time order to one partition, as gzip
# {"Records":[...]} bodies of 50, keeps every identity in order through route.
# rawseq: the trail as gzip {"Records":[...]} bodies of 50, in time order, on one partition,
# the poison in the middle ($n_parts gzip files)
fill_rawseq() {
    local parts half
    split -l 50 -d -a 3 trail.ndjson part.
    for f in part.[0-9][0-9][0-9]; do jq -s '{Records: .}' "$f" | gzip > "$f.json.gz"; done
    parts=(part.[0-9][0-9][0-9].json.gz)
    half=$((${#parts[@]} / 2))
    kafka_cmd "topic rawseq 1" || exit 2
    kafka_cmd "topic keyedseq 4" || exit 2
    "$KAFKA_KCAT" -P -b "$BS" -t rawseq "${parts[@]:0:half}" || exit 2
    kafka_produce rawseq poison.txt || exit 2
    "$KAFKA_KCAT" -P -b "$BS" -t rawseq "${parts[@]:half}" || exit 2
    n_parts=${#parts[@]}
}

# rawseq routed to keyedseq (group r3)
route_seq() {
    tw route3 "${ROUTE[@]}" -t rawseq -G r3 -o kafka:keyedseq --exit-at-end --stats
}

scenario_bodies() {
    cluster
    fill_rawseq
    route_seq
    expect_eq "compressed bodies: route exits 0" "$(rc_of route3)" 0
    expect_eq "compressed bodies: every message read" "$(stat_of route3 route.messages)" \
        "$((n_parts + 2))"
    expect_eq "compressed bodies: every record written" "$(stat_of route3 route.written)" "$total"
    expect_eq "compressed bodies: the poison counted" "$(stat_of route3 route.rejected)" 2
}

scenario_sigterm() {
    local pt n t0 t1 rc
    cluster
    fill_rawseq
    # SIGTERM: stop, flush, commit, leave the group, exit 0; a restart reads nothing twice
    kafka_cmd "topic keyedterm 4" || exit 2
    "$TW" "${ROUTE[@]}" -t rawseq -G r4 -o kafka:keyedterm --stats > term.out 2> term.err &
    pt=$!
    kafka_signals_ready "$pt" # SIGUSR1 asks for --stats below
    for _ in $(seq 1 150); do
        sleep 0.2
        kill -USR1 "$pt" 2>/dev/null
        n=$(grep -a 'route.messages' term.err | tail -n 1 | awk '{print $2}')
        [ "${n:-0}" -ge "$((n_parts + 2))" ] && break
    done
    t0=$(date +%s.%N)
    kill -TERM "$pt"
    wait "$pt"
    rc=$?
    t1=$(date +%s.%N)
    expect_eq "SIGTERM: exit 0" "$rc" 0
    check "SIGTERM: gone within 5 s" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 5) }'
    expect_eq "SIGTERM: every record was written first" \
        "$(grep -a 'route.written' term.err | tail -n 1 | awk '{print $2}')" "$total"
    tw term2 "${ROUTE[@]}" -t rawseq -G r4 -o kafka:keyedterm --exit-at-end --stats
    expect_eq "SIGTERM: the restart reads nothing" "$(stat_of term2 route.messages)" 0
    expect_eq "SIGTERM: KEYED holds each record once (and each grant call's copies)" \
        "$(kafka_count keyedterm)" \
        "$((total + 4 * $(grep -a 'route.grant_copies' term.err | tail -n 1 | awk '{print $2}')))"
}

scenario_two_consumers() {
    local pa pb ra rb want
    cluster
    fill_rawseq
    route_seq
    expect_eq "compressed bodies: route exits 0" "$(rc_of route3)" 0
    "$TW" "${CONSUME[@]}" -t keyedseq -G c1 > twoA.out 2> twoA.err &
    pa=$!
    "$TW" "${CONSUME[@]}" -t keyedseq -G c1 > twoB.out 2> twoB.err &
    pb=$!
    want=$(wc -l < want.txt)
    for _ in $(seq 1 200); do
        [ "$(cat twoA.out twoB.out | wc -l)" -ge "$want" ] && break
        sleep 0.2
    done
    sleep 2
    kill -TERM "$pa" "$pb"
    wait "$pa"; ra=$?
    wait "$pb"; rb=$?
    expect_eq "two consumers: both exit 0" "$ra $rb" "0 0"
    cat twoA.out twoB.out > two.out
    strip two.out > got2.txt
    same_output "two consumers on KEYED: each finding once, the findings of replay" got2.txt want.txt
    check "two consumers: both took part" test -s twoA.out -a -s twoB.out
}

# --- files and stdin instead of -t ---
scenario_files() {
    local n_files
    cluster
    fill_raw
    route_raw
    expect_eq "route exits 0 at the end" "$(rc_of route1)" 0
    # the keys route gave each record from the topic
    keyed_records keyed > keyed.tsv
    expect_eq "KEYED: one message a record" "$(wc -l < keyed.tsv)" "$total"
    paste <(cut -f3- keyed.tsv | jq -r '.eventID') <(cut -f1 keyed.tsv) | sort -u > id_key.tsv
    cat singles.ndjson bodies.ndjson > files1.ndjson
    tw files "${ROUTE[@]}" -o kafka:keyed2 --stats files1.ndjson body.json.gz - < tail.ndjson
    expect_eq "files: exit 0" "$(rc_of files)" 0
    n_files=$((n_single + 240 + $(wc -l < tail.ndjson)))
    expect_eq "files: every record written" "$(stat_of files route.written)" "$n_files"
    KAFKA_FORMAT='%k\t%s\n' kafka_consume keyed2 "$((n_files + 4 * $(stat_of files route.grant_copies)))" 60 |
        awk -F'\t' '$1 != ""' > keyed2.tsv
    paste <(cut -f2- keyed2.tsv | jq -r '.eventID') <(cut -f1 keyed2.tsv) | sort > files_id_key.tsv
    join -t $'\t' files_id_key.tsv id_key.tsv | awk -F'\t' '$2 == $3' > files_agree.tsv
    expect_eq "files: the same keys as from the topic" "$(wc -l < files_agree.tsv)" "$n_files"
    tw badfile "${ROUTE[@]}" -o kafka:keyed2 poison.txt
    expect_eq "files: an input with problems exits 1" "$(rc_of badfile)" 1
}

kafka_run_scenario
