# lib.bash: helpers for tests/scripts/*.sh (sourced; not a test itself: CTest takes only *.sh).
#
#   source "$(dirname "$0")/lib.bash"     after which: $TW (binary), $BUILD, $WORK (temp dir),
#                                          $DATA (tests/scripts/data)
#   tw NAME ARGS...        run "$TW ARGS..." (from $PWD); stdout, stderr, status in
#                          $WORK/NAME.out, $WORK/NAME.err, $WORK/NAME.rc; a signal or sanitizer
#                          report is a failure on the spot
#   stat_of NAME KEY       the value of a --stats line of run NAME (empty if absent)
#   check DESCRIPTION CMD...      a check: CMD must succeed
#   expect_eq DESCRIPTION GOT WANT
#   same_output DESCRIPTION FILE_A FILE_B   byte-identical, with a diff when not
#   jq_true FILE FILTER [JQ ARGS...]   every line of FILE parses and FILTER gives true for each
#   finish                 prints the tally and exits 1 if anything failed
#   need_shared PATH       PATH (of ../shared/data) is there, or the test is SKIPPED: exit 77,
#                          CTest's SKIP_RETURN_CODE (a clone without ../shared beside it)
set -u

[ $# -ge 1 ] || { echo "usage: $0 BINARY [BUILD_DIR]" >&2; exit 2; }
TW=$1
BUILD=${2:-}
case $TW in /*) ;; *) TW=$PWD/$TW ;; esac
[ -x "$TW" ] || { echo "$0: binary '$TW' is not executable" >&2; exit 2; }
DATA=$(cd "$(dirname "${BASH_SOURCE[0]}")/data" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tw-script.XXXXXX") || exit 2
if [ -n "${TW_KEEP:-}" ]; then echo "keeping $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
# ASan's default exit status (1) would pass for "some input problem": make it distinct.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export LC_ALL=C

_pass=0
_fail=0

need_shared() {
    if [ ! -e "$1" ]; then
        echo "SKIPPED: $1 not found (../shared/data is not beside this clone)"
        exit 77
    fi
}

fail() {
    printf 'FAIL: %s\n' "$*"
    _fail=$((_fail + 1))
}

pass() {
    printf 'ok: %s\n' "$*"
    _pass=$((_pass + 1))
}

tw() {
    local name=$1
    shift
    "$TW" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
    local rc=$?
    echo "$rc" > "$WORK/$name.rc"
    if [ "$rc" -ge 128 ] && [ "$rc" -ne 255 ]; then
        fail "$name: killed by signal $((rc - 128)): $TW $*"
        sed 's/^/    /' "$WORK/$name.err" | head -40
    fi
    if grep -q -E 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|SUMMARY: [A-Za-z]+Sanitizer' "$WORK/$name.err"; then
        fail "$name: sanitizer report: $TW $*"
        grep -E -A25 'ERROR: |runtime error:' "$WORK/$name.err" | head -40 | sed 's/^/    /'
    fi
    return 0
}

rc_of() { cat "$WORK/$1.rc"; }

stat_of() { # NAME KEY
    awk -v k="$2" '$1 == k && NF == 2 { print $2; exit }' "$WORK/$1.err"
}

check() {
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

expect_eq() { # DESCRIPTION GOT WANT
    if [ "$2" == "$3" ]; then
        pass "$1 ($2)"
    else
        fail "$1: got '$2', expected '$3'"
    fi
}

same_output() { # DESCRIPTION A B
    if cmp -s "$2" "$3"; then
        pass "$1"
    else
        fail "$1: $(basename "$2") and $(basename "$3") differ:"
        diff -u "$2" "$3" | head -30 | cut -c1-300 | sed 's/^/    /'
    fi
}

jq_true() { # FILE FILTER [JQ ARGS...]
    local file=$1 filter=$2
    shift 2
    [ -s "$file" ] || return 1
    [ "$(jq -c "$@" "$filter" "$file" 2> /dev/null | sort -u)" == true ]
}

finish() {
    echo "passed $_pass, failed $_fail"
    [ "$_fail" -eq 0 ]
    exit $?
}
