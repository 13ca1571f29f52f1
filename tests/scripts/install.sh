#!/usr/bin/env bash
# install.sh BINARY BUILD_DIR: `cmake --install` (CMakeLists.txt's install rules) into a staging
# DESTDIR, as a package build does it:
#   - the binary in bin/, runnable (--version);
#   - the shipped rules in share/trailwarden/rules/, the same files as rules/sigma/ (every
#     *.yml and its README.md), valid on their own: `rules check --no-default-rules DIR`
#     gives the same summary as the embedded set's `rules check`;
#   - the docs in share/doc/trailwarden/ in the repository's layout (README.md, docs/*.md,
#     rules/sigma/README.md, CONTRIBUTING.md and LICENSE when there), so README's relative
#     links still lead somewhere;
#   - nothing else: no test, bench or helper program.
source "$(dirname "$0")/lib.bash"

[ -n "$BUILD" ] && [ -f "$BUILD/cmake_install.cmake" ] ||
    { echo "install.sh needs the build directory as its second argument" >&2; exit 2; }
[ -f rules/sigma/README.md ] || { echo "run from the repository root" >&2; exit 2; }

# the embedded set's summary, from the binary under test, before TW names the installed one
tw embedded rules check
check "embedded rules check: a summary" grep -q -E '^[0-9]+ rules in [0-9]+ files: ok$' "$WORK/embedded.out"

STAGE=$WORK/stage
PREFIX=/usr/local
DESTDIR=$STAGE cmake --install "$BUILD" --prefix "$PREFIX" > "$WORK/install.log" 2>&1
rc=$?
expect_eq "cmake --install: exit status" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/    /' "$WORK/install.log" | head -20
ROOT=$STAGE$PREFIX

# --- the binary
check "bin/trailwarden is installed and executable" test -x "$ROOT/bin/trailwarden"
expect_eq "bin/ holds only trailwarden" "$(ls "$ROOT/bin" 2> /dev/null)" "trailwarden"
TW=$ROOT/bin/trailwarden
tw version --version
expect_eq "installed --version: exit status" "$(rc_of version)" 0
check "installed --version: names the program" grep -q -E '^trailwarden [0-9]+\.[0-9]+\.[0-9]+$' "$WORK/version.out"

# --- the shipped rules
RULES_DIR=$ROOT/share/trailwarden/rules
expect_eq "share/trailwarden/rules: the files of rules/sigma" \
    "$(cd "$RULES_DIR" 2> /dev/null && ls | tr '\n' ' ')" \
    "$(cd rules/sigma && ls -- *.yml README.md | LC_ALL=C sort | tr '\n' ' ')"
same=1
for f in rules/sigma/*.yml rules/sigma/README.md; do
    cmp -s "$f" "$RULES_DIR/$(basename "$f")" || { same=0; echo "    differs: $f"; }
done
expect_eq "share/trailwarden/rules: each file as in the source" "$same" 1

tw installed_rules rules check --no-default-rules "$RULES_DIR"
expect_eq "installed rules check: exit status" "$(rc_of installed_rules)" 0
expect_eq "installed rules check: nothing on stderr" "$(wc -c < "$WORK/installed_rules.err")" 0
expect_eq "installed rules check: the embedded set's summary" \
    "$(cat "$WORK/installed_rules.out")" "$(cat "$WORK/embedded.out")"

# --- the docs, in the repository's layout
DOC=$ROOT/share/doc/trailwarden
check "doc: README.md" cmp -s README.md "$DOC/README.md"
check "doc: rules/sigma/README.md" cmp -s rules/sigma/README.md "$DOC/rules/sigma/README.md"
for f in docs/*.md; do
    [ -e "$f" ] || continue
    check "doc: $f" cmp -s "$f" "$DOC/$f"
done
for f in CONTRIBUTING.md LICENSE; do
    [ -e "$f" ] && check "doc: $f" cmp -s "$f" "$DOC/$f"
done

# --- nothing else: every file installed is one of the above
unexpected=$(cd "$STAGE" 2> /dev/null && find . -type f | sed 's|^\./|/|' |
    grep -v -E "^$PREFIX/(bin/trailwarden|share/trailwarden/rules/[^/]+|share/doc/trailwarden/.+\.md|share/doc/trailwarden/LICENSE|share/man/man1/trailwarden\.1(\.gz)?)$")
expect_eq "nothing else installed" "$unexpected" ""

finish
