/* app_rules: `trailwarden rules check|list` (DESIGN §6): loads rule files and directories
 * through detect/rules.h and reports every problem as "file:line: message". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "rules.h"

void tw_app_rules_usage(FILE *out);
int tw_app_rules(int argc, char **argv);

void tw_app_rules_usage(FILE *out)
{
    fputs("usage: trailwarden rules check PATH...   validate rules: every problem as 'file:line: message'\n"
          "       trailwarden rules list PATH...    id, type, level and title of each rule\n"
          "\n"
          "PATH: a rule file, or a directory (recursed; *.yml and *.yaml files).\n"
          "Rules are Sigma detection and correlation rules over CloudTrail and Bedrock events,\n"
          "with trailwarden's extensions (README: Rules).\n"
          "\n"
          "Exit status: 0 every rule is valid; 1 some rule has a problem (each one named on\n"
          "stderr); 2 usage error (unknown command or option, no PATH, a PATH that does not\n"
          "exist).\n",
          out);
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "trailwarden: rules: %s%s%s\ntry 'trailwarden rules --help'\n", msg,
            arg ? " " : "", arg ? arg : "");
    return TW_EXIT_USAGE;
}

static const char *level_word(tw_severity sev)
{
    switch (sev) {
    case TW_SEV_INFO: return "informational";
    case TW_SEV_LOW: return "low";
    case TW_SEV_MEDIUM: return "medium";
    case TW_SEV_HIGH: return "high";
    case TW_SEV_CRITICAL: return "critical";
    }
    return "-";
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
    const char *const *paths = (const char *const *)argv + 2;
    size_t n_paths = (size_t)(argc - 2);
    bool dashdash = false;
    for (size_t i = 0; i < n_paths; i++) {
        if (!dashdash && !strcmp(paths[i], "--")) {
            dashdash = true;
            continue;
        }
        if (!dashdash && (!strcmp(paths[i], "-h") || !strcmp(paths[i], "--help"))) {
            tw_app_rules_usage(stdout);
            return TW_EXIT_OK;
        }
        if (!dashdash && paths[i][0] == '-')
            return usage_error("unknown option", paths[i]);
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            fprintf(stderr, "trailwarden: rules: %s: %s\n", paths[i], strerror(errno));
            return TW_EXIT_USAGE;
        }
    }
    /* Without PATH there is nothing to check until rules ship with the binary. */
    if (n_paths == 0 || (dashdash && n_paths == 1))
        return usage_error("needs at least one PATH (a rule file or a directory)", NULL);

    tw_ruleset *rs = tw_ruleset_new();
    if (!rs) {
        fprintf(stderr, "trailwarden: out of memory\n");
        return TW_EXIT_INPUT;
    }
    tw_err err = TW_OK;
    dashdash = false;
    for (size_t i = 0; i < n_paths && err != TW_ERR_NOMEM; i++) {
        if (!dashdash && !strcmp(paths[i], "--")) {
            dashdash = true;
            continue;
        }
        if (tw_ruleset_add_path(rs, paths[i]) == TW_ERR_NOMEM)
            err = TW_ERR_NOMEM;
    }
    if (err == TW_OK)
        err = tw_ruleset_finish(rs);
    size_t n_diags = tw_ruleset_diag_count(rs);
    for (size_t i = 0; i < n_diags; i++)
        fprintf(stderr, "%s\n", tw_ruleset_diag(rs, i));
    int rc = TW_EXIT_OK;
    size_t n_rules = tw_ruleset_count(rs), n_files = tw_ruleset_file_count(rs);
    if (err == TW_ERR_NOMEM) {
        fprintf(stderr, "trailwarden: out of memory while loading rules\n");
        rc = TW_EXIT_INPUT;
    } else if (err != TW_OK) {
        fprintf(stderr, "trailwarden: %zu problem%s; %zu valid rule%s in %zu file%s\n", n_diags,
                n_diags == 1 ? "" : "s", n_rules, n_rules == 1 ? "" : "s", n_files,
                n_files == 1 ? "" : "s");
        rc = TW_EXIT_INPUT;
    } else if (list) {
        for (size_t i = 0; i < n_rules; i++) {
            const tw_rule *rule = tw_ruleset_rule(rs, i);
            printf("%s\t%s\t%s\t%s\n", rule->id, tw_rule_type_name(rule), level_word(rule->level),
                   rule->title);
        }
    } else {
        printf("%zu rule%s in %zu file%s: ok\n", n_rules, n_rules == 1 ? "" : "s", n_files,
               n_files == 1 ? "" : "s");
    }
    tw_ruleset_destroy(rs);
    return rc;
}
