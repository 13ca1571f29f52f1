/* trailwarden: watches CloudTrail and Bedrock audit events for scope drift of non-human
 * identities. main only dispatches the subcommand. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "gen.h"

int main(int argc, char **argv)
{
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
            rc = tw_app_replay(&conf);
        else if (rc < 0)
            rc = TW_EXIT_OK; /* --help, --version */
        tw_app_conf_free(&conf);
        return rc;
    }
    if (!strcmp(argv[1], "gen"))
        return tw_gen_main(argc - 1, argv + 1);
    fprintf(stderr, "trailwarden: unknown command '%s'\n", argv[1]);
    tw_app_usage(stderr);
    return TW_EXIT_USAGE;
}
