/* app_rules: `trailwarden rules check|list` (DESIGN §6): loads the shipped rules and rule files
 * and directories through detect/rules.h and reports every problem as "file:line: message".
 * tw_app_load_rules is also how replay loads its rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "app_shipped.h"
#include "rules.h"
#include "tw_log.h"

void tw_app_rules_usage(FILE *out);
int tw_app_rules(int argc, char **argv);

void tw_app_rules_usage(FILE *out)
{
    fputs(
        "usage: trailwarden rules check [--no-default-rules] [PATH...]\n"
        "                                  validate rules: every problem as 'file:line: message'\n"
        "       trailwarden rules check [--no-default-rules] --exceptions FILE [PATH...]\n"
        "                                  the same, and an --exceptions file against those rules\n"
        "       trailwarden rules list [--no-default-rules] [PATH...]\n"
        "                                  id, type, level and title of each rule; with the\n"
        "                                  shipped rules, then the grant tracker's findings\n"
        "                                  (type grant)\n"
        "\n"
        "The shipped rules (rules/sigma in the source, embedded in the binary) load first, as\n"
        "replay loads them; each PATH adds a rule file, or a directory (recursed; *.yml and\n"
        "*.yaml files). A rule with the id or name of a shipped rule replaces it.\n"
        "--no-default-rules leaves the shipped rules out. Rules are Sigma detection and\n"
        "correlation rules over CloudTrail and Bedrock events, with trailwarden's extensions\n"
        "(docs/rules.md).\n"
        "\n"
        "An --exceptions file (docs/rules.md: Exceptions) is checked against the rules\n"
        "loaded: every problem as 'file:line: message', entries past their `until` named as\n"
        "warnings.\n"
        "\n"
        "Exit status: 0 every rule (and exception) is valid; 1 some rule or exception has a\n"
        "problem (each one named on stderr); 2 usage error (unknown command or option, a PATH\n"
        "that does not exist, no rule at all).\n",
        out);
}

static int usage_error(const char *msg, const char *arg)
{
    tw_log("rules: %s%s%s\ntry 'trailwarden rules --help'", msg, arg ? " " : "", arg ? arg : "");
    return TW_EXIT_USAGE;
}

static const char *level_word(tw_severity sev)
{
    switch (sev) {
    case TW_SEV_INFO:
        return "informational";
    case TW_SEV_LOW:
        return "low";
    case TW_SEV_MEDIUM:
        return "medium";
    case TW_SEV_HIGH:
        return "high";
    case TW_SEV_CRITICAL:
        return "critical";
    }
    return "-";
}

/* A rule's text in a tab-separated line: tabs, line breaks and other control bytes become
 * spaces (an author or title may be a YAML block); "-" for none. */
static void put_cell(const char *s)
{
    putchar('\t');
    if (!s || !*s) {
        putchar('-');
        return;
    }
    for (; *s; s++)
        putchar((unsigned char)*s < 0x20 ? ' ' : *s);
}

/* The grant tracker's findings, built in (type grant): it runs with the shipped rules (replay
 * and consume; with --no-default-rules only given --grants, which rules list does not take),
 * and raises dormant-privilege-used too, with that rule's title and level, when it is loaded. */
static void list_grant_findings(const tw_rule *dormant)
{
    const tw_rule_meta *metas[2];
    size_t n = tw_app_grant_metas(metas);
    for (size_t i = 0; i < n; i++)
        printf("%s\tgrant\t%s\t%s\t-\t-\n", metas[i]->id, level_word(metas[i]->severity),
               metas[i]->title);
    if (dormant)
        printf("%s\tgrant\t%s\t%s (an unused grant's action used at last)\t-\t-\n", dormant->id,
               level_word(dormant->level), dormant->title);
}

tw_err tw_app_load_rules(bool shipped, const char *const *paths, size_t n_paths, tw_ruleset **out)
{
    tw_ruleset *rs = tw_ruleset_new();
    *out = rs;
    if (!rs)
        return TW_ERR_NOMEM;
    for (unsigned i = 0; shipped && i < tw_shipped_rules_count; i++) {
        const tw_shipped_rule *sr = &tw_shipped_rules[i];
        if (tw_ruleset_add_buffer(rs, sr->name, sr->start, (size_t)(sr->end - sr->start)) ==
            TW_ERR_NOMEM)
            return TW_ERR_NOMEM;
    }
    tw_ruleset_mark_defaults(rs);
    for (size_t i = 0; i < n_paths; i++)
        if (tw_ruleset_add_path(rs, paths[i]) == TW_ERR_NOMEM)
            return TW_ERR_NOMEM;
    return tw_ruleset_finish(rs);
}

/* rules check --exceptions FILE: against the rules just loaded; rc so far in, rc out. */
static int check_exceptions(const char *path, const tw_ruleset *rs, int rc)
{
    tw_exceptions *ex = tw_app_load_exceptions(path, rs, 0, 0);
    if (!ex) {
        tw_log("--exceptions %s has problems", path);
        return TW_EXIT_INPUT;
    }
    size_t expired = tw_exceptions_warning_count(ex);
    size_t n = tw_exceptions_entry_count(ex) + expired;
    printf("%s: %zu exception%s: ok", path, n, n == 1 ? "" : "s");
    if (expired)
        printf(" (%zu expired: ignored)", expired);
    printf("\n");
    tw_exceptions_destroy(ex);
    return rc;
}

int tw_app_rules(int argc, char **argv)
{
    /* argv[0] is "rules" */
    if (argc < 2)
        return tw_app_rules_usage(stderr), TW_EXIT_USAGE;
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        tw_app_rules_usage(stdout);
        return TW_EXIT_OK;
    }
    bool list = !strcmp(cmd, "list");
    if (!list && strcmp(cmd, "check"))
        return usage_error("unknown command", cmd);
    const char **paths = calloc((size_t)argc, sizeof *paths);
    if (!paths) {
        tw_log("out of memory");
        return TW_EXIT_INPUT;
    }
    size_t n_paths = 0;
    bool dashdash = false, shipped = true;
    const char *exceptions = NULL;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (!dashdash && !strcmp(arg, "--")) {
            dashdash = true;
            continue;
        }
        if (!dashdash && (!strcmp(arg, "-h") || !strcmp(arg, "--help"))) {
            free(paths);
            tw_app_rules_usage(stdout);
            return TW_EXIT_OK;
        }
        if (!dashdash && !strcmp(arg, "--no-default-rules")) {
            shipped = false;
            continue;
        }
        if (!dashdash && !strcmp(arg, "--exceptions")) {
            if (list || i + 1 == argc) {
                free(paths);
                return usage_error(
                    list ? "--exceptions is for rules check" : "--exceptions needs a FILE", NULL);
            }
            exceptions = argv[++i];
            continue;
        }
        if (!dashdash && arg[0] == '-') {
            free(paths);
            return usage_error("unknown option", arg);
        }
        struct stat st;
        if (stat(arg, &st) != 0) {
            tw_log("rules: %s: %s", arg, strerror(errno));
            free(paths);
            return TW_EXIT_USAGE;
        }
        paths[n_paths++] = arg;
    }
    if (!shipped && n_paths == 0) {
        free(paths);
        return usage_error("--no-default-rules needs at least one PATH", NULL);
    }
    tw_ruleset *rs = NULL;
    tw_err err = tw_app_load_rules(shipped, paths, n_paths, &rs);
    free(paths);
    if (!rs) {
        tw_log("out of memory");
        return TW_EXIT_INPUT;
    }
    size_t n_diags = tw_ruleset_diag_count(rs);
    for (size_t i = 0; i < n_diags; i++)
        fprintf(stderr, "%s\n", tw_ruleset_diag(rs, i));
    for (size_t i = 0; i < tw_ruleset_warning_count(rs); i++) /* no problem: the rule runs */
        fprintf(stderr, "%s\n", tw_ruleset_warning(rs, i));
    int rc = TW_EXIT_OK;
    size_t n_rules = tw_ruleset_count(rs), n_files = tw_ruleset_file_count(rs);
    if (err == TW_ERR_NOMEM) {
        tw_log("out of memory while loading rules");
        rc = TW_EXIT_INPUT;
    } else if (err != TW_OK) {
        tw_log("%zu problem%s; %zu valid rule%s in %zu file%s", n_diags, n_diags == 1 ? "" : "s",
               n_rules, n_rules == 1 ? "" : "s", n_files, n_files == 1 ? "" : "s");
        rc = TW_EXIT_INPUT;
    } else if (list) {
        const tw_rule *dormant = NULL;
        for (size_t i = 0; i < n_rules; i++) {
            const tw_rule *rule = tw_ruleset_rule(rs, i);
            printf("%s\t%s\t%s", rule->id, tw_rule_type_name(rule), level_word(rule->level));
            put_cell(rule->title);
            /* where it came from and who wrote it: a finding traced to its rule, credited */
            printf("\t%s:%u", rule->file, rule->line);
            put_cell(rule->author);
            putchar('\n');
            if (!strcmp(rule->id, "dormant-privilege-used"))
                dormant = rule;
        }
        if (shipped)
            list_grant_findings(dormant);
    } else {
        size_t replaced = tw_ruleset_replaced_count(rs);
        printf("%zu rule%s in %zu file%s: ok", n_rules, n_rules == 1 ? "" : "s", n_files,
               n_files == 1 ? "" : "s");
        if (replaced)
            printf(" (%zu shipped rule%s replaced by a rule of the same id or name)", replaced,
                   replaced == 1 ? "" : "s");
        printf("\n");
    }
    if (exceptions && err != TW_ERR_NOMEM)
        rc = check_exceptions(exceptions, rs, rc);
    tw_ruleset_destroy(rs);
    return rc;
}
