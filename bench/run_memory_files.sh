#!/usr/bin/env bash
# run_memory_files.sh [BUILD_DIR]: replay's peak memory against the number of files a trail
# comes in, and against --lateness (issue 13, item 5: a year of an organization's archive is
# millions of small .json.gz files, and a responder's laptop must replay it).
#
# The same records (400,000 by default, `gen --scenario all`) are laid out
#   - as one zstd NDJSON file (the reference: one file, big chunks);
#   - in CloudTrail's S3 layout (`gen --format s3 --accounts N`: one {"Records":[...]} .json.gz
#     an account, region and 5 minutes) over 25, 100 and 1,000 accounts: about 38,000, 89,000
#     and 142,000 files for the same records;
#   - one record a file (`gen -n 100000`: 100,320 files, NDJSON, names without a time: placed
#     by content), the worst case;
# and each is replayed (-j2, findings to /dev/null) with --lateness 1m, 15m and 1h under GNU
# time. Reported: files, records, the reorder window's peak (ingest.reorder_peak, events), peak
# RSS, and wall time. Memory should follow the window's events, not the number of files.
# The layouts are generated once and cached (about 1.4 GB on disk in all). Without GNU time the
# peak RSS is not measured and the exit status is 1.
#
# Environment: TW_BENCH_DIR (cache, default ${TMPDIR:-/tmp}/trailwarden-bench),
# TW_BENCH_RECORDS (default 400000), TW_BENCH_ACCOUNTS (default "25 100 1000"),
# TW_BENCH_ONE_RECORD_FILES (default 100000; 0 leaves that layout out),
# TW_BENCH_LATENESS (default "1m 15m 1h"), TW_BENCH_THREADS (default 2),
# TW_BENCH_GNU_TIME (default /usr/bin/time).
set -euo pipefail

BUILD=${1:-build}
TW=$BUILD/trailwarden
RECORDS=${TW_BENCH_RECORDS:-400000}
ACCOUNTS=${TW_BENCH_ACCOUNTS:-25 100 1000}
ONE_RECORD_FILES=${TW_BENCH_ONE_RECORD_FILES:-100000}
LATENESS=${TW_BENCH_LATENESS:-1m 15m 1h}
THREADS=${TW_BENCH_THREADS:-2}
SEED=1
CACHE=${TW_BENCH_DIR:-${TMPDIR:-/tmp}/trailwarden-bench}
GNU_TIME=${TW_BENCH_GNU_TIME:-/usr/bin/time}

die() { echo "run_memory_files: $*" >&2; exit 1; }

[ -x "$TW" ] || die "$TW not found: build first (cmake --build $BUILD), or pass BUILD_DIR"
mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

have_time=0
if [ -x "$GNU_TIME" ] && "$GNU_TIME" -v true >/dev/null 2>&1; then
    have_time=1
fi

# ---- layouts, generated once per parameters and generator version ------------------------
fingerprint=$("$TW" gen -q -n 1000 --scenario all | sha256sum | cut -c1-12)
base=$CACHE/files-n$RECORDS-s$SEED-$fingerprint

# one zstd NDJSON file (the records of every layout: the generator gives the same records in
# every format; --accounts only spreads them, so the reference uses the largest count)
last_accounts=${ACCOUNTS##* }
NDJSON=$base-a$last_accounts.ndjson.zst
if [ ! -s "$NDJSON" ]; then
    echo "generating $RECORDS records into $NDJSON" >&2
    "$TW" gen -q -n "$RECORDS" --seed "$SEED" --scenario all --accounts "$last_accounts" \
        --format zstd -o "$WORK/data.zst" || die "trailwarden gen failed"
    mv "$WORK/data.zst" "$NDJSON"
fi

s3_dir() { echo "$base-a$1.s3"; }
for a in $ACCOUNTS; do
    dir=$(s3_dir "$a")
    [ -d "$dir" ] && continue
    echo "generating $RECORDS records over $a accounts in the S3 layout into $dir" >&2
    "$TW" gen -q -n "$RECORDS" --seed "$SEED" --scenario all --accounts "$a" --format s3 \
        -o "$WORK/s3" || die "trailwarden gen failed"
    mv "$WORK/s3" "$dir"
done

ONE_DIR=$CACHE/files-one-record-n$ONE_RECORD_FILES-s$SEED-$fingerprint
if [ "$ONE_RECORD_FILES" -gt 0 ] && [ ! -d "$ONE_DIR" ]; then
    echo "generating $ONE_RECORD_FILES one-record files into $ONE_DIR" >&2
    mkdir -p "$WORK/one"
    # 1,000 files a folder keeps each folder listable
    "$TW" gen -q -n "$ONE_RECORD_FILES" --seed "$SEED" --accounts "$last_accounts" |
        (cd "$WORK/one" && awk '{
            d = sprintf("%03d", int((NR - 1) / 1000))
            if (d != last) { system("mkdir -p " d); last = d }
            f = sprintf("%s/%06d.json", d, NR - 1)
            print > f
            close(f)
        }')
    mv "$WORK/one" "$ONE_DIR"
fi

# ---- runs ---------------------------------------------------------------------------------
stat_of() { awk -v k="$1" '$1 == k { print $2; exit }' "$WORK/stats.txt"; }

# run LABEL PATH: one line per lateness, after reading the files once untimed (the page cache
# is warm for each lateness alike)
run() {
    local label=$1 path=$2 late rss wall files
    files=$(find "$path" -type f | tee "$WORK/files.txt" | wc -l)
    xargs -d '\n' cat < "$WORK/files.txt" > /dev/null
    for late in $LATENESS; do
        local cmd=("$TW" replay -j"$THREADS" -q --stats --lateness "$late" "$path")
        if [ "$have_time" = 1 ]; then
            "$GNU_TIME" -v -o "$WORK/time.txt" "${cmd[@]}" >/dev/null 2>"$WORK/stats.txt" ||
                { cat "$WORK/stats.txt" >&2; die "replay of $path failed"; }
            rss=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); printf "%.1f", $2 / 1024 }' \
                "$WORK/time.txt")
        else
            "${cmd[@]}" >/dev/null 2>"$WORK/stats.txt" ||
                { cat "$WORK/stats.txt" >&2; die "replay of $path failed"; }
            rss="?"
        fi
        wall=$(stat_of wall_seconds)
        printf '%-26s %8s %8s %5s %8s %10s %7s\n' "$label" "$files" "$(stat_of ingest.records)" \
            "$late" "$(stat_of ingest.reorder_peak)" "$rss" "${wall:-?}"
    done
}

echo
echo "trailwarden memory against files: $RECORDS records, replay -j$THREADS, $(basename "$TW") in $BUILD"
printf '%-26s %8s %8s %5s %8s %10s %7s\n' layout files records late "reorder" "peak MiB" "wall s"
run "one zstd NDJSON file" "$NDJSON"
for a in $ACCOUNTS; do
    run "S3 layout, $a accounts" "$(s3_dir "$a")"
done
if [ "$ONE_RECORD_FILES" -gt 0 ]; then
    run "one record a file" "$ONE_DIR"
fi
if [ "$have_time" = 0 ]; then
    echo "peak RSS not measured: GNU time ($GNU_TIME) is not installed (apt-get install time)"
    exit 1
fi
