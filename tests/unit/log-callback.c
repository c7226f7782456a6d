/* drt_set_log_callback: warnings and verbose output reach the callback, one line each, and
 * nothing reaches stderr; without a callback they go to stderr again. The int8_keep option
 * (once the DRT_INT8_KEEP variable) decides which convs run in int8, as the engine's verbose
 * summary reports. Public header only. */
#include "darkrt.h"
#include "unit/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct captured {
    char text[16384];
    int warnings, infos, newlines;
    size_t mark; /* where the current engine's messages start */
} captured;

static void capture(drt_log_level level, const char *message, void *user)
{
    captured *c = user;
    if (level == DRT_LOG_WARNING) c->warnings++;
    else c->infos++;
    if (strchr(message, '\n')) c->newlines++;
    size_t n = strlen(c->text);
    snprintf(c->text + n, sizeof c->text - n, "%s|%s\n", level == DRT_LOG_WARNING ? "W" : "I", message);
}

static const char cfg_text[] =
    "[net]\nwidth=32\nheight=32\nchannels=3\nfrobnicate=1\n"
    "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=2\npad=1\nactivation=leaky\n"
    "[convolutional]\nsize=1\nstride=1\npad=1\nfilters=18\nactivation=linear\n"
    "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n";

static drt_model *load(const char *cfg)
{
    drt_model *m = NULL;
    if (drt_model_load_darknet(cfg, NULL, NULL, &m) == DRT_OK) drt_model_synth_weights(m, 3);
    return m;
}

/* The int8 count of the verbose summary "convs fp32 A / bf16 B / int8 C" of an int8 CPU engine. */
static int int8_convs(const drt_model *m, const char *keep, captured *c)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.precision = DRT_PREC_INT8;
    o.verbose = 1;
    o.threads = 1;
    o.int8_keep = keep;
    c->mark = strlen(c->text);
    drt_engine *e = NULL;
    CHECK(drt_engine_create(m, &o, &e) == DRT_OK, "int8 engine: %s", drt_last_error());
    drt_engine_free(e);
    int fp32 = -1, bf16 = -1, int8 = -1;
    const char *p = strstr(c->text + c->mark, "convs fp32 ");
    if (p) sscanf(p, "convs fp32 %d / bf16 %d / int8 %d", &fp32, &bf16, &int8);
    return fp32 + int8 == 2 ? int8 : -1;
}

int main(void)
{
    char dir[] = "/tmp/log-callback-XXXXXX", cfg[64], err[64];
    if (!mkdtemp(dir)) return 1;
    snprintf(cfg, sizeof cfg, "%s/tiny.cfg", dir);
    snprintf(err, sizeof err, "%s/stderr", dir);
    FILE *f = fopen(cfg, "w");
    if (!f || fputs(cfg_text, f) < 0 || fclose(f) != 0) return 1;
    fflush(stderr);
    int saved = dup(2);
    if (!freopen(err, "w", stderr)) return 1;

    captured c = {0};
    drt_set_log_callback(capture, &c);
    drt_model *m = load(cfg);
    CHECK(m && c.warnings == 1 && strstr(c.text, "frobnicate"), "the unknown key's warning: %s", c.text);
    c.text[0] = '\0';
    int all = m ? int8_convs(m, "none", &c) : -1;
    CHECK(c.infos > 0 && strstr(c.text, "I|cpu engine: int8") && c.newlines == 0, "verbose lines, one a message: %s", c.text);
    CHECK(strstr(c.text, "int8 calibration"), "the calibration notice (images used): %s", c.text);
    int def = m ? int8_convs(m, NULL, &c) : -1;
    CHECK(all == 2 && def == 1, "int8_keep none: %d int8 convs (want 2); default heads,dw: %d (want 1)", all, def);
    int heads = m ? int8_convs(m, "heads", &c) : -1, first = m ? int8_convs(m, "first,heads", &c) : -1;
    CHECK(heads == 1 && first == 0, "heads: %d (want 1), first,heads: %d (want 0)", heads, first);
    fflush(stderr);
    long quiet = ftell(stderr);
    CHECK(quiet == 0, "nothing on stderr while the callback is set (%ld bytes)", quiet);

    drt_set_log_callback(NULL, NULL);
    drt_model_free(load(cfg));
    fflush(stderr);
    dup2(saved, 2);
    f = fopen(err, "r");
    char line[512] = "";
    if (f && !fgets(line, sizeof line, f)) line[0] = '\0';
    if (f) fclose(f);
    CHECK(strstr(line, "darkrt: warning: ") && strstr(line, "frobnicate"), "without a callback: stderr: %s", line);

    drt_model_free(m);
    remove(cfg);
    remove(err);
    rmdir(dir);
    return DONE();
}
