#!/usr/bin/env bash
# determinism.sh BINARY BUILD_DIR: replay gives the same findings, byte for byte, whatever -j is,
# in whatever order the PATH arguments come and the file system lists files (DESIGN §2), in compact
# and in OCSF format.
#
# Input: data/trail.ndjson cloned 20 times at test time (every identity renamed per clone, event
# ids made unique, clone k shifted by (k mod 5) minutes): 1,760 records, 140 identities, 140
# findings (with the shipped rules), many of them at the same second, so the shards (-j) and the merge of files really
# interleave.
source "$(dirname "$0")/lib.bash"

big=$WORK/big.ndjson
python3 - "$DATA/trail.ndjson" "$big" <<'EOF'
import datetime as dt, json, sys
names = ["research-agent", "triage-agent", "ci-deployer", "ml-ops-agent", "support-tuner",
         "nightly-etl", "alice"]
src = [l for l in open(sys.argv[1])]
out = []
for k in range(20):
    shift = dt.timedelta(minutes=k % 5)
    for line in src:
        for n in names:
            line = line.replace(n, "%s-c%02d" % (n, k))
        r = json.loads(line)
        t = dt.datetime.strptime(r["eventTime"], "%Y-%m-%dT%H:%M:%SZ") + shift
        r["eventTime"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        r["eventID"] = r["eventID"][:-4] + "%04x" % k
        out.append(r)
out.sort(key=lambda r: r["eventTime"])  # stable: clones at the same second keep clone order
with open(sys.argv[2], "w") as f:
    for r in out:
        f.write(json.dumps(r, separators=(",", ":")) + "\n")
EOF
n=$(wc -l < "$big")
expect_eq "generated records" "$n" 1760

# The reference: one file, one thread.
tw ref replay -f compact --stats -j 1 "$big"
expect_eq "-j1: exit status" "$(rc_of ref)" 0
expect_eq "-j1: events" "$(stat_of ref ingest.events)" 1760
expect_eq "-j1: findings" "$(wc -l < "$WORK/ref.out")" 140
expect_eq "-j1: distinct finding uids" "$(jq -r .uid "$WORK/ref.out" | sort -u | wc -l)" 140
tw ref_ocsf replay -f ocsf -j 1 "$big"

for j in 2 3 8; do
    tw "j$j" replay -f compact -j "$j" "$big"
    same_output "one file: -j$j compact identical to -j1" "$WORK/ref.out" "$WORK/j$j.out"
    tw "j$j-ocsf" replay -f ocsf -j "$j" "$big"
    same_output "one file: -j$j OCSF identical to -j1" "$WORK/ref_ocsf.out" "$WORK/j$j-ocsf.out"
done
# Threads race: repeat the busiest setting a few times.
for i in 1 2; do
    tw "j4-again$i" replay -f compact -j 4 "$big"
    same_output "one file: -j4 run $i identical to -j1" "$WORK/ref.out" "$WORK/j4-again$i.out"
done

# Split by record number modulo 6: six NDJSON files that each span the whole 14 h, several starting
# at the same second. Files are read in time order, so with the default --lateness (15m) most
# records of files 2..6 arrive hours behind the merged stream and are applied late (counted, by
# design, DESIGN §2): the findings differ from the one-file run, but they must not depend on the
# argument order or -j. With --lateness 24h every record fits the reorder window, and the findings
# are those of the one file.
parts=$WORK/parts
mkdir -p "$parts"
awk -v d="$parts" '{ print > (d "/part-" ((NR - 1) % 6) ".ndjson") }' "$big"
mapfile -t files < <(ls "$parts"/*.ndjson)
tw parts24 replay -f compact --stats --lateness 24h -j 2 "${files[@]}"
expect_eq "six files, --lateness 24h: exit status" "$(rc_of parts24)" 0
expect_eq "six files, --lateness 24h: nothing late" "$(stat_of parts24 ingest.late)" 0
check "six files, --lateness 24h: the same findings as one file (sorted)" \
    cmp -s <(sort "$WORK/ref.out") <(sort "$WORK/parts24.out")
tw parts replay -f compact --stats -j 1 "${files[@]}"
expect_eq "six files: exit status" "$(rc_of parts)" 0
check "six files: records were late ($(stat_of parts ingest.late)), so the order matters" \
    test "$(stat_of parts ingest.late)" -gt 0
tw parts_ocsf replay -f ocsf -j 1 "${files[@]}"

orders=(
    "5 4 3 2 1 0"
    "2 0 4 1 5 3"
    "3 5 1 0 2 4"
)
for o in "${orders[@]}"; do
    args=()
    for i in $o; do args+=("$parts/part-$i.ndjson"); done
    for j in 1 3; do
        tag="order-${o// /}-j$j"
        tw "$tag" replay -f compact -j "$j" "${args[@]}"
        same_output "six files in order $o, -j$j: identical to in-order -j1" "$WORK/parts.out" "$WORK/$tag.out"
    done
    tw "order-${o// /}-ocsf" replay -f ocsf -j 3 "${args[@]}"
    same_output "six files in order $o, OCSF -j3: identical" "$WORK/parts_ocsf.out" "$WORK/order-${o// /}-ocsf.out"
    tw "order-${o// /}-24h" replay -f compact -j 3 --lateness 24h "${args[@]}"
    same_output "six files in order $o, --lateness 24h -j3: identical" "$WORK/parts24.out" "$WORK/order-${o// /}-24h.out"
done

# The six files given as a folder, the folder filled in two different creation orders (the
# directory listing order follows the file system, not the names).
for variant in fwd rev; do
    d=$WORK/dir-$variant
    mkdir -p "$d"
    if [ $variant = fwd ]; then seq="0 1 2 3 4 5"; else seq="5 3 1 4 2 0"; fi
    for i in $seq; do cp "$parts/part-$i.ndjson" "$d/"; done
    tw "dir-$variant" replay -f compact -j 2 "$d"
    same_output "folder of six files ($variant creation order): identical to files in order" \
        "$WORK/parts.out" "$WORK/dir-$variant.out"
done

# CloudTrail delivery files (gzip {"Records":[...]}, S3 names carrying their time): the records cut
# into 5-minute files as CloudTrail delivers them, times overlapping at the edges as in real trails.
tree=$WORK/s3/AWSLogs/111122223333/CloudTrail/us-east-1/2026/09
python3 - "$big" "$tree" <<'EOF'
import collections, gzip, json, os, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
files = collections.OrderedDict()
for i, r in enumerate(recs):
    t = r["eventTime"]
    # a record lands in the file of its 5-minute slot, one in seven in the next file (late delivery)
    mm = int(t[14:16]) // 5 * 5 + (5 if i % 7 == 3 else 0)
    hh = int(t[11:13]) + mm // 60
    mm %= 60
    day = t[8:10]
    name = "111122223333_CloudTrail_us-east-1_202609%sT%02d%02dZ_%016x.json.gz" % (day, hh, mm, (hh * 60 + mm) * 7919)
    files.setdefault((day, name), []).append(r)
for (day, name), rs in files.items():
    d = os.path.join(sys.argv[2], day)
    os.makedirs(d, exist_ok=True)
    rs = rs[::-1]  # CloudTrail does not sort a file's records
    with gzip.GzipFile(os.path.join(d, name), "wb", mtime=0) as g:
        g.write(json.dumps({"Records": rs}, separators=(",", ":")).encode())
EOF
tw s3tree replay -f compact --stats -j 1 "$WORK/s3"
expect_eq "S3 tree: exit status" "$(rc_of s3tree)" 0
expect_eq "S3 tree: files" "$(stat_of s3tree ingest.inputs)" "$(find "$WORK/s3" -type f | wc -l)"
expect_eq "S3 tree: nothing late (files overlap by less than --lateness)" "$(stat_of s3tree ingest.late)" 0
expect_eq "S3 tree: findings" "$(wc -l < "$WORK/s3tree.out")" 140
check "S3 tree: the same findings as one file (sorted)" \
    cmp -s <(sort "$WORK/ref.out") <(sort "$WORK/s3tree.out")
mapfile -t gz < <(find "$WORK/s3" -name '*.json.gz' | sort -r)
tw s3files-rev replay -f compact -j 3 "${gz[@]}"
same_output "S3 files listed newest first, -j3: identical to the tree -j1" "$WORK/s3tree.out" "$WORK/s3files-rev.out"
mapfile -t gz < <(find "$WORK/s3" -name '*.json.gz' | sort -t_ -k4,4 | awk 'NR % 2 { a[NR] = $0; next } { print } END { for (i in a) print a[i] }')
tw s3files-mixed replay -f compact -j 2 "${gz[@]}"
same_output "S3 files in a scrambled order, -j2: identical to the tree -j1" "$WORK/s3tree.out" "$WORK/s3files-mixed.out"

finish
