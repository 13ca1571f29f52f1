#!/usr/bin/env bash
# rules_check.sh BINARY BUILD_DIR: `trailwarden rules check` (DESIGN §6) from the command line.
#   - the good rules (tests/unit/rules/good): exit 0, the one-line summary on stdout, nothing
#     on stderr; `rules list` prints one line a rule;
#   - a valid rule that can never match a CloudTrail record: exit 0 and a warning on stderr;
#   - each broken fixture (tests/unit/rules/bad/NAME.yml): exit 1 and, on stderr, exactly the
#     'file:line: message' lines of NAME.expect, then one summary line;
#   - the shipped rules (no PATH): valid, and every rule id of the issue is listed, then the
#     grant tracker's findings (type grant);
#   - usage errors (--no-default-rules and no PATH, a PATH that does not exist, unknown option
#     or command): exit 2;
#   - files that are no rules at all (text, empty, binary, over 1 MiB, nested 100,000 deep,
#     a CloudTrail file) and a 1 MB rule that is valid: a clear message, no crash, no
#     sanitizer report, in well under a second each.
source "$(dirname "$0")/lib.bash"

RULES=tests/unit/rules
[ -d "$RULES/good" ] || { echo "run from the repository root" >&2; exit 2; }

# --- the good rules
tw good rules check --no-default-rules "$RULES/good"
expect_eq "good: exit status" "$(rc_of good)" 0
expect_eq "good: summary" "$(cat "$WORK/good.out")" "13 rules in 5 files: ok"
expect_eq "good: nothing on stderr" "$(wc -c < "$WORK/good.err")" 0

tw good_files rules check --no-default-rules "$RULES/good/logging_tampered.yml" "$RULES/good/modifiers.yaml"
expect_eq "two files: summary" "$(cat "$WORK/good_files.out")" "2 rules in 2 files: ok"

tw list rules list --no-default-rules "$RULES/good"
expect_eq "list: exit status" "$(rc_of list)" 0
expect_eq "list: one line a rule" "$(wc -l < "$WORK/list.out")" 13
expect_eq "list: id, type, level, title, file:line, author" \
    "$(grep -P '^agent-read-to-destructive\t' "$WORK/list.out")" \
    "$(printf 'agent-read-to-destructive\tbaseline_then_trigger\thigh\tAgent reads, then destroys\t%s\t-' \
        "$RULES/good/read_to_destructive.yml:13")"
expect_eq "list: the author from the rule's author:" \
    "$(grep -P '^logging-tampered\t' "$WORK/list.out" | cut -f5,6)" \
    "$(printf '%s\ttrailwarden' "$RULES/good/logging_tampered.yml:1")"
# an author or title over several lines, or with a tab, stays on its line and in its column
cat > "$WORK/author.yml" <<'YML'
title: "Two\tcells?"
id: multi-line-author
author: |
  Jane Doe
  John Roe
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: StopLogging
  condition: sel
YML
tw author_list rules list --no-default-rules "$WORK/author.yml"
expect_eq "list: control bytes become spaces" "$(cat "$WORK/author_list.out")" \
    "$(printf 'multi-line-author\tdetection\tlow\tTwo cells?\t%s\tJane Doe John Roe ' "$WORK/author.yml:1")"
expect_eq "list: a building block has no level" \
    "$(grep -P '^nonhuman-activity\t' "$WORK/list.out" | cut -f3)" "-"

# --- a valid rule that can never match a CloudTrail record: a warning, exit 0 (issue 17)
cat > "$WORK/never.yml" <<'YML'
title: Never
id: never-matches
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventSource: s3.amazonaws.com
    eventName: null
  condition: sel
YML
tw never rules check --no-default-rules "$WORK/never.yml"
expect_eq "never: exit status" "$(rc_of never)" 0
expect_eq "never: summary" "$(cat "$WORK/never.out")" "1 rule in 1 file: ok"
expect_eq "never: the warning" "$(cat "$WORK/never.err")" \
    "$WORK/never.yml:8: warning: rule never-matches can never match a CloudTrail record: 'eventName: null' never holds (every CloudTrail record has this field)"

# --- each broken fixture: exactly its expected diagnostics
for fixture in "$RULES"/bad/*.yml; do
    name=$(basename "$fixture" .yml)
    tw "bad_$name" rules check --no-default-rules "$fixture"
    expect_eq "$name: exit status" "$(rc_of "bad_$name")" 1
    expect_eq "$name: nothing on stdout" "$(wc -c < "$WORK/bad_$name.out")" 0
    head -n -1 "$WORK/bad_$name.err" > "$WORK/bad_$name.diags"
    same_output "$name: the diagnostics of $name.expect" "${fixture%.yml}.expect" "$WORK/bad_$name.diags"
    check "$name: a summary last" grep -q -E '^trailwarden: [0-9]+ problems?; [0-9]+ valid rules? in 1 file$' \
        <(tail -n 1 "$WORK/bad_$name.err")
done

# good and bad together: the problems of the bad ones, exit 1; the good ones still count
tw mixed rules check --no-default-rules "$RULES/good" "$RULES/bad/cycle.yml"
expect_eq "good and bad: exit status" "$(rc_of mixed)" 1
expect_eq "good and bad: summary" "$(tail -n 1 "$WORK/mixed.err")" \
    "trailwarden: 3 problems; 13 valid rules in 6 files"

# --- the shipped rules (embedded): checked and listed without a PATH
tw shipped rules check
expect_eq "shipped: exit status" "$(rc_of shipped)" 0
check "shipped: a summary" grep -q -E '^[0-9]+ rules in [0-9]+ files: ok$' "$WORK/shipped.out"
tw shipped_list rules list
for id in agent-read-to-destructive training-telemetry-combined logging-tampered \
    self-privilege-escalation guardrail-tampered model-customization llm-jacking \
    access-denied-burst privileged-burst agent-new-service credential-minted-for-other \
    role-trust-backdoor admin-policy-attached resource-shared-out dormant-privilege-used; do
    check "shipped: $id is listed with a level" grep -q -P "^\\Q$id\\E\\t[a-z_]+\\t(low|medium|high|critical)\\t" "$WORK/shipped_list.out"
done
# the grant tracker's findings (README: Unused privileged grants) are listed after the rules,
# as built in (type grant) with their level: it runs with the shipped rules, and raises
# dormant-privilege-used (with the rule's level) besides the rule itself
for id in unused-privileged-grant training-telemetry-granted dormant-privilege-used; do
    check "shipped: $id listed as a grant finding" grep -q -P "^\\Q$id\\E\tgrant\tmedium\t\\S" "$WORK/shipped_list.out"
done
expect_eq "shipped: the grant findings last" "$(tail -n 3 "$WORK/shipped_list.out" | cut -f1,2 | tr '\t\n' ': ')" \
    "unused-privileged-grant:grant training-telemetry-granted:grant dormant-privilege-used:grant "
expect_eq "shipped: one line a rule, then the three grant findings" "$(wc -l < "$WORK/shipped_list.out")" \
    "$(($(grep -o -E '^[0-9]+' "$WORK/shipped.out") + 3))"
# dormant-privilege-used tuned with -r: the tracker raises it at the rule's level
sed 's/^level: medium$/level: high/' rules/sigma/dormant-privilege-used.yml > "$WORK/dormant-high.yml"
tw dormant_high rules list "$WORK/dormant-high.yml"
expect_eq "tuned dormant-privilege-used: its grant line at the rule's level" \
    "$(grep -P '^dormant-privilege-used\tgrant\t' "$WORK/dormant_high.out" | cut -f3)" "high"
# without the shipped rules (and rules list has no --grants), no grant tracking: none listed
check "--no-default-rules: no grant finding listed" bash -c "! grep -q -P '\tgrant\t' '$WORK/list.out'"
# a user's rule with a shipped id replaces the shipped one instead of clashing
tw replaced rules check "$RULES/good/logging_tampered.yml"
expect_eq "replaced: exit status" "$(rc_of replaced)" 0
check "replaced: said" grep -q "shipped rule replaced by a rule of the same id or name" "$WORK/replaced.out"

# --- usage errors
tw no_path rules check --no-default-rules
expect_eq "no PATH with --no-default-rules: exit status" "$(rc_of no_path)" 2
check "no PATH with --no-default-rules: says so" grep -q "needs at least one PATH" "$WORK/no_path.err"
tw missing rules check --no-default-rules "$RULES/good" "$RULES/no-such-file.yml"
expect_eq "missing PATH: exit status" "$(rc_of missing)" 2
expect_eq "missing PATH: named" "$(head -n 1 "$WORK/missing.err")" \
    "trailwarden: rules: $RULES/no-such-file.yml: No such file or directory"
tw bad_option rules check --strict "$RULES/good"
expect_eq "unknown option: exit status" "$(rc_of bad_option)" 2
tw bad_command rules verify "$RULES/good"
expect_eq "unknown command: exit status" "$(rc_of bad_command)" 2
tw help rules --help
expect_eq "--help: exit status" "$(rc_of help)" 0
check "--help: names rules check" grep -q "trailwarden rules check \[--no-default-rules\] \[PATH...\]" "$WORK/help.out"

# --- files that are not rules; each gives one clear message and exit 1, never a crash
mkdir -p "$WORK/odd"
cd "$WORK/odd" || exit 2
printf 'just some words, not a rule\n' > text.yml
: > empty.yml
printf '# only a comment\n' > comment.yml
python3 -c 'import random, sys; random.seed(7); sys.stdout.buffer.write(bytes(random.randrange(256) for _ in range(65536)))' > binary.yml
python3 -c 'print("[" * 100000 + "]" * 100000)' > deep_flow.yml
python3 -c 'print("\n".join(" " * i + "k%d:" % i for i in range(200)) + " x")' > deep_block.yml
head -c 1100000 /dev/zero | tr '\0' 'a' > huge.yml
printf '{"Records":[{"eventVersion":"1.08","eventName":"StopLogging"}]}\n' > trail.yml
printf 'title: T\nid: t\n\tlevel: low\n' > tab.yml
python3 - > big.yml << 'EOF'
print("title: A large rule\nid: large\nlevel: low\nlogsource: {product: aws}\ndetection:\n  sel:\n    eventName:")
for i in range(47000):
    print("      - value-%06d" % i)
print("  condition: sel")
EOF

odd() { # NAME EXPECTED-STDERR-FIRST-LINE
    local name=$1 want=$2
    local start=$SECONDS
    tw "odd_$name" rules check --no-default-rules "$name.yml"
    expect_eq "$name: exit status" "$(rc_of "odd_$name")" 1
    expect_eq "$name: message" "$(head -n 1 "$WORK/odd_$name.err")" "$want"
    expect_eq "$name: quick" "$((SECONDS - start < 10))" 1
}
odd text "text.yml:1: a rule must be a map of keys (title, id, level, ...), not a string"
odd empty "empty.yml:1: no rule in this file (it is empty)"
odd comment "comment.yml:1: no rule in this file (it is empty)"
odd binary "binary.yml:1: not a YAML text file: invalid leading UTF-8 octet"
odd deep_flow "deep_flow.yml:1: YAML nested deeper than 32 levels"
odd deep_block "deep_block.yml:33: YAML nested deeper than 32 levels"
odd huge "huge.yml:1: larger than 1024 KiB, the limit for a rule file"
odd trail "trail.yml:1: unknown key 'Records'"
odd tab "tab.yml:3: YAML: found a tab character that violates indentation (while scanning a plain scalar at line 2)"

tw big rules check --no-default-rules big.yml
expect_eq "1 MB rule: exit status" "$(rc_of big)" 0
expect_eq "1 MB rule: summary" "$(cat "$WORK/big.out")" "1 rule in 1 file: ok"

# a directory without rule files; a link back up the tree is not followed twice
mkdir -p none/sub tree/rules
printf 'not a rule file\n' > none/README.md
cp "$OLDPWD/$RULES/good/logging_tampered.yml" tree/rules/
ln -s .. tree/rules/up
ln -s . tree/rules/self
tw none rules check --no-default-rules none
expect_eq "no rule files: exit status" "$(rc_of none)" 1
expect_eq "no rule files: message" "$(head -n 1 "$WORK/none.err")" "none: no rule file (*.yml, *.yaml) in this directory"
tw loop rules check --no-default-rules tree
expect_eq "links in a tree: exit status" "$(rc_of loop)" 0
expect_eq "links in a tree: each file once" "$(cat "$WORK/loop.out")" "1 rule in 1 file: ok"
cd "$OLDPWD" || exit 2

finish
