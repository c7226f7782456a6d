/* int8 convs are timed at any size (src/backend/cpu/cpu-conv.c's pick): yolo-fastest-1.1 (real weights) with
 * every conv but the heads in int8, one calibration, built twice: untuned (oneDNN's first implementation per
 * conv) and tuned (the fastest of its ISA tier). Every int8 conv of the tuned engine was timed, and the two
 * engines' heads are the same bytes on three inputs: the choice changes speed only (the int8 plans that
 * bench/results/int8-accuracy.md scores stay valid). */
#include "backend/cpu/cpu.h"
#include "engine/calib.h"
#include "graph/model.h"
#include "engine-heads.h"
#include "test-models.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Heads of e with state st for an input of seed s, into a fresh buffer (NULL on failure). */
static float *heads_of(drt_engine *e, cpu_state *st, const float *in, size_t *n_out)
{
    e->impl = st;
    if (drt_engine_run(e, in, 1) != DRT_OK) return NULL;
    size_t n = heads_floats(e);
    float *out = malloc(n * sizeof *out);
    if (out) take_heads(e, NULL, 1, out);
    *n_out = n;
    return out;
}

int main(void)
{
    drt_model *m = NULL;
    int rc = load_yolo_fastest_with_samples(&m);
    if (rc) return rc;
    char dir[] = "/tmp/drt-int8-tune-XXXXXX";
    int fails = calib_photos_link(dir) != 0;
    drt_engine_opts o = drt_engine_opts_default();
    o.no_tune = 1;
    o.precision = DRT_PREC_INT8;
    o.calib_dir = dir;
    o.int8_keep = "heads";
    drt_engine *e = NULL;
    float *steps = NULL, *csteps = NULL;
    cpu_state *untuned = NULL, *tuned = NULL;
    fails += fails || drt_engine_create(m, &o, &e) != DRT_OK ||
             drt_calibrate_tensor_steps(m, &o, dir, NULL, &steps) != DRT_OK;
    cpu_state *own = fails ? NULL : e->impl;
    if (own && own->cstep) { /* the engine's steps per channel, for both states */
        size_t n = drt_calib_channel_offset(m, m->n_layers + 1);
        if ((csteps = malloc(n * sizeof *csteps))) memcpy(csteps, own->cstep, n * sizeof *csteps);
    }
    fails += fails || drt_cpu_state_create(m, &o, NULL, steps, csteps, NULL, NULL, NULL, &untuned) != DRT_OK;
    o.no_tune = 0;
    fails += fails || drt_cpu_state_create(m, &o, NULL, steps, csteps, NULL, NULL, NULL, &tuned) != DRT_OK;
    if (fails) {
        printf("FAIL: engines: %s\n", drt_last_error());
        return 1;
    }
    int n8 = 0, timed = 0, other = 0;
    for (int i = 0; i < tuned->g->n; i++) {
        const cpu_conv *c = tuned->conv[i];
        if (!c || c->prec != DRT_PREC_INT8) continue;
        n8++;
        timed += c->ms > 0;
        other += strcmp(c->impl, untuned->conv[i]->impl) != 0;
    }
    printf("%s %d of %d int8 convs timed; %d picked another implementation than oneDNN's first\n",
           n8 > 60 && timed == n8 ? "ok  " : "FAIL", timed, n8, other);
    fails += !(n8 > 60 && timed == n8);
    size_t n = (size_t)3 * drt_model_width(m) * drt_model_height(m);
    float *in = malloc(n * sizeof *in);
    for (int s = 0; s < 3; s++) {
        for (size_t i = 0; i < n; i++) in[i] = (float)(((i + (size_t)s * 7919) * 2654435761u) % 1000) / 1000.f;
        size_t na = 0, nb = 0;
        float *a = heads_of(e, untuned, in, &na), *b = heads_of(e, tuned, in, &nb);
        int same = a && b && na == nb && !memcmp(a, b, na * sizeof *a);
        printf("%s input %d: heads of the tuned and untuned engines %s\n", same ? "ok  " : "FAIL", s, same ? "identical" : "differ");
        fails += !same;
        free(a);
        free(b);
    }
    e->impl = own;
    free(in);
    free(steps);
    free(csteps);
    drt_cpu_state_free(untuned);
    drt_cpu_state_free(tuned);
    drt_engine_free(e);
    calib_photos_remove(dir);
    drt_model_free(m);
    printf("%s\n", fails ? "FAILED" : "all checks passed");
    return fails ? 1 : 0;
}
