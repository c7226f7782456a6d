/* Debug switches from the environment: 0, 1 or one named value; anything else warned about once. */
#include "core/env-switch.h"
#include "core/error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WARNED 32

static pthread_mutex_t warned_lock = PTHREAD_MUTEX_INITIALIZER;
static char warned[MAX_WARNED][64]; /* the variables already warned about */
static int n_warned;

/* Whether this is the first warning about `name` in the process (then remembered). */
static int first_warning(const char *name)
{
    pthread_mutex_lock(&warned_lock);
    int seen = 0;
    for (int i = 0; i < n_warned && !seen; i++) seen = !strncmp(warned[i], name, sizeof warned[i] - 1);
    if (!seen && n_warned < MAX_WARNED) snprintf(warned[n_warned++], sizeof warned[0], "%s", name);
    pthread_mutex_unlock(&warned_lock);
    return !seen;
}

int drt_env_switch(const char *name, const char *named)
{
    const char *v = getenv(name);
    if (!v || !*v) return -1;
    if (!strcmp(v, "0")) return 0;
    if (!strcmp(v, "1")) return 1;
    if (named && !strcmp(v, named)) return 2;
    if (first_warning(name))
        drt_warn("%s=%s: not a value it takes (%s%s): the default is used", name, v, named ? "0, 1 or " : "0 or 1",
                 named ? named : "");
    return -1;
}
