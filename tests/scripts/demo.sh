#!/usr/bin/env bash
# demo.sh BINARY BUILD_DIR: scripts/demo.sh on a small trail (--binary, so no install and no
# build; --records 2000 --identities 50, which still holds every scenario and near-miss):
#   - it ends with the findings by rule and severity, the counts those of its findings file,
#     then the injected drifts, each found by its rule, and the near-misses, each quiet;
#   - the findings go to a file: the terminal shows at most five, never a finding's JSON;
#   - --keep DIR keeps the trail, the findings, the --stats and gen's summary in DIR; without
#     it, its temporary directory is gone at exit; a --keep DIR that is not empty is refused;
#   - a drift the replay does not find is named MISSED and the demo exits 1 (a replay that
#     runs one unrelated rule, through a wrapper binary).
source "$(dirname "$0")/lib.bash"

[ -x scripts/demo.sh ] || { echo "run from the repository root" >&2; exit 2; }
demo() { # NAME ARGS...: scripts/demo.sh's stdout, stderr and status as tw's
    local name=$1
    shift
    TMPDIR=$WORK/tmp scripts/demo.sh --binary "$TW" --records 2000 --identities 50 "$@" \
        > "$WORK/$name.out" 2> "$WORK/$name.err"
    echo $? > "$WORK/$name.rc"
}
mkdir -p "$WORK/tmp"

# --- kept
demo kept --keep "$WORK/kept"
expect_eq "demo: exit status" "$(rc_of kept)" 0
[ "$(rc_of kept)" -eq 0 ] || sed 's/^/    /' "$WORK/kept.err" | head -20
K=$WORK/kept
check "--keep: the trail in CloudTrail's layout" test -d "$K/trail/AWSLogs"
check "--keep: the findings, one JSON object a line" jq_true "$K/findings.ndjson" 'has("rule") and has("severity")'
check "--keep: the --stats" grep -q '^  ingest.events ' "$K/stats.txt"
check "--keep: gen's summary" grep -q '^  scenario read-to-destructive: ' "$K/gen.log"
expect_eq "--keep: nothing left in TMPDIR" "$(ls -A "$WORK/tmp")" ""

out=$WORK/kept.out
# the summary: a row per severity and rule, with the counts of the file (updates apart)
sed -n '/^== findings by rule and severity/,/^$/p' "$out" |
    awk '/^  (Critical|High|Medium|Low|Informational) / { print $1, $2, $3 }' | sort > "$WORK/rows.shown"
jq -r 'select(.update != true) | "\(.severity) \(.rule)"' "$K/findings.ndjson" | sort | uniq -c |
    awk '{ print $2, $1, $3 }' | sort > "$WORK/rows.want"
check "summary: rows" test -s "$WORK/rows.shown"
same_output "summary: a row per severity and rule, the file's counts" "$WORK/rows.want" "$WORK/rows.shown"
check "summary: the updates counted apart" grep -q -E '^  High +1  training-telemetry-combined \(\+1 update\)$' "$out"
check "summary: after the findings shown, before the drifts" bash -c "
    grep -n -E '^== ' '$out' | cut -d: -f2- | grep -o -E '^== [a-z]+ [a-z]+' | tr '\n' '|' |
    grep -q -F '== the first|== findings by|== the injected|'"
# the injected drifts, as trailwarden gen names them, and the near-misses
check "drift: read-to-destructive found" grep -q -E '^  found   read-to-destructive: agent-read-to-destructive, High at [0-9T:Z-]+, by arn:aws:iam::[0-9]+:role/infra-cleanup-agent$' "$out"
check "drift: training-telemetry found" grep -q -E '^  found   training-telemetry: training-telemetry-combined, High at [0-9T:Z-]+, by arn:aws:iam::[0-9]+:role/service-role/support-bot-finetune-pipeline$' "$out"
expect_eq "near-misses: each identity quiet" "$(grep -c -E '^  quiet   near-miss ' "$out")" 5
check "nothing missed or fired" bash -c "! grep -q -E '^  (MISSED|FIRED) ' '$out'"
# the terminal: a few findings, no JSON
check "terminal: no finding's JSON" bash -c "! grep -q -F '{\"time\"' '$out'"
shown=$(sed -n '/^== the first findings/,/^$/p' "$out" | grep -c -E '^  [0-9]{4}-')
check "terminal: at most five findings shown ($shown)" test "$shown" -ge 1 -a "$shown" -le 5
check "terminal: says where all of them are" grep -q -F "$K/findings.ndjson" "$out"
check "terminal: says what was kept" grep -q -F "kept in $K" "$out"

# --- not kept: the temporary directory goes
demo gone
expect_eq "without --keep: exit status" "$(rc_of gone)" 0
expect_eq "without --keep: nothing left in TMPDIR" "$(ls -A "$WORK/tmp")" ""
check "without --keep: says how to keep" grep -q -F -- "--keep DIR" "$WORK/gone.out"

# --- --keep into a directory that holds something: refused, left alone
mkdir -p "$WORK/full"
echo precious > "$WORK/full/notes.txt"
demo full --keep "$WORK/full"
expect_eq "--keep a non-empty DIR: exit status" "$(rc_of full)" 2
expect_eq "--keep a non-empty DIR: left alone" "$(ls -A "$WORK/full")" "notes.txt"
demo bad_arg --bogus
expect_eq "unknown argument: exit status" "$(rc_of bad_arg)" 2

# --- a drift not found: named, exit 1 (the replay runs one unrelated rule)
cat > "$WORK/one-rule-tw" << EOF
#!/usr/bin/env bash
if [ "\$1" = replay ]; then
    shift
    exec "$TW" replay --no-default-rules -r "$PWD/tests/unit/rules/good/logging_tampered.yml" "\$@"
fi
exec "$TW" "\$@"
EOF
chmod +x "$WORK/one-rule-tw"
TMPDIR=$WORK/tmp scripts/demo.sh --binary "$WORK/one-rule-tw" --records 2000 --identities 50 \
    > "$WORK/missed.out" 2> "$WORK/missed.err"
expect_eq "a drift missed: exit status" "$?" 1
expect_eq "a drift missed: both named" "$(grep -c -E '^  MISSED  ' "$WORK/missed.out")" 2
check "a drift missed: said on stderr" grep -q "injected drift(s) missed" "$WORK/missed.err"

finish
