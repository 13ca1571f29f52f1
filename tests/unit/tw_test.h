/* Shared main for the cmocka unit tests: with an argument, only the case of that name runs
 * (CTest gives each case its own entry). */
#ifndef TW_TEST_H
#define TW_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define TW_TEST_MAIN(tests)                                                                     \
    int main(int argc, char **argv)                                                             \
    {                                                                                           \
        if (argc > 1)                                                                           \
            cmocka_set_test_filter(argv[1]);                                                    \
        return cmocka_run_group_tests(tests, NULL, NULL);                                       \
    }

#endif
