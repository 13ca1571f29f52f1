# shellcheck shell=bash
# timing.sh: sourced by the bench harnesses that time whole commands (run_throughput.sh,
# run_latency.sh). Sets TIMER: hyperfine when installed and TW_BENCH_TIMER is not "date", else
# date. best_of CMD prints the best wall time in seconds of RUNS runs of CMD (bash, pipefail);
# the caller sets RUNS and WORK (hyperfine's CSV goes there).
TIMER=date
if [ "${TW_BENCH_TIMER:-}" != date ] && command -v hyperfine >/dev/null; then
    TIMER=hyperfine
fi

best_of() {
    local cmd=$1
    if [ "$TIMER" = hyperfine ]; then
        hyperfine --runs "$RUNS" --shell=bash --style basic --export-csv "$WORK/t.csv" \
            "set -o pipefail; $cmd" >&2 || return 1
        # CSV: command,mean,stddev,median,user,system,min,max; count from the end
        awk -F, 'NR == 2 { print $(NF - 1) }' "$WORK/t.csv"
        return 0
    fi
    local best="" t0 t1 i
    for ((i = 0; i < RUNS; i++)); do
        t0=$(date +%s.%N)
        bash -o pipefail -c "$cmd" || return 1
        t1=$(date +%s.%N)
        best=$(awk -v a="$t0" -v b="$t1" -v best="$best" \
            'BEGIN { d = b - a; if (best == "" || d < best) best = d; printf "%.4f", best }')
    done
    echo "$best"
}
