/* The failure counter and CHECK/DONE shared by the tests/unit programs (one definition, not a copy each). */
#ifndef UNIT_CHECK_H
#define UNIT_CHECK_H

#include <stdio.h>

static int failures;

/* A failed check prints its place, the condition and a printf-style reason, and counts. */
#define CHECK(cond, ...)                                                          \
    do {                                                                          \
        if (!(cond)) {                                                            \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                \
            printf(__VA_ARGS__);                                                  \
            printf("\n");                                                         \
            failures++;                                                           \
        }                                                                         \
    } while (0)

/* main's exit status: 0 when every check passed. */
#define DONE() (failures ? (printf("%d check(s) failed\n", failures), 1) : (printf("all checks passed\n"), 0))

#endif
