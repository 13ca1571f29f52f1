#!/usr/bin/env bash
# stratus_coverage.sh BINARY BUILD_DIR: docs/coverage.md (issue 3, "Real attack logs") cannot go
# stale, and techniques that deserve no finding get none.
#   - scripts/coverage.sh regenerates the coverage table of the Stratus Red Team detonation logs
#     into a temp file with this BINARY; it must be byte-identical to the committed
#     docs/coverage.md (on a difference: rerun scripts/coverage.sh and review the diff);
#   - every technique of MUST_NOT_FIRE, replayed on its own with every shipped rule, gives no
#     finding at all (e.g. ssm:TerminateSession after a run of reads is not destructive).
source "$(dirname "$0")/lib.bash"

[ -f docs/coverage.md ] && [ -x scripts/coverage.sh ] || { echo "run from the repository root" >&2; exit 2; }
STRATUS=$(cd "$(dirname "$0")/../../.." && pwd)/shared/data/stratus-red-team-detonation-logs
need_shared "$STRATUS"

# Techniques whose logged calls deserve no finding (file names without .json).
MUST_NOT_FIRE=(
    aws.execution.ssm-start-session
)

# --- the committed document is what the script produces now
if STRATUS_DATA=$STRATUS bash scripts/coverage.sh "$TW" "$WORK/coverage.md" > "$WORK/gen.out" 2> "$WORK/gen.err"; then
    pass "scripts/coverage.sh ran"
    same_output "docs/coverage.md is up to date (else rerun scripts/coverage.sh)" docs/coverage.md "$WORK/coverage.md"
else
    fail "scripts/coverage.sh failed:"
    sed 's/^/    /' "$WORK/gen.err" | head -30
fi

# --- pinned: no finding where none is deserved
for tech in "${MUST_NOT_FIRE[@]}"; do
    file=$STRATUS/$tech.json
    if [ ! -f "$file" ]; then
        fail "$tech: no file $file"
        continue
    fi
    tw "quiet_$tech" replay -q -f compact -r rules/sigma "$file"
    expect_eq "$tech: exit status" "$(rc_of "quiet_$tech")" 0
    expect_eq "$tech: no finding (must not fire)" "$(grep -c . "$WORK/quiet_$tech.out")" 0
    expect_eq "$tech: the table expects none" \
        "$(grep -c "^| $tech | [0-9]* | — | none |" docs/coverage.md)" 1
done

finish
