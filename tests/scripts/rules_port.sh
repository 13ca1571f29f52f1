#!/usr/bin/env bash
# rules_port.sh BINARY BUILD_DIR: the two built-in detections written as rules
# (tests/rules_port/ports.yml: a baseline_then_trigger and a temporal correlation) give the
# same findings as the built-ins (same identity, same time) on every e2e case of the
# built-ins and on a generated trail with both scenarios and their near-misses. This pins the
# correlation engine to the hand-written detectors, before the rules replace them.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/lib.bash"
PORTS=$ROOT/tests/rules_port/ports.yml

compare() { # NAME INPUT...
    local name=$1
    shift
    "$TW" replay -f compact -r "$PORTS" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
    local rc=$?
    check "$name: replay ran (exit 0 or 1)" test "$rc" -le 1
    jq -r '[.rule, .identity, .time] | @tsv' "$WORK/$name.out" > "$WORK/$name.tsv"
    grep -v -- $'-rule\t' "$WORK/$name.tsv" | sed $'s/^\\([a-z-]*\\)\t/\\1-rule\t/' | sort > "$WORK/$name.builtin"
    grep -- $'-rule\t' "$WORK/$name.tsv" | sort > "$WORK/$name.rule"
    if cmp -s "$WORK/$name.builtin" "$WORK/$name.rule"; then
        pass "$name: $(wc -l < "$WORK/$name.rule") findings, the same from the rules"
    else
        fail "$name: the rules differ from the built-ins"
        diff "$WORK/$name.builtin" "$WORK/$name.rule" | sed 's/^/    /'
    fi
}

for dir in "$ROOT"/tests/e2e/r2d-* "$ROOT"/tests/e2e/tt-*; do
    inputs=()
    for f in "$dir"/*.ndjson; do
        case $(basename "$f") in expected*) ;; *) inputs+=("$f") ;; esac
    done
    compare "$(basename "$dir")" "${inputs[@]}"
done

"$TW" gen -q -n 30000 --identities 300 --span 48h --scenario all -o "$WORK/trail.ndjson"
compare generated-trail "$WORK/trail.ndjson"
expect_eq "generated trail: both scenarios found" \
    "$(cut -f1 "$WORK/generated-trail.rule" | sort -u | tr '\n' ' ')" \
    "agent-read-to-destructive-rule training-telemetry-combined-rule "
finish
