/* Winograd convs run from several contexts at once give each context the heads the engine gives serially.
 * Their oneDNN matmul once used the library's own scratchpad, one for every caller: with contexts running
 * together (detect --workers 3 on yolov3-tiny) all but one got garbage, 300 boxes at 100%. 4 threads, a
 * context each, each running 6 different inputs, heads compared bit for bit with the engine's serial runs;
 * the matmul at 52x52 tiles of 64 channels (a scratchpad of its own there). Skips (77) without AVX-512,
 * where darkrt has no Winograd. */
#include "backend/cpu/cpu.h"
#include "darkrt.h"
#include "test-models.h"
#include "unit/check.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { S = 208, THREADS = 4, RUNS = 6, IN = 3 * S * S };

static const char cfg_text[] = "[net]\nwidth=208\nheight=208\nchannels=3\n"
                               "[convolutional]\nbatch_normalize=1\nsize=3\nstride=2\npad=1\nfilters=32\nactivation=leaky\n"
                               "[convolutional]\nbatch_normalize=1\nsize=3\nstride=1\npad=1\nfilters=64\nactivation=leaky\n"
                               "[convolutional]\nbatch_normalize=1\nsize=3\nstride=1\npad=1\nfilters=64\nactivation=leaky\n"
                               "[convolutional]\nsize=1\nstride=1\npad=0\nfilters=18\nactivation=linear\n"
                               "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n";

typedef struct job {
    drt_engine *e;
    const float *in;   /* THREADS x RUNS inputs */
    const float *want; /* their heads from the engine's own serial runs */
    size_t head;       /* floats of one head */
    int id, wrong, err;
} job;

static void *run_context(void *p)
{
    job *j = p;
    drt_context *c = NULL;
    if (drt_context_create(j->e, &c) != DRT_OK) { j->err = 1; return NULL; }
    for (int r = 0; r < RUNS; r++) {
        int k = j->id * RUNS + r;
        const float *h;
        drt_tensor_desc d;
        if (drt_context_run(c, j->in + (size_t)k * IN, 1) != DRT_OK || drt_context_head(c, 0, &h, &d) != DRT_OK) {
            j->err = 1;
            break;
        }
        j->wrong += memcmp(h, j->want + (size_t)k * j->head, j->head * sizeof *h) != 0;
    }
    drt_context_free(c);
    return NULL;
}

int main(void)
{
    if (!drt_cpu_wino_allowed()) {
        printf("skip: no AVX-512 (darkrt's Winograd needs it)\n");
        return 77;
    }
    char dir[] = "/tmp/drt-wino-ctx-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    drt_model *m = load_cfg_text(dir, "w.cfg", cfg_text, 5);
    CHECK(m != NULL, "model: %s", drt_last_error());
    drt_engine_opts o = drt_engine_opts_default();
    o.winograd = DRT_WINOGRAD_FORCE;
    o.threads = 1;
    drt_engine *e = NULL;
    CHECK(!m || drt_engine_create(m, &o, &e) == DRT_OK, "engine: %s", drt_last_error());
    float *in = malloc(sizeof(float) * IN * THREADS * RUNS), *want = NULL;
    size_t head = 0;
    if (e && in) {
        const cpu_state *st = e->impl;
        int wino = 0;
        for (int i = 0; i < st->g->n; i++) wino += st->conv[i] && st->conv[i]->wino;
        CHECK(wino == 2, "%d convs run by Winograd, want 2 (the 3x3 stride-1 ones): the case is not tested", wino);
        for (size_t k = 0; k < (size_t)IN * THREADS * RUNS; k++) in[k] = (float)((k * 2654435761u >> 7) & 1023) / 1023.f;
        const float *h;
        drt_tensor_desc d;
        for (int k = 0; k < THREADS * RUNS; k++) {
            CHECK(drt_engine_run(e, in + (size_t)k * IN, 1) == DRT_OK && drt_engine_head(e, 0, &h, &d) == DRT_OK, "run: %s",
                  drt_last_error());
            if (!want) {
                head = (size_t)d.c * d.h * d.w;
                want = malloc(sizeof(float) * head * THREADS * RUNS);
                if (!want) break;
            }
            memcpy(want + (size_t)k * head, h, head * sizeof *h);
        }
    }
    if (want) {
        job jobs[THREADS];
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++) {
            jobs[i] = (job){e, in, want, head, i, 0, 0};
            CHECK(pthread_create(&t[i], NULL, run_context, &jobs[i]) == 0, "thread");
        }
        for (int i = 0; i < THREADS; i++) {
            pthread_join(t[i], NULL);
            CHECK(!jobs[i].err, "context %d: %s", i, drt_last_error());
            CHECK(jobs[i].wrong == 0, "context %d: %d of %d runs' heads differ from the engine's serial runs", i,
                  jobs[i].wrong, RUNS);
        }
        if (!failures) printf("%d contexts x %d runs at once, Winograd convs: heads equal to serial runs\n", THREADS, RUNS);
    }
    free(in);
    free(want);
    drt_engine_free(e);
    drt_model_free(m);
    remove_cfg_dir(dir, "w.cfg");
    return DONE();
}
