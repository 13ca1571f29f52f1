/* trailwarden: watches CloudTrail and Bedrock audit events for scope drift of non-human
 * identities. main only dispatches the subcommand. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "gen.h"
#include "tw_log.h"

int main(int argc, char **argv)
{
    /* Chunks (1 MiB) and batches are allocated by one thread and freed by another, thousands
     * of times a run: keep them in the heap rather than mmap/munmap each one (which costs a
     * page fault per 4 KiB touched). */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        tw_app_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? TW_EXIT_USAGE : TW_EXIT_OK;
    }
    if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
        printf("trailwarden %s\n", TW_VERSION);
        return TW_EXIT_OK;
    }
    if (!strcmp(argv[1], "replay")) {
        tw_app_conf conf;
        int rc = tw_app_parse_replay(argc - 1, argv + 1, &conf);
        if (rc == TW_EXIT_OK)
            rc = tw_app_run(&conf);
        else if (rc < 0)
            rc = TW_EXIT_OK; /* --help, --version */
        tw_app_conf_free(&conf);
        return rc;
    }
    if (!strcmp(argv[1], "consume")) {
        tw_app_conf conf;
        int rc = tw_app_parse_consume(argc - 1, argv + 1, &conf);
        if (rc == TW_EXIT_OK)
            rc = tw_app_run(&conf);
        else if (rc < 0)
            rc = TW_EXIT_OK;
        tw_app_conf_free(&conf);
        return rc;
    }
    if (!strcmp(argv[1], "route"))
        return tw_app_route(argc - 1, argv + 1);
    if (!strcmp(argv[1], "state"))
        return tw_app_state(argc - 1, argv + 1);
    if (!strcmp(argv[1], "gen"))
        return tw_gen_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "rules"))
        return tw_app_rules(argc - 1, argv + 1);
    tw_log("unknown command '%s'", argv[1]);
    tw_app_usage(stderr);
    return TW_EXIT_USAGE;
}
