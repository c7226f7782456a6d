/* The debug switches' one reader (core/env-switch.c, drt_env_switch): unset or empty is the default (-1),
 * "0" 0, "1" 1, the switch's named value 2; any other value is the default too and gives one warning through the
 * log callback naming the variable and its value, once a process per variable. And its callers: a pipeline made
 * with DRT_PIPELINE_CONTEXTS=on, a CPU engine built with DRT_CPU_DW_INT8=off warn so (before, both were silently
 * read as the default); valid values warn about nothing. */
#include "darkrt.h"
#include "core/env-switch.h"
#include "test-models.h"
#include "unit/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The warnings that name a DRT_ variable: how many, the last, and all of them (one a line). */
static char last[1024], all[8192];
static int warnings;
static void keep(drt_log_level level, const char *message, void *user)
{
    (void)user;
    if (level != DRT_LOG_WARNING || !strstr(message, "DRT_")) return;
    snprintf(last, sizeof last, "%s", message);
    size_t n = strlen(all);
    snprintf(all + n, sizeof all - n, "%s\n", message);
    warnings++;
}

/* The value of drt_env_switch(name, named) with name=value (NULL: unset), and how many warnings it logged. */
static int read_as(const char *name, const char *value, const char *named, int *warned)
{
    if (value) setenv(name, value, 1);
    else unsetenv(name);
    int before = warnings;
    int v = drt_env_switch(name, named);
    *warned = warnings - before;
    return v;
}

static void check_reader(void)
{
    int w, v;
    CHECK((v = read_as("DRT_TEST_SWITCH", NULL, NULL, &w)) == -1 && !w, "unset: %d, %d warnings", v, w);
    CHECK((v = read_as("DRT_TEST_SWITCH", "", NULL, &w)) == -1 && !w, "empty: %d, %d warnings", v, w);
    CHECK((v = read_as("DRT_TEST_SWITCH", "0", NULL, &w)) == 0 && !w, "0: %d, %d warnings", v, w);
    CHECK((v = read_as("DRT_TEST_SWITCH", "1", NULL, &w)) == 1 && !w, "1: %d, %d warnings", v, w);
    CHECK((v = read_as("DRT_TEST_SWITCH", "all", "all", &w)) == 2 && !w, "all, named all: %d, %d warnings", v, w);
    CHECK((v = read_as("DRT_TEST_SWITCH", "on", NULL, &w)) == -1 && w == 1 &&
              strstr(last, "DRT_TEST_SWITCH=on: not a value it takes (0 or 1)"), "on: %d, %d warnings: %s", v, w, last);
    CHECK((v = read_as("DRT_TEST_SWITCH", "yes", NULL, &w)) == -1 && !w, "a second bad value: %d, %d warnings", v, w);
    CHECK((v = read_as("DRT_TEST_OTHER", "All", "all", &w)) == -1 && w == 1 &&
              strstr(last, "DRT_TEST_OTHER=All: not a value it takes (0, 1 or all)"), "All: %d, %d warnings: %s", v, w,
          last);
    CHECK((v = read_as("DRT_TEST_OTHER", "10", NULL, &w)) == -1 && !w, "10 after All: %d, %d warnings", v, w);
}

static const char tiny_cfg[] =
    "[net]\nwidth=32\nheight=32\nchannels=3\n"
    "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=2\npad=1\nactivation=leaky\n"
    "[convolutional]\nsize=1\nstride=1\npad=1\nfilters=18\nactivation=linear\n"
    "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n";

/* A CPU engine of the tiny model and a pipeline on it (each created, then freed), counting the warnings. */
static int warnings_of_engine_and_pipeline(const drt_model *m)
{
    int before = warnings;
    drt_engine_opts eo = drt_engine_opts_default();
    eo.no_tune = 1;
    eo.threads = 1;
    drt_engine *e = NULL;
    drt_pipeline *p = NULL;
    CHECK(drt_engine_create(m, &eo, &e) == DRT_OK, "engine: %s", drt_last_error());
    drt_pipeline_opts po = drt_pipeline_opts_default();
    po.workers = 1;
    CHECK(!e || drt_pipeline_create(e, &po, &p) == DRT_OK, "pipeline: %s", drt_last_error());
    drt_pipeline_free(p);
    drt_engine_free(e);
    return warnings - before;
}

int main(void)
{
    drt_set_log_callback(keep, NULL);
    check_reader();

    char dir[] = "/tmp/drt-env-switch-XXXXXX";
    drt_model *m = mkdtemp(dir) ? load_cfg_text(dir, "tiny.cfg", tiny_cfg, 3) : NULL;
    CHECK(m, "tiny model: %s", drt_last_error());
    if (m) {
        setenv("DRT_PIPELINE_CONTEXTS", "1", 1);
        setenv("DRT_NVJPEG_PREFETCH", "0", 1);
        setenv("DRT_CPU_PROFILE", "cpu", 1);
        int w = warnings_of_engine_and_pipeline(m);
        CHECK(w == 0, "valid values: %d warnings (%s)", w, last);
        unsetenv("DRT_CPU_PROFILE");
        setenv("DRT_PIPELINE_CONTEXTS", "on", 1);
        setenv("DRT_CPU_DW_INT8", "off", 1);
        all[0] = '\0';
        w = warnings_of_engine_and_pipeline(m);
        CHECK(w == 2 && strstr(all, "DRT_PIPELINE_CONTEXTS=on: not a value it takes (0 or 1): the default is used") &&
                  strstr(all, "DRT_CPU_DW_INT8=off: not a value it takes (0 or 1)"),
              "DRT_PIPELINE_CONTEXTS=on and DRT_CPU_DW_INT8=off: %d warnings, not 2: %s", w, all);
        w = warnings_of_engine_and_pipeline(m);
        CHECK(w == 0, "the same values again: %d more warnings, not 0 (%s)", w, last);
        drt_model_free(m);
    }
    char cfg[sizeof dir + 16];
    snprintf(cfg, sizeof cfg, "%s/tiny.cfg", dir);
    unlink(cfg), rmdir(dir);
    drt_set_log_callback(NULL, NULL);
    return DONE();
}
