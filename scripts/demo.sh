#!/usr/bin/env bash
# The main job: build trailwarden, generate a trail with injected scope drift, replay it, then
# sum the findings up by rule and severity and show whether the injected drifts were found.
#
#   scripts/demo.sh [--keep DIR] [--records N] [--identities N] [--binary PATH]
#     --keep DIR        keep the trail, the findings and the logs in DIR (new or empty)
#                       instead of a temporary directory deleted on exit
#     --records N       estate records of the trail (default 200000)
#     --identities N    estate identities (default 2000)
#     --binary PATH     run this trailwarden: no package install, no build
#
# Exit status: 0 every injected drift was found and no near-miss fired; 1 otherwise;
# 2 usage error.
set -euo pipefail

usage() { sed -n '5,14s/^# \{0,1\}//p' "$0"; }
keep="" records=200000 identities=2000 binary=""
while [ $# -gt 0 ]; do
  case $1 in
    --keep|--records|--identities|--binary)
      [ $# -ge 2 ] || { echo "demo.sh: $1 needs a value" >&2; exit 2; }
      case $1 in
        --keep) keep=$(realpath -m -- "$2") ;;
        --records) records=$2 ;;
        --identities) identities=$2 ;;
        --binary) binary=$(realpath -m -- "$2") ;;
      esac
      shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "demo.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
if [ -z "$binary" ]; then
  scripts/install-deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release
  binary=$PWD/build/release/trailwarden
fi
tw=$binary
command -v jq >/dev/null || { echo "demo.sh: needs jq (scripts/install-deps.sh installs it)" >&2; exit 2; }

if [ -n "$keep" ]; then
  mkdir -p -- "$keep"
  [ -z "$(ls -A -- "$keep")" ] || { echo "demo.sh: --keep $keep is not empty" >&2; exit 2; }
  work=$keep
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
findings=$work/findings.ndjson

echo "== generating a 24 h trail ($records records, $identities identities, drift injected) in CloudTrail's S3 layout"
"$tw" gen --records "$records" --identities "$identities" --scenario all --format s3 \
  -o "$work/trail" 2> "$work/gen.log"
grep '^trailwarden gen:' "$work/gen.log" | sed 's/^/  /'  # its scenarios: at the end
echo
echo "== trailwarden replay -f compact --stats -o file:$findings $work/trail"
rc=0
"$tw" replay -f compact --stats -o "file:$findings" "$work/trail" 2> "$work/stats.txt" || rc=$?
stat() { awk -v k="$1" '$1 == k && NF == 2 { print $2; exit }' "$work/stats.txt"; }
echo "  $(stat ingest.events) events in $(stat wall_seconds) s ($(stat events_per_second) events/s);" \
  "--stats in $work/stats.txt"
if [ "$rc" -ne 0 ]; then
  echo "demo.sh: replay exited $rc:" >&2
  grep -v -E '^(trailwarden stats|  )' "$work/stats.txt" | head -20 >&2
  exit 1
fi
touch "$findings"

echo
echo "== the first findings above Informational (every one in $findings)"
jq -r -n 'limit(5; inputs | select(.update != true and .severity != "Informational"))
           | "  \(.time)  \(.severity)  \(.rule)  \(.identity)\n      \(.summary)"' "$findings" |
  cut -c1-160

# --- by rule and severity (an update repeats a finding its suppression period held back)
lines=$(wc -l < "$findings")
updates=$(jq -c 'select(.update == true)' "$findings" | wc -l)
echo
echo "== findings by rule and severity: $((lines - updates)) findings (+$updates update$([ "$updates" -eq 1 ] || echo s)) in $findings"
printf '  %-14s %8s  %s\n' severity findings rule
jq -r -s '
  def rank: {"Critical": 0, "High": 1, "Medium": 2, "Low": 3, "Informational": 4}[.] // 5;
  group_by([.severity, .rule])
  | map({ sev: .[0].severity, rule: .[0].rule,
          n: map(select(.update != true)) | length, u: map(select(.update == true)) | length })
  | sort_by([(.sev | rank), -.n, .rule]) | .[] | [.sev, .n, .u, .rule] | @tsv' "$findings" |
  awk -F '\t' '{ printf "  %-14s %8d  %s%s\n", $1, $2, $4, ($3 > 0 ? " (+" $3 " update" ($3 > 1 ? "s" : "") ")" : "") }'
echo "  (Informational: routine work recorded, not alerted, such as model-change records while"
echo "  an identity's past is still being learnt: docs/architecture.md section 5)"

# --- the drifts trail gen injected, and its near-misses, as its summary names them
echo
echo "== the injected drifts and near-misses (trailwarden gen's summary, $work/gen.log)"
missed=0
# "  scenario NAME: ARN[ and ARN] at TIME: what; expect RULE" ("no finding" for a near-miss)
note_re='^  (scenario|near-miss) ([a-z0-9-]+): ([^ ]+)( and ([^ ]+))? at ([0-9T:Z-]+): .*; expect (.+)$'
while IFS= read -r line; do
  [[ $line =~ $note_re ]] || continue
  kind=${BASH_REMATCH[1]} name=${BASH_REMATCH[2]} expect=${BASH_REMATCH[7]}
  idents=("${BASH_REMATCH[3]}")
  [ -n "${BASH_REMATCH[5]}" ] && idents+=("${BASH_REMATCH[5]}")
  for ident in "${idents[@]}"; do
    # a finding names the identity by its key (a role's path left out): match its last name
    short=${ident##*/}
    mine=$(jq -c --arg n "$short" \
      'select(.update != true and (.identity | split("/") | any(.[]; . == $n)))' "$findings")
    if [ "$kind" = scenario ]; then
      hit=$(jq -r -n --arg r "$expect" \
        'limit(1; inputs | select(.rule == $r)) | "\(.severity) at \(.time)"' <<< "$mine")
      if [ -n "$hit" ]; then
        echo "  found   $name: $expect, $hit, by $ident"
      else
        echo "  MISSED  $name: no $expect for $ident"
        missed=$((missed + 1))
      fi
    else
      loud=$(jq -r 'select(.severity != "Informational") | "\(.rule) (\(.severity))"' <<< "$mine" |
        sort -u | paste -s -d, -)
      if [ -z "$loud" ]; then
        echo "  quiet   near-miss $name: nothing above Informational for $ident, as expected"
      else
        echo "  FIRED   near-miss $name: $loud for $ident (expected $expect)"
        missed=$((missed + 1))
      fi
    fi
  done
done < "$work/gen.log"

echo
if [ -n "$keep" ]; then
  echo "kept in $work: trail/, findings.ndjson, stats.txt, gen.log"
else
  echo "the trail and the findings are deleted now (scripts/demo.sh --keep DIR keeps them)"
fi
[ "$missed" -eq 0 ] || { echo "demo.sh: $missed injected drift(s) missed or near-miss(es) fired" >&2; exit 1; }
