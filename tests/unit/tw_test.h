/* Shared main for the cmocka unit tests: with an argument, only the case of that name runs
 * (CTest gives each case its own entry). A case that needs a file of ../shared/data calls
 * TW_NEED_FILE(path) first: without it the case is skipped, and a run of that case alone
 * exits 77, which CTest reports as SKIPPED (SKIP_RETURN_CODE, tests/CMakeLists.txt). */
#ifndef TW_TEST_H
#define TW_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>

static int tw_test_skipped __attribute__((unused)); /* read by TW_TEST_MAIN */

#define TW_NEED_FILE(path)                                                                     \
    do {                                                                                       \
        FILE *tw_need_ = fopen((path), "rb");                                                  \
        if (tw_need_)                                                                          \
            fclose(tw_need_);                                                                  \
        else {                                                                                 \
            print_message("SKIPPED: %s not found (../shared/data is not beside this clone)\n", \
                          (path));                                                             \
            tw_test_skipped = 1;                                                               \
            skip();                                                                            \
        }                                                                                      \
    } while (0)

#define TW_TEST_MAIN(tests)                                          \
    int main(int argc, char **argv)                                  \
    {                                                                \
        if (argc > 1)                                                \
            cmocka_set_test_filter(argv[1]);                         \
        int failed = cmocka_run_group_tests(tests, NULL, NULL);      \
        return !failed && argc > 1 && tw_test_skipped ? 77 : failed; \
    }

#endif
