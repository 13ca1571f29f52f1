#!/usr/bin/env bash
# run_latency.sh [BUILD_DIR]: `trailwarden consume` against librdkafka's mock cluster
# (tw_mock_kafka, in its own process, over TCP on loopback):
#   (1) latency: tw_latency_produce produces a generated trail (--scenario all) at a fixed rate,
#       keyed by identity, to a topic of TW_BENCH_PARTITIONS partitions while
#       `trailwarden consume -f compact -o file:...` reads it (produce and consume at the same
#       time: the mock keeps only ~5 MB a partition). Per finding, the delay from the send of
#       the last-sent of its evidence events (usually the triggering one, the last entry; joined
#       on event_id with the producer's send log) to
#         detected: the finding's own processed_time (stamped when it is encoded), and
#         written:  when its line could be read from the output file (tw_latency_produce
#                   --follow stamps each line as it appears);
#       p50, p99, p999 and max at each rate, rising until consume no longer keeps up; then again
#       at half the highest sustainable rate (target: p99 written < 10 ms there).
#   (2) throughput: a topic preloaded with a prefix of the trail (not keyed: spread evenly),
#       read to its end by `kcat -C -e -q -o beginning` (the floor) and by
#       `trailwarden consume --exit-at-end` (every shipped detection), best of 3 each;
#       consume/kcat (target >= 0.80).
# A rate is sustainable when the producer held it (>= 97% of the target), every record was
# consumed (none dropped by the mock's retention), consume caught up within 1 s of the last
# send, and latency did not grow over the run (median detected latency of the last third of
# the findings <= 2 x the first third's + 5 ms).
# Exits non-zero if a command fails; missed targets are reported, not fatal.
#
# Environment: TW_BENCH_DIR (cache, default ${TMPDIR:-/tmp}/trailwarden-bench),
# TW_BENCH_RECORDS (cached trail, default 1000000), TW_BENCH_SECONDS (per rate, default 15),
# TW_BENCH_RATES (default "2500 5000 7500 10000 15000 20000 30000 40000"; none: throughput only),
# TW_BENCH_PARTITIONS (latency topics, default 64), TW_BENCH_TPUT_PARTITIONS (throughput topic,
# default 16), TW_BENCH_FETCH_WAIT_MS (fetch.wait.max.ms of both consumers, default 10;
# "default" leaves librdkafka's 500), TW_BENCH_TPUT_MB (MB a partition preloaded, default
# 3.5), TW_BENCH_TPUT=0 (latency only), TW_BENCH_TIMER=date (skip hyperfine), TW_BENCH_KEEP=1
# (keep the work directory).
set -euo pipefail

BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
TW=$BUILD/trailwarden
PROD=$BUILD/tw_latency_produce
MOCK=$BUILD/tests/kafka/tw_mock_kafka
RECORDS=${TW_BENCH_RECORDS:-1000000}
SECS=${TW_BENCH_SECONDS:-15}
RATES=${TW_BENCH_RATES:-2500 5000 7500 10000 15000 20000 30000 40000}
[ "$RATES" != none ] || RATES= # throughput only
PARTS=${TW_BENCH_PARTITIONS:-64}
TPARTS=${TW_BENCH_TPUT_PARTITIONS:-16}
TMB=${TW_BENCH_TPUT_MB:-3.5}
DO_TPUT=${TW_BENCH_TPUT:-1}
SEED=1
CACHE=${TW_BENCH_DIR:-${TMPDIR:-/tmp}/trailwarden-bench}
RUNS=3

die() { echo "run_latency: $*" >&2; exit 1; }

for exe in "$TW" "$PROD" "$MOCK"; do
    [ -x "$exe" ] || die "$exe not found: build first (cmake --build $BUILD --target trailwarden tw_mock_kafka tw_latency_produce), or pass BUILD_DIR"
done
for cmd in kcat jq zstd; do
    command -v "$cmd" >/dev/null || die "$cmd is needed (scripts/install-deps.sh installs it)"
done
# shellcheck source=timing.sh
source "$HERE/timing.sh" # TIMER, best_of

mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/latency.XXXXXX")
if [ -n "${TW_BENCH_KEEP:-}" ]; then
    echo "keeping $WORK" >&2
    trap 'kill_bg' EXIT
else
    trap 'kill_bg; rm -rf "$WORK"' EXIT
fi
BG_PIDS=()
kill_bg() {
    local p
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
}

# The binaries are copied: a rebuild of BUILD_DIR during the run must not change them.
mkdir -p "$WORK/bin"
cp "$TW" "$PROD" "$MOCK" "$WORK/bin/" || die "cannot copy the binaries"
TW=$WORK/bin/trailwarden
PROD=$WORK/bin/tw_latency_produce
MOCK=$WORK/bin/tw_mock_kafka

# ---- data, generated once per parameters and generator version -------------------------
fingerprint=$("$TW" gen -q -n 1000 --scenario all | sha256sum | cut -c1-12)
DATA=$CACHE/trail-n$RECORDS-s$SEED-zstd3-$fingerprint.ndjson.zst
if [ ! -s "$DATA" ]; then
    echo "generating $RECORDS records into $DATA" >&2
    "$TW" gen -n "$RECORDS" --seed "$SEED" --scenario all --format zstd -o "$WORK/data.zst" ||
        die "trailwarden gen failed"
    mv "$WORK/data.zst" "$DATA"
fi
# prefix N: the trail's first N records, on stdout (head closes the pipe: SIGPIPE expected)
prefix() { (set +o pipefail; zstd -dc "$DATA" | head -n "$1"); }

# ---- the cluster -------------------------------------------------------------------------
export KAFKA_MOCK_BIN=$MOCK
# shellcheck source=../tests/kafka/lib.sh
source "$HERE/../tests/kafka/lib.sh"
kafka_start --brokers 3 || die "tw_mock_kafka did not start"
BS=$KAFKA_BOOTSTRAP
# the options tests/kafka/consume.sh uses against the mock (a quick group join)
KOPTS=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
# The mock answers a fetch that finds no data only after the whole fetch.wait.max.ms (500 ms
# by default), even when data arrives meanwhile (a real broker answers as soon as there is
# some): that wait would be most of the latency measured. Both consumers get the same value.
FETCH_WAIT=${TW_BENCH_FETCH_WAIT_MS:-10}
FOPTS=()
[ "$FETCH_WAIT" = default ] || FOPTS=(-X "fetch.wait.max.ms=$FETCH_WAIT")

# stats_of FILE KEY: the last value of a --stats line in FILE
stats_of() { awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }' "$1"; }

# wait_for PID ERRFILE KEY MIN TIMEOUT_S: sends SIGUSR1 every 100 ms until the stats show
# KEY >= MIN; prints the seconds waited, status 1 on timeout
wait_for() {
    local pid=$1 err=$2 key=$3 min=$4 limit=$5 t0 now
    t0=$(date +%s.%N)
    while :; do
        kill -USR1 "$pid" 2>/dev/null || return 1
        sleep 0.1
        if [ "$(stats_of "$err" "$key")" -ge "$min" ]; then
            awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'
            return 0
        fi
        now=$(date +%s.%N)
        awk -v a="$t0" -v b="$now" -v l="$limit" 'BEGIN { exit !(b - a > l) }' && return 1
    done
}

# wait_handler PID: until PID catches SIGUSR1 (bit 10 of SigCgt in /proc): before that, the
# signal would kill it
wait_handler() {
    local i mask
    for ((i = 0; i < 300; i++)); do
        mask=$(awk '$1 == "SigCgt:" { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
        [ -n "$mask" ] || return 1
        (((16#$mask >> 9) & 1)) && return 0
        sleep 0.05
    done
    return 1
}

# pct FILE P: nearest-rank percentile of a sorted column of numbers
pct() { awk -v p="$2" '{ v[NR] = $1 } END { if (!NR) { print "-"; exit } i = int(p * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; printf "%.1f", v[i] }' "$1"; }

# ---- (1) latency at one rate -------------------------------------------------------------
# latency_run RATE: writes one result line (key=value ...) to $WORK/RATE.result, and leaves
# its other files in $WORK/RATE.*
latency_run() {
    local rate=$1 n topic w cpid fpid mpid ok=1
    n=$(awk -v r="$rate" -v s="$SECS" -v m="$RECORDS" 'BEGIN { n = int(r * s); print (n > m) ? m : n }')
    topic=lat$rate-$RANDOM
    w=$WORK/$rate
    rm -f "$w".*
    kafka_cmd "topic $topic $PARTS" || die "cannot create topic $topic"
    prefix "$n" >"$w.trail"
    "$TW" consume -b "$BS" -t "$topic" -G "$topic" "${KOPTS[@]}" "${FOPTS[@]}" -f compact --stats \
        -o "file:$w.findings" 2>"$w.consume.err" &
    cpid=$!
    BG_PIDS+=("$cpid")
    "$PROD" --follow "$w.findings" >"$w.appear" &
    fpid=$!
    BG_PIDS+=("$fpid")
    wait_handler "$cpid" || die "consume did not start (see $w.consume.err)"
    wait_for "$cpid" "$w.consume.err" kafka.assignments 1 30 >/dev/null ||
        die "consume got no assignment in 30 s (see $w.consume.err)"
    sleep 0.5
    # lag sampled once a second while producing
    (while kill -USR1 "$cpid" 2>/dev/null; do sleep 1; done) &
    mpid=$!
    BG_PIDS+=("$mpid")
    "$PROD" -b "$BS" -t "$topic" -r "$rate" -i "$w.trail" -o "$w.send" 2>"$w.produce.err" ||
        die "tw_latency_produce failed: $(cat "$w.produce.err")"
    kill "$mpid" 2>/dev/null || true
    wait "$mpid" 2>/dev/null || true
    local drain
    drain=$(wait_for "$cpid" "$w.consume.err" kafka.messages "$n" 60) || { drain=lost; ok=0; }
    sleep 0.6 # at least one flush of the file sink (every 200 ms) after the last record
    kill -TERM "$cpid"
    wait "$cpid" || die "consume exited with status $? (see $w.consume.err)"
    kill -TERM "$fpid"
    wait "$fpid" || true
    rm -f "$w.trail"

    # per finding: line, rule, processed_time, event ids of its evidence (the last: trigger)
    jq -r '[input_line_number, .rule, .processed_time, (.evidence | map(.event_id) | join(","))] | @tsv' \
        "$w.findings" >"$w.f.tsv"
    awk -F'\t' -v out="$w.lat" '
        FILENAME == ARGV[1] { f[NR] = $0; nf = NR; m = split($4, ids, ","); for (i = 1; i <= m; i++) need[ids[i]] = 1; next }
        FILENAME == ARGV[2] { if ($1 in need) sent[$1] = $2; next }
        { seen[$1] = $2 }
        END {
            for (i = 1; i <= nf; i++) {
                split(f[i], c, "\t"); m = split(c[4], ids, ",")
                trig = ids[m]
                if (!(trig in sent)) { missing++; continue }
                # the reference: the last-sent of its evidence events (the finding could not
                # be raised before it was sent); the triggering (last) entry but in notlast cases
                mx = 0; for (j = 1; j <= m; j++) if ((ids[j] in sent) && sent[ids[j]] > mx) mx = sent[ids[j]]
                if (mx > sent[trig]) notlast++
                det = c[3] - mx
                wr = (c[1] in seen) ? seen[c[1]] - mx : -1
                printf "%d\t%s\t%.3f\t%.3f\t%.3f\n", c[1], c[2], mx, det, wr > out
            }
            printf "missing=%d notlast=%d\n", missing + 0, notlast + 0
        }' "$w.f.tsv" "$w.send" "$w.appear" >"$w.join"
    local nfind missing notlast
    nfind=$(wc -l <"$w.lat")
    missing=$(sed -n 's/.*missing=\([0-9]*\).*/\1/p' "$w.join")
    notlast=$(sed -n 's/.*notlast=\([0-9]*\).*/\1/p' "$w.join")
    cut -f4 "$w.lat" | sort -g >"$w.det"
    cut -f5 "$w.lat" | sort -g >"$w.wr"
    # growth: findings in send order, the first and last third's median detected latency
    sort -t$'\t' -k3,3g "$w.lat" | cut -f4 >"$w.bysend"
    local g1 g3
    g1=$(awk -v n="$nfind" 'NR <= n / 3' "$w.bysend" | sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }')
    g3=$(awk -v n="$nfind" 'NR > 2 * n / 3' "$w.bysend" | sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }')
    # lag: the sum over partitions in each stats block while producing
    local maxlag
    maxlag=$(awk '/^trailwarden stats/ { if (b) { if (s > m) m = s } b = 1; s = 0 }
                  /kafka\.partition\./ { for (i = 1; i < NF; i++) if ($i == "lag" && $(i + 1) > 0) s += $(i + 1) }
                  END { print m + 0 }' "$w.consume.err")
    local achieved behind
    achieved=$(sed -n 's/.* rate=\([0-9]*\) .*/\1/p' "$w.produce.err")
    behind=$(sed -n 's/.*behind_schedule_ms p50=[0-9.]* p99=\([0-9.]*\) .*/\1/p' "$w.produce.err")
    awk -v a="$achieved" -v r="$rate" 'BEGIN { exit !(a < 0.97 * r) }' && ok=0
    [ "$drain" = lost ] || awk -v d="$drain" 'BEGIN { exit !(d > 1.0) }' && ok=0
    awk -v a="$g1" -v b="$g3" 'BEGIN { exit !(b > 2 * a + 5) }' && ok=0
    local rules
    rules=$(cut -f2 "$w.lat" | sort | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $2, $1 }')
    printf 'rate=%s records=%s achieved=%s behind_p99_ms=%s findings=%s missing=%s notlast=%s det_p50=%s det_p99=%s det_p999=%s det_max=%s wr_p50=%s wr_p99=%s wr_p999=%s wr_max=%s first_third_p50=%.1f last_third_p50=%.1f drain_s=%s max_lag=%s sustainable=%s rules=%s\n' \
        "$rate" "$n" "$achieved" "$behind" "$nfind" "$missing" "$notlast" \
        "$(pct "$w.det" 0.5)" "$(pct "$w.det" 0.99)" "$(pct "$w.det" 0.999)" "$(pct "$w.det" 1)" \
        "$(pct "$w.wr" 0.5)" "$(pct "$w.wr" 0.99)" "$(pct "$w.wr" 0.999)" "$(pct "$w.wr" 1)" \
        "$g1" "$g3" "$drain" "$maxlag" "$([ $ok = 1 ] && echo yes || echo no)" "$rules" \
        >"$w.result"
}

field() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }

declare -a RESULTS=()
best=0
for rate in $RATES; do
    echo "latency at $rate records/s ..." >&2
    latency_run "$rate"
    line=$(cat "$WORK/$rate.result")
    RESULTS+=("$line")
    echo "  $line" >&2
    if [ "$(field "$line" sustainable)" = yes ]; then
        best=$rate
    else
        break
    fi
done
half=0
if [ "$best" -gt 0 ]; then
    half=$((best / 2))
    echo "latency at $half records/s (half the highest sustainable rate) ..." >&2
    latency_run "$half"
    line=$(cat "$WORK/$half.result")
    RESULTS+=("$line")
    echo "  $line" >&2
fi

# ---- (2) throughput: kcat -C against consume --exit-at-end -------------------------------
if [ "$DO_TPUT" = 1 ]; then
    TN=$(awk -v p="$TPARTS" -v mb="$TMB" 'BEGIN { printf "%d", p * mb * 1e6 / 1530 }')
    kafka_cmd "topic tput $TPARTS" || die "cannot create topic tput"
    kafka_cmd "topic tput0 $TPARTS" || die "cannot create topic tput0"
    prefix "$TN" >"$WORK/tput.trail"
    tbytes=$(wc -c <"$WORK/tput.trail")
    "$PROD" -b "$BS" -t tput -r 0 -k -i "$WORK/tput.trail" 2>"$WORK/tput.produce.err" ||
        die "preloading failed: $(cat "$WORK/tput.produce.err")"
    rm -f "$WORK/tput.trail"
    KAFKA_FORMAT='%p %o\n' kafka_consume_all tput 120 >"$WORK/tput.offsets" || die "cannot read tput back"
    have=$(wc -l <"$WORK/tput.offsets")
    dropped=$(awk '$2 == 0 { z[$1] = 1 } { p[$1] = 1 } END { n = 0; for (k in p) if (!(k in z)) n++; print n }' "$WORK/tput.offsets")
    [ "$have" -eq "$TN" ] || die "tput holds $have of $TN records ($dropped partitions lost their start to the mock's retention): lower TW_BENCH_TPUT_MB"
    maxpart=$(awk '{ n[$1]++ } END { m = 0; for (k in n) if (n[k] > m) m = n[k]; print m }' "$WORK/tput.offsets")

    q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
    KCAT_CMD="kcat -C -b $(q "$BS") -t tput ${FOPTS[*]} -e -q -o beginning >/dev/null"
    TW_CMD="timeout 600 $(q "$TW") consume -b $(q "$BS") -t tput -G tput-\$(date +%s%N) ${KOPTS[*]} ${FOPTS[*]} --exit-at-end -q -f compact -o stdout >/dev/null"
    # consume reads what kcat reads (and finds what replay finds), once untimed
    n_read=$("$TW" consume -b "$BS" -t tput -G tput-check "${KOPTS[@]}" "${FOPTS[@]}" --exit-at-end --stats -q -f compact \
        -o stdout 2>&1 >/dev/null | awk '$1 == "kafka.messages" { print $2 }')
    [ "$n_read" = "$TN" ] || die "consume read $n_read of $TN records"
    t_kcat=$(best_of "$KCAT_CMD") || die "kcat failed"
    t_tw=$(best_of "$TW_CMD") || die "consume failed"
    # the fixed costs: the same commands on an empty topic of as many partitions (connect, group
    # join and leave for consume)
    t_kcat0=$(best_of "${KCAT_CMD//-t tput /-t tput0 }") || die "kcat failed"
    t_tw0=$(best_of "${TW_CMD//-t tput /-t tput0 }") || die "consume failed"
fi
kafka_stop || true

# ---- report ------------------------------------------------------------------------------
cpu=$(awk -F: '/model name/ { sub(/^ +/, "", $2); print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo
echo "trailwarden consume latency bench: $(nproc) CPUs${cpu:+, $cpu}; mock cluster, 3 brokers"
echo "data: $DATA (prefixes of it); latency topics: $PARTS partitions, ${SECS} s a rate"
echo "fetch.wait.max.ms: $FETCH_WAIT (consume and kcat)"
echo
[ ${#RESULTS[@]} -gt 0 ] && echo "latency, ms from the send of a finding's last-sent evidence event (nearest rank):" &&
printf '  %8s %9s %9s %5s | %-28s | %-28s | %7s %8s %4s\n' rate achieved records finds \
    "detected p50/p99/p999/max" "written p50/p99/p999/max" drain_s max_lag ok
for line in "${RESULTS[@]}"; do
    printf '  %8s %9s %9s %5s | %-28s | %-28s | %7s %8s %4s\n' \
        "$(field "$line" rate)" "$(field "$line" achieved)" "$(field "$line" records)" \
        "$(field "$line" findings)" \
        "$(field "$line" det_p50)/$(field "$line" det_p99)/$(field "$line" det_p999)/$(field "$line" det_max)" \
        "$(field "$line" wr_p50)/$(field "$line" wr_p99)/$(field "$line" wr_p999)/$(field "$line" wr_max)" \
        "$(field "$line" drain_s)" "$(field "$line" max_lag)" "$(field "$line" sustainable)"
done
[ ${#RESULTS[@]} -gt 0 ] && echo && echo "  highest sustainable rate tried: $best records/s"
if [ "$half" -gt 0 ]; then
    last=${RESULTS[${#RESULTS[@]}-1]}
    p99=$(field "$last" wr_p99)
    v=$(awk -v p="$p99" 'BEGIN { print (p + 0 < 10) ? "ok" : "MISSED" }')
    printf '  p99 written latency at %s records/s (half of it): %s ms (target < 10 ms)  %s\n' "$half" "$p99" "$v"
    printf '  p99 detected latency there: %s ms\n' "$(field "$last" det_p99)"
fi
echo
if [ "$DO_TPUT" = 1 ]; then
    echo "throughput: topic tput, $TPARTS partitions, $TN records, $(awk -v b="$tbytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB (largest partition $maxpart records); timer $TIMER, best of $RUNS"
    row() { awk -v l="$1" -v t="$2" -v r="$3" -v b="$4" \
        'BEGIN { printf "  %-44s %8.3f s %10.0f rec/s %8.1f MB/s\n", l, t, r / t, b / 1e6 / t }'; }
    row "(a) floor: kcat -C -e -q -o beginning" "$t_kcat" "$TN" "$tbytes"
    row "(b) trailwarden consume --exit-at-end" "$t_tw" "$TN" "$tbytes"
    printf '  fixed costs (empty topic): kcat %.3f s, consume %.3f s\n' "$t_kcat0" "$t_tw0"
    r=$(awk -v a="$t_kcat" -v b="$t_tw" 'BEGIN { printf "%.3f", a / b }')
    r2=$(awk -v a="$t_kcat" -v a0="$t_kcat0" -v b="$t_tw" -v b0="$t_tw0" 'BEGIN { printf "%.3f", (a - a0) / (b - b0) }')
    printf '  consume/kcat  %8s   (wall; target >= 0.80)  %s\n' "$r" "$(awk -v v="$r" 'BEGIN { print (v >= 0.8) ? "ok" : "MISSED" }')"
    printf '  consume/kcat  %8s   (fixed costs taken out of both)\n' "$r2"
fi
