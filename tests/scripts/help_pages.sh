#!/usr/bin/env bash
# help_pages.sh BINARY BUILD_DIR: each subcommand has its own --help page, true to what it
# accepts, and its usage errors point at that page:
#   - `trailwarden --help` (and -h) is the overview: every command, and how to get its page;
#     without a command, the overview on stderr and exit 2;
#   - `trailwarden CMD --help` (and -h) for replay, consume, route, rules and gen: exit 0,
#     nothing on stderr, a page starting `usage: trailwarden CMD`, different from the others;
#   - replay's and consume's pages list every option their parser takes, and every option
#     they list is taken (not refused as unknown or as the other command's);
#   - the -o outputs on each page: stdout, file:PATH, and Kafka (replay: kafka:TOPIC@BROKERS,
#     it has no -b; consume and route: kafka:TOPIC[@BROKERS]);
#   - consume's usage errors say `try 'trailwarden consume --help'`, replay's replay's.
source "$(dirname "$0")/lib.bash"

# --- the overview
for flag in --help -h; do
    tw "overview$flag" "$flag"
    expect_eq "trailwarden $flag: exit status" "$(rc_of "overview$flag")" 0
    expect_eq "trailwarden $flag: nothing on stderr" "$(wc -c < "$WORK/overview$flag.err")" 0
done
for cmd in replay consume route state rules gen; do
    check "overview names $cmd" grep -q -E "^  $cmd( |$)" "$WORK/overview--help.out"
done
check "overview: how to get a command's page" grep -q "trailwarden COMMAND --help" "$WORK/overview--help.out"
tw bare
expect_eq "no command: exit status" "$(rc_of bare)" 2
same_output "no command: the overview on stderr" "$WORK/overview--help.out" "$WORK/bare.err"

# --- a page each
for cmd in replay consume route state rules gen; do
    for flag in --help -h; do
        tw "$cmd$flag" "$cmd" "$flag"
        expect_eq "$cmd $flag: exit status" "$(rc_of "$cmd$flag")" 0
        expect_eq "$cmd $flag: nothing on stderr" "$(wc -c < "$WORK/$cmd$flag.err")" 0
    done
    check "$cmd --help: its own page" grep -q -i -E "^usage: trailwarden $cmd( |$)" <(head -n 1 "$WORK/$cmd--help.out")
    same_output "$cmd -h: the same page" "$WORK/$cmd--help.out" "$WORK/$cmd-h.out"
    check "$cmd --help: not the overview" bash -c "! cmp -s '$WORK/$cmd--help.out' '$WORK/overview--help.out'"
done
check "replay and consume: two pages" bash -c "! cmp -s '$WORK/replay--help.out' '$WORK/consume--help.out'"

# the options a page defines: its lines of '  -x, --long' or '      --long'
page_options() { # FILE: one option a line, long form when there is one
    grep -o -E '^ {2}(-[A-Za-z], )?--[a-z][a-z-]*|^ {2}-[A-Za-z]( |,|$)|^ {6}--[a-z][a-z-]*' "$1" |
        sed -E 's/^ +//; s/^-[A-Za-z], //; s/[ ,]$//' | sort -u
}

# what each parser takes (app/app_cli.c); a new option must reach its page
replay_opts="--agent-pattern --audit-bucket --audit-log-group --exceptions --format --grants
--help --learn --lateness --max-identities --no-default-rules --output --quiet --report-from
--rules --state-dir --stats --threads --unused-after --verbose --version"
consume_opts="--agent-pattern --audit-bucket --audit-log-group --broker-timeout --brokers --checkpoint-every
--exceptions --exit-at-end --format --grants --group --help --learn --lateness --max-identities
--no-default-rules --output --quiet --rules --state-dir --state-topic --stats --threads --topic --unused-after
--verbose --version -X"
for cmd in replay consume; do
    page_options "$WORK/$cmd--help.out" > "$WORK/$cmd.listed"
    want=${cmd}_opts
    tr -s ' \n' '\n' <<< "${!want}" | sort -u > "$WORK/$cmd.taken"
    same_output "$cmd --help: lists exactly the options it takes" "$WORK/$cmd.taken" "$WORK/$cmd.listed"
    # every option listed is taken: given alone, it is never unknown nor the other command's
    while read -r opt; do
        tw "$cmd.opt$opt" "$cmd" "$opt"
        check "$cmd $opt: taken" bash -c "! grep -q -E 'unknown option|belongs to' '$WORK/$cmd.opt$opt.err'"
    done < "$WORK/$cmd.listed"
done

# --- -o on each page
for cmd in replay consume route; do
    for spec in stdout file:PATH; do
        check "$cmd --help: -o $spec" grep -q -F -- "$spec" "$WORK/$cmd--help.out"
    done
done
check "replay --help: -o kafka:TOPIC@BROKERS" grep -q -F "'kafka:TOPIC@BROKERS'" "$WORK/replay--help.out"
check "consume --help: -o kafka:TOPIC[@BROKERS]" grep -q -F "'kafka:TOPIC[@BROKERS]'" "$WORK/consume--help.out"
check "route --help: -o kafka:TOPIC[@BROKERS]" grep -q -F "kafka:TOPIC[@BROKERS]" "$WORK/route--help.out"

# --- usage errors point at their own page
usage_error() { # NAME COMMAND ARGS...: exit 2, and the page of COMMAND named last
    local name=$1 cmd=$2
    shift 2
    tw "$name" "$cmd" "$@"
    expect_eq "$name: exit status" "$(rc_of "$name")" 2
    expect_eq "$name: points at $cmd --help" "$(tail -n 1 "$WORK/$name.err")" \
        "try 'trailwarden $cmd --help'"
}
usage_error consume_no_topic consume -b localhost:9
check "consume without -t: says so" grep -q "consume needs -t TOPIC" "$WORK/consume_no_topic.err"
usage_error consume_no_brokers consume -t raw
usage_error consume_path consume -b localhost:9 -t raw trail.json
usage_error consume_unknown consume --bogus
usage_error consume_report_from consume --report-from 2026-02-01 -b localhost:9 -t raw
expect_eq "consume --report-from: names the option, not its value" \
    "$(head -n 1 "$WORK/consume_report_from.err")" \
    "trailwarden: option '--report-from' belongs to replay (consume reports as it reads)"
usage_error consume_bad_x consume -b localhost:9 -t raw -X novalue
usage_error replay_no_path replay
usage_error replay_consume_option replay -b localhost:9 trail.json
usage_error replay_cluster replay -qZ trail.json
expect_eq "replay -qZ: names the unknown letter" "$(head -n 1 "$WORK/replay_cluster.err")" \
    "trailwarden: unknown option '-Z'"
usage_error replay_exit_at_end replay --exit-at-end trail.json
expect_eq "replay --exit-at-end: names it" "$(head -n 1 "$WORK/replay_exit_at_end.err")" \
    "trailwarden: option '--exit-at-end' belongs to consume"
usage_error route_no_output route -b localhost:9 -t raw

finish
