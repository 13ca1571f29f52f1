#!/usr/bin/env bash
# run_case.sh BINARY CASE_DIR: run one end-to-end case (tests/e2e/<case>/) and judge it.
#
# A case folder holds (tests/e2e/README.md says the same, with examples):
#   README.md        what the case pins and why (required)
#   input file(s)    every other file, in C-locale name order, is passed to replay, except the
#                    files that args names (a rule file, an inventory, an exceptions file)
#   args             optional: the arguments given to replay before the inputs (default:
#                    -f compact). One or more lines, all joined; each line is split on blanks
#                    (no quoting, no globbing), so one argument a line works too; blank lines and
#                    lines starting with # are ignored. An argument that is the name of a file in
#                    the case folder makes that file an argument, not an input.
#   stdin            optional: fed to replay's standard input through a pipe (give - in args);
#                    with it, a case may have no other input file
#   needs            optional: paths (one a line, relative to the case folder) the case reads
#                    from outside the repository, e.g. ../../../../shared/data/...; when one is
#                    missing the case exits 77, which CTest reports as skipped
#   cmd              optional escape hatch for a case that truly needs a shell (several runs
#                    compared, files made on the fly, another subcommand): run with bash in the
#                    case folder, $TW set to the binary; replaces args, stdin and inputs. Say in
#                    its first comment lines why args cannot hold it
#   expected.ndjson  the exact stdout, byte for byte (an empty file pins "no finding")
#   checks           checks on the run's fields and lines (see below); a case needs
#                    expected.ndjson, checks, or both
#   expected_exit    optional, the exit status (default 0)
#   expected_stderr  optional, lines that must each appear in stderr (grep -F)
#
# checks: one check a line; blank lines and lines starting with # are ignored.
#   lines N             stdout has exactly N lines
#   stat KEY N          the --stats line KEY has value N (args must hold --stats)
#   jq FILTER           jq -s FILTER over stdout (an array of the output lines) prints true
#   stderr TEXT         TEXT appears in stderr (grep -F)
#   stderr_count N TEXT TEXT appears on exactly N lines of stderr
#   same_with ARGS...   replay again with ARGS added after args (e.g. -j2 where args holds
#                       -j1: the last one wins): stdout and the exit status are the same
#                       (not for cmd cases)
#
# The run always fails on a signal, a sanitizer report, or an input problem printed on stderr by
# a run that was expected to exit 0. The runner runs from the case folder, so file names in
# messages are the bare names.
#
# Regenerating: with TW_E2E_REGEN=1 in the environment, a case that has expected.ndjson gets
# this run's stdout written into it (the other checks still run), e.g. after a deliberate change
# of the finding format:
#   TW_E2E_REGEN=1 ctest --preset release -L e2e
# then read `git diff tests/e2e` finding by finding before committing: a regenerated file pins
# whatever the binary did, right or wrong.
set -u

die() { printf 'run_case: %s\n' "$*" >&2; exit 2; }

[ $# -eq 2 ] || die "usage: run_case.sh BINARY CASE_DIR"
bin=$1
dir=$2
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
[ -x "$bin" ] || die "binary '$bin' is not executable"
[ -d "$dir" ] || die "case folder '$dir' does not exist"
cd "$dir" || die "cannot enter '$dir'"
name=$(basename "$PWD")

[ -f README.md ] || die "$name: README.md is missing (say what the case pins and why)"
[ -s README.md ] || die "$name: README.md is empty"
if [ ! -f expected.ndjson ] && [ ! -f checks ]; then
    die "$name: neither expected.ndjson nor checks: a case must be able to fail"
fi
for f in expected*; do
    case $f in
    'expected*' | expected.ndjson | expected_exit | expected_stderr) ;;
    *) die "$name: unknown expectation file '$f' (expected.ndjson, expected_exit, expected_stderr)" ;;
    esac
done

if [ -f needs ]; then
    while IFS= read -r need || [ -n "$need" ]; do
        need=${need%$'\r'}
        [[ $need =~ ^[[:space:]]*(#|$) ]] && continue
        if [ ! -e "$need" ]; then
            echo "SKIPPED $name: needs $need, which is not here (see CONTRIBUTING.md, the shared data)"
            exit 77
        fi
    done < needs
fi

want_exit=0
if [ -f expected_exit ]; then
    want_exit=$(tr -d ' \t\n' < expected_exit)
    [[ $want_exit =~ ^[0-9]+$ ]] || die "$name: expected_exit must hold a number, not '$want_exit'"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tw-e2e.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
out=$tmp/stdout
err=$tmp/stderr

# ASan's default exit status (1) would look like "some input problem": make it distinct.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1"

# run_replay OUT ERR [EXTRA...]: replay with args, EXTRA, the inputs, and stdin; sets rc
run_replay() {
    local o=$1 e=$2
    shift 2
    if [ -f stdin ]; then
        cat stdin | "$bin" replay "${args[@]}" "$@" "${inputs[@]}" > "$o" 2> "$e"
        rc=${PIPESTATUS[1]}
    else
        "$bin" replay "${args[@]}" "$@" "${inputs[@]}" > "$o" 2> "$e"
        rc=$?
    fi
}

if [ -f cmd ]; then
    for f in args stdin; do
        [ -f $f ] && die "$name: both cmd and $f: put the arguments in cmd"
    done
    shown="TW=$bin bash cmd   (in $PWD)"
    TW=$bin bash cmd > "$out" 2> "$err"
    rc=$?
else
    args=(-f compact)
    if [ -f args ]; then
        args=()
        while IFS= read -r line || [ -n "$line" ]; do
            line=${line%$'\r'}
            [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
            read -r -a words <<< "$line"
            args+=("${words[@]}")
        done < args
        [ ${#args[@]} -gt 0 ] || die "$name: args holds no argument (remove it for the default)"
    fi
    inputs=()
    while IFS= read -r -d '' f; do
        f=${f#./}
        case $f in
        README.md | expected* | args | checks | cmd | stdin | needs) continue ;;
        esac
        for a in "${args[@]}"; do
            [ "$a" = "$f" ] && continue 2
        done
        inputs+=("$f")
    done < <(find . -mindepth 1 -maxdepth 1 \( -type f -o -type l -o -type d \) -print0 | LC_ALL=C sort -z)
    [ ${#inputs[@]} -gt 0 ] || [ -f stdin ] || die "$name: no input files"
    shown="$bin replay ${args[*]} ${inputs[*]}"
    [ -f stdin ] && shown="cat stdin | $shown"
    shown="$shown   (in $PWD)"
    run_replay "$out" "$err"
fi

fails=0
fail() {
    printf 'FAIL %s: %s\n' "$name" "$*"
    fails=$((fails + 1))
}

if [ $rc -ge 128 ] && [ $rc -ne 255 ]; then
    fail "killed by signal $((rc - 128)) (exit status $rc)"
fi
if grep -q -E 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|SUMMARY: [A-Za-z]+Sanitizer' "$err"; then
    fail "sanitizer report on stderr"
fi
if [ "$rc" -ne "$want_exit" ]; then
    fail "exit status $rc, expected $want_exit"
fi
if [ "$want_exit" -eq 0 ] && grep -q -E '^trailwarden: .*(line|offset) [0-9]+' "$err"; then
    fail "an input problem was reported, but the case expects a clean run"
fi

if [ -f expected.ndjson ] && [ "${TW_E2E_REGEN:-}" = 1 ]; then
    cp "$out" expected.ndjson
fi
if [ -f expected.ndjson ]; then
    if ! cmp -s expected.ndjson "$out"; then
        fail "stdout differs from expected.ndjson (- expected, + actual):"
        diff -u --label expected.ndjson --label stdout expected.ndjson "$out" | sed 's/^/    /'
        if [ -s "$out" ] && [ "$(tail -c1 "$out" | od -An -c | tr -d ' ')" != '\n' ]; then
            echo "    (stdout does not end with a newline)"
        fi
        # one finding is one long line: show the difference field by field too
        if jq -e . expected.ndjson > /dev/null 2>&1 && jq -e . "$out" > /dev/null 2>&1; then
            echo "    the same, pretty-printed with sorted keys:"
            diff -u --label expected.ndjson --label stdout <(jq -S . expected.ndjson) <(jq -S . "$out") \
                | sed 's/^/    /'
        fi
    fi
fi

if [ -f expected_stderr ]; then
    while IFS= read -r line || [ -n "$line" ]; do
        [ -z "$line" ] && continue
        grep -q -F -- "$line" "$err" || fail "stderr lacks: $line"
    done < expected_stderr
fi

stat_value() { # KEY -> value of the --stats line, or nothing
    awk -v k="$1" '$1 == k && NF == 2 { print $2; exit }' "$err"
}

if [ -f checks ]; then
    n_checks=0
    lineno=0
    while IFS= read -r line || [ -n "$line" ]; do
        lineno=$((lineno + 1))
        line=${line%$'\r'}
        [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
        n_checks=$((n_checks + 1))
        read -r verb rest <<< "$line"
        case $verb in
        lines)
            [[ $rest =~ ^[0-9]+$ ]] || die "$name: checks:$lineno: 'lines N' needs a number"
            got=$(wc -l < "$out")
            [ "$got" -eq "$rest" ] || fail "checks:$lineno: stdout has $got lines, expected $rest"
            ;;
        stat)
            read -r key val extra <<< "$rest"
            [ -n "$key" ] && [[ $val =~ ^[0-9]+$ ]] && [ -z "${extra:-}" ] \
                || die "$name: checks:$lineno: 'stat KEY N' needs a key and a number"
            got=$(stat_value "$key")
            if [ -z "$got" ]; then
                fail "checks:$lineno: no stats line '$key' on stderr (is --stats in args?)"
            elif [ "$got" != "$val" ]; then
                fail "checks:$lineno: $key is $got, expected $val"
            fi
            ;;
        jq)
            [ -n "$rest" ] || die "$name: checks:$lineno: 'jq FILTER' needs a filter"
            if ! got=$(jq -s -c "$rest" "$out" 2>&1); then
                fail "checks:$lineno: jq failed on stdout: $got"
            elif [ "$got" != true ]; then
                fail "checks:$lineno: jq -s '$rest' gave $got, expected true"
            fi
            ;;
        stderr)
            [ -n "$rest" ] || die "$name: checks:$lineno: 'stderr TEXT' needs a text"
            grep -q -F -- "$rest" "$err" || fail "checks:$lineno: stderr lacks: $rest"
            ;;
        stderr_count)
            read -r cnt text <<< "$rest"
            [[ $cnt =~ ^[0-9]+$ ]] && [ -n "$text" ] \
                || die "$name: checks:$lineno: 'stderr_count N TEXT' needs a number and a text"
            got=$(grep -c -F -- "$text" "$err")
            [ "$got" -eq "$cnt" ] || fail "checks:$lineno: '$text' on $got stderr lines, expected $cnt"
            ;;
        same_with)
            [ -n "$rest" ] || die "$name: checks:$lineno: 'same_with ARGS' needs arguments"
            [ -f cmd ] && die "$name: checks:$lineno: same_with reruns args, and this case has cmd"
            read -r -a extra <<< "$rest"
            rc0=$rc
            run_replay "$tmp/stdout.again" "$tmp/stderr.again" "${extra[@]}"
            if [ "$rc" -ne "$rc0" ]; then
                fail "checks:$lineno: with $rest: exit status $rc, the first run's was $rc0"
            fi
            if grep -q -E 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|SUMMARY: [A-Za-z]+Sanitizer' \
                "$tmp/stderr.again"; then
                fail "checks:$lineno: with $rest: sanitizer report on stderr"
                sed 's/^/    /' "$tmp/stderr.again" | head -c 4000
            fi
            if ! cmp -s "$out" "$tmp/stdout.again"; then
                fail "checks:$lineno: with $rest: stdout differs (- first run, + with $rest):"
                diff -u --label first --label "with $rest" "$out" "$tmp/stdout.again" | sed 's/^/    /' | head -n 60
            fi
            rc=$rc0
            ;;
        *)
            die "$name: checks:$lineno: unknown check '$verb' (lines, stat, jq, stderr, stderr_count, same_with)"
            ;;
        esac
    done < checks
    [ $n_checks -gt 0 ] || die "$name: checks holds no check"
fi

if [ $fails -gt 0 ]; then
    echo "command: $shown"
    echo "exit status: $rc"
    echo "--- stdout ($(wc -l < "$out") lines) ---"
    head -c 4000 "$out"
    echo "--- stderr ---"
    head -c 4000 "$err"
    exit 1
fi
echo "ok $name"
exit 0
