#!/usr/bin/env bash
# memory_small_files.sh BINARY BUILD_DIR: replay's memory follows the reorder window's events,
# not the number of files they came in (issue 13, item 5).
#
# Each parsed batch used to keep 1,024 event slots and a 256 KiB string arena (about 650 KB)
# for as long as any of its events waited (in the reorder window or a worker's queue), so a
# small file's one or two events held 650 KB: 100,000 one-record files peaked at 2.1 GB, the
# same records as one NDJSON file at 53 MB. Here 20,000 records, once as one NDJSON file and
# once as 20,000 one-record files, are replayed with --lateness 1h (about 830 events in the
# window): the files' peak RSS must stay within 48 MiB of the single file's, and the findings
# must be the same. Peak RSS is meaningless under a sanitizer: there only the findings and
# counts are checked.
source "$(dirname "$0")/lib.bash"

"$TW" gen -q -n 20000 --seed 3 --scenario all -o "$WORK/trail.ndjson" || exit 2
n=$(wc -l < "$WORK/trail.ndjson")
mkdir -p "$WORK/files"
# one record a file, 1,000 files a folder; names without a time: placed by their record's time
(cd "$WORK/files" && awk '{
    d = sprintf("%03d", int((NR - 1) / 1000))
    if (d != last) { system("mkdir -p " d); last = d }
    f = sprintf("%s/%06d.json", d, NR - 1)
    print > f
    close(f)
}' "$WORK/trail.ndjson")
expect_eq "one file a record" "$(find "$WORK/files" -type f | wc -l)" "$n"

# peak NAME ARGS...: runs replay like tw (lib.bash) and prints its peak RSS in KiB (getrusage of
# the child: GNU time is not needed)
peak() {
    local name=$1
    shift
    python3 - "$WORK/$name" "$TW" "$@" <<'EOF'
import resource, subprocess, sys
out = sys.argv[1]
with open(out + ".out", "wb") as o, open(out + ".err", "wb") as e:
    rc = subprocess.run(sys.argv[2:], stdout=o, stderr=e).returncode
open(out + ".rc", "w").write("%d\n" % (rc if rc >= 0 else 128 - rc))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
EOF
}

one=$(peak one replay -j2 -f compact --stats --lateness 1h "$WORK/trail.ndjson")
many=$(peak many replay -j2 -f compact --stats --lateness 1h "$WORK/files")
expect_eq "one file: exit status" "$(rc_of one)" 0
expect_eq "many files: exit status" "$(rc_of many)" 0
expect_eq "many files: every record read" "$(stat_of many ingest.records)" "$n"
expect_eq "many files: inputs" "$(stat_of many ingest.inputs)" "$n"
check "one file: some findings to compare" test -s "$WORK/one.out"
same_output "many files: the findings of the one file" "$WORK/one.out" "$WORK/many.out"

if grep -q -E '^TW_SANITIZE:[A-Z]+=.+' "$BUILD/CMakeCache.txt" 2> /dev/null; then
    pass "peak RSS not judged under a sanitizer (one file $((one / 1024)) MiB, files $((many / 1024)) MiB)"
else
    echo "peak RSS: one file $((one / 1024)) MiB, $n files $((many / 1024)) MiB" \
        "(reorder peak $(stat_of many ingest.reorder_peak) events)"
    check "many files: peak RSS within 48 MiB of the one file's ($((one / 1024)) MiB + 48 MiB)" \
        test "$many" -le $((one + 48 * 1024))
fi

finish
