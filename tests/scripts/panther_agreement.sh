#!/usr/bin/env bash
# panther_agreement.sh BINARY BUILD_DIR: a peer's test suite (issue 3). The labelled CloudTrail
# tests of panther-analysis (../shared/data/panther-analysis/cloudtrail_rule_tests.ndjson) of every
# Panther rule that one of our rules covers (tests/panther/mapping.tsv) go through
# `replay -f compact -r rules/sigma/<our id>.yml`; a test "alerts" when our rule raised a finding
# whose evidence is its log. The verdict is compared with Panther's expected_result.
#
# One replay per rule of ours: each mapped test's log gets a unique eventID (panther-<line>), and
# an eventTime when it has none (counted and said), so findings map back to tests.
# Prints a table (per Panther rule: tests, agreements, disagreements) and the agreement rate.
# Fails when a disagreement is not listed in tests/panther/known_disagreements.tsv, or when a listed
# one now agrees (the list stays honest), or when a mapped rule has no test or a log is rejected.
source "$(dirname "$0")/lib.bash"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PANTHER=$ROOT/tests/panther
TESTS=$(cd "$ROOT/.." && pwd)/shared/data/panther-analysis/cloudtrail_rule_tests.ndjson
need_shared "$TESTS"
command -v jq > /dev/null || { fail "jq is not installed"; finish; }

# mapping.tsv: panther rule id, our rule id, note (# comments and blank lines skipped).
map_json=$(awk -F'\t' '!/^#/ && NF >= 2 { printf "%s\t%s\n", $1, $2 }' "$PANTHER/mapping.tsv" |
    jq -R -s -c 'split("\n") | map(select(length > 0) | split("\t") | {(.[0]): .[1]}) | add // {}')
mapfile -t ours < <(jq -r '[.[]] | unique | .[]' <<< "$map_json")
mapfile -t mapped < <(jq -r 'keys[]' <<< "$map_json")
for r in "${ours[@]}"; do
    check "rule $r of mapping.tsv exists" test -f "$ROOT/rules/sigma/$r.yml"
done

# Placeholder time for logs without eventTime (18 of the file's logs lack one).
NOTIME=2026-01-01T00:00:00Z
# meta: line, panther rule, our rule, expected (true/false), eventTime added (1/0), test name,
# lowercase keys (1/0: the data README's 11 logs tagged with a note; replay rejects them, having
# no eventName, which is right for CloudTrail)
jq -r -c --argjson m "$map_json" 'select($m[.rule_id] != null)
    | [input_line_number, .rule_id, $m[.rule_id], (.expected_result | tostring),
       (if (.log | has("eventTime")) then 0 else 1 end), .test_name,
       (if has("note") then 1 else 0 end)] | @tsv' "$TESTS" > "$WORK/meta.tsv"
for r in "${ours[@]}"; do
    jq -c --argjson m "$map_json" --arg r "$r" --arg t "$NOTIME" 'select($m[.rule_id] == $r)
        | .log + {eventID: ("panther-\(input_line_number)")}
        | if has("eventTime") then . else . + {eventTime: $t} end' "$TESTS" > "$WORK/in-$r.ndjson"
done
for p in "${mapped[@]}"; do
    check "Panther rule $p has tests" grep -q -P "^\\d+\\t\\Q$p\\E\\t" "$WORK/meta.tsv"
done

: > "$WORK/alerted"
cd "$ROOT" || exit 2
for r in "${ours[@]}"; do
    tw "run-$r" replay -f compact --stats -r "rules/sigma/$r.yml" "$WORK/in-$r.ndjson"
    rc=$(rc_of "run-$r")
    check "replay for $r: exit status $rc is 0 or 1" test "$rc" -le 1
    rejected=$(stat_of "run-$r" ingest.rejected)
    lower=$(awk -F'\t' -v r="$r" '$3 == r && $7 == 1' "$WORK/meta.tsv" | wc -l)
    expect_eq "replay for $r: rejected logs are the lowercase-key ones" "${rejected:-missing}" "$lower"
    jq -r --arg r "$r" 'select(.rule == $r) | .evidence[].event_id' "$WORK/run-$r.out" |
        sed -n 's/^panther-//p' >> "$WORK/alerted"
done
sort -u -o "$WORK/alerted" "$WORK/alerted"

# Verdicts: line, panther rule, test name, expected, got, agree
known=$PANTHER/known_disagreements.tsv
[ -f "$known" ] || : > "$WORK/known-empty"
awk -F'\t' -v OFS='\t' 'FNR == NR { alerted[$1] = 1; next }
    { got = ($1 in alerted) ? "true" : "false"; print $2, $6, $4, got, (got == $4) ? "agree" : "DISAGREE", $5 }' \
    "$WORK/alerted" "$WORK/meta.tsv" > "$WORK/verdicts.tsv"

printf '\n%-50s %-28s %5s %6s %9s\n' 'Panther rule' 'our rule' tests agree disagree
for p in "${mapped[@]}"; do
    r=$(jq -r --arg p "$p" '.[$p]' <<< "$map_json")
    awk -F'\t' -v p="$p" -v r="$r" '$1 == p { n++; if ($5 == "agree") a++ }
        END { printf "%-50s %-28s %5d %6d %9d\n", p, r, n, a, n - a }' "$WORK/verdicts.tsv"
done
total=$(wc -l < "$WORK/verdicts.tsv")
agree=$(awk -F'\t' '$5 == "agree"' "$WORK/verdicts.tsv" | wc -l)
notime=$(awk -F'\t' '$6 == 1' "$WORK/verdicts.tsv" | wc -l)
printf '%-50s %-28s %5d %6d %9d\n' TOTAL '' "$total" "$agree" $((total - agree))
lower=$(awk -F'\t' '$7 == 1' "$WORK/meta.tsv" | wc -l)
echo "logs given the placeholder eventTime $NOTIME (they had none): $notime"
echo "logs with lowercase keys (not CloudTrail; replay rejects them, so no alert): $lower"
if [ "$total" -gt 0 ]; then
    rate=$(awk -v a="$agree" -v t="$total" 'BEGIN { printf "%.1f", 100 * a / t }')
    echo "agreement rate: $agree/$total = $rate% (issue 3 target: 95%)"
fi
# A second figure, labelled as such: without the logs with lowercase keys (the label noise the
# data README itself lists; real CloudTrail never produces them). Agreeing or not, all of them are
# left out; no other exclusion.
# verdicts.tsv has one line per line of meta.tsv, in the same order.
paste <(cut -f7 "$WORK/meta.tsv") <(cut -f5 "$WORK/verdicts.tsv") > "$WORK/lower-verdict.tsv"
ltotal=$(awk -F'\t' '$1 == 0' "$WORK/lower-verdict.tsv" | wc -l)
lagree=$(awk -F'\t' '$1 == 0 && $2 == "agree"' "$WORK/lower-verdict.tsv" | wc -l)
if [ "$ltotal" -gt 0 ]; then
    lrate=$(awk -v a="$lagree" -v t="$ltotal" 'BEGIN { printf "%.1f", 100 * a / t }')
    echo "without the $lower lowercase-key logs (data README's label noise; not the headline): $lagree/$ltotal = $lrate%"
fi

echo
echo 'disagreements (panther rule, test, expected, ours):'
awk -F'\t' -v OFS='\t' '$5 == "DISAGREE" { print "  " $1, $2, "expected " $3, "got " $4 }' "$WORK/verdicts.tsv"

# The known list: panther rule, test name, reason (# comments skipped).
awk -F'\t' -v OFS='\t' '!/^#/ && NF >= 3 { print $1, $2 }' "${known}" 2> /dev/null | sort > "$WORK/known"
awk -F'\t' -v OFS='\t' '$5 == "DISAGREE" { print $1, $2 }' "$WORK/verdicts.tsv" | sort > "$WORK/disagree"
awk -F'\t' -v OFS='\t' '{ print $1, $2 }' "$WORK/verdicts.tsv" | sort > "$WORK/all"
while IFS=$'\t' read -r p t; do
    fail "disagreement not in known_disagreements.tsv: $p / $t"
done < <(comm -23 "$WORK/disagree" "$WORK/known")
while IFS=$'\t' read -r p t; do
    if grep -q -F -x "$p"$'\t'"$t" "$WORK/all"; then
        fail "known disagreement now agrees (remove it from known_disagreements.tsv): $p / $t"
    else
        fail "known disagreement names no mapped test: $p / $t"
    fi
done < <(comm -13 "$WORK/disagree" "$WORK/known")
check "every disagreement is a known one, and every known one still disagrees" \
    cmp -s "$WORK/disagree" "$WORK/known"
finish
