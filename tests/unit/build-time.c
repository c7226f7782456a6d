/* Building is linear in the layer count (issue 19 item 5). Chains of 5,000, 10,000 and 20,000 layers (darkrt's
 * limit, DRT_MAX_LAYERS) are loaded from a cfg, built into a reference and a CPU engine, exported to ONNX and read
 * back; for each step, 4 times the layers may cost at most 8 times the time: linear is 4x, quadratic 16x, and 8x
 * is their geometric middle, so a busy machine may slow either end by 2x without a false alarm (best of 5 runs;
 * times under 0.05 s count as 0.05 s). Times are the process's CPU time, not wall time: at load 11 on 2 cores, the
 * time slices that other processes took made one doubling cost more than 2.5x its wall time. CPU time still
 * varies with the neighbours' cache and memory traffic: a check on each doubling at 2.5x failed in CI once
 * (onnx 10k -> 20k: 0.092 -> 0.265 s, 0.19 s alone), hence the wider span and margin. The layers stay live (a
 * [yolo] head at the end) and every third is a shortcut, so that every pass and the memory plan see them.
 * Before: the graph passes asked every layer for each tensor's readers, and memplan compared each buffer with
 * every other one (5k/10k/20k layers: 0.97/2.56/13.2 s for `darkrt build`, release build), and the ONNX
 * importer inferred every shape again for each node it added (20k nodes: 13 s under ASan). */
#include "darkrt.h"
#include "unit/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* CPU milliseconds of this process (every step runs on one thread) */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

enum { STEP_LOAD, STEP_REF, STEP_CPU, STEP_ONNX, N_STEPS };
static const char *const step_names[N_STEPS] = {"cfg load", "ref engine", "cpu engine", "onnx export + import"};

static int write_chain(const char *path, int layers)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "[net]\nwidth=8\nheight=8\nchannels=3\n");
    for (int i = 0; i < layers - 2; i++) {
        if (i % 3 == 2) fprintf(f, "\n[shortcut]\nfrom=-2\nactivation=linear\n");
        else fprintf(f, "\n[maxpool]\nsize=1\nstride=1\n");
    }
    fprintf(f, "\n[convolutional]\nfilters=18\nsize=1\nstride=1\nactivation=linear\n"
               "\n[yolo]\nmask=0,1,2\nanchors=2,3, 4,5, 8,9\nclasses=1\nnum=3\n");
    return fclose(f);
}

/* Seconds of each step for one chain: the best of `runs`. */
static int time_steps(const char *dir, int layers, int runs, double best[N_STEPS])
{
    char cfg[300], onnx[300];
    snprintf(cfg, sizeof cfg, "%s/chain.cfg", dir);
    snprintf(onnx, sizeof onnx, "%s/chain.onnx", dir);
    if (write_chain(cfg, layers) != 0) return -1;
    for (int k = 0; k < N_STEPS; k++) best[k] = 1e30;
    drt_engine_opts o = drt_engine_opts_default();
    o.threads = 1;
    for (int r = 0; r < runs; r++) {
        double t[N_STEPS + 1];
        drt_model *m = NULL, *back = NULL;
        drt_engine *ref = NULL, *cpu = NULL;
        drt_status s;
        t[0] = cpu_ms();
        s = drt_model_load_darknet(cfg, NULL, NULL, &m);
        t[1] = cpu_ms();
        o.device = DRT_DEVICE_REF;
        if (s == DRT_OK) s = drt_engine_create(m, &o, &ref);
        t[2] = cpu_ms();
        o.device = DRT_DEVICE_CPU;
        if (s == DRT_OK) s = drt_engine_create(m, &o, &cpu);
        t[3] = cpu_ms();
        if (s == DRT_OK) s = drt_model_export_onnx(m, onnx, NULL);
        if (s == DRT_OK) s = drt_model_load_onnx(onnx, NULL, &back);
        t[4] = cpu_ms();
        CHECK(s == DRT_OK, "%d layers: %s", layers, drt_last_error());
        CHECK(s != DRT_OK || drt_model_num_layers(back) >= layers, "%d layers: the ONNX holds %d", layers,
              drt_model_num_layers(back));
        drt_model_free(back);
        drt_engine_free(cpu);
        drt_engine_free(ref);
        drt_model_free(m);
        if (s != DRT_OK) return -1;
        for (int k = 0; k < N_STEPS; k++)
            if ((t[k + 1] - t[k]) / 1e3 < best[k]) best[k] = (t[k + 1] - t[k]) / 1e3;
    }
    unlink(cfg);
    unlink(onnx);
    return 0;
}

int main(void)
{
    char dir[] = "/tmp/drt-build-time-XXXXXX";
    if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
    static const int sizes[] = {5000, 10000, 20000};
    enum { N_SIZES = sizeof sizes / sizeof sizes[0] };
    double secs[N_SIZES][N_STEPS];
    int ok = 1;
    for (int i = 0; ok && i < N_SIZES; i++) {
        ok = time_steps(dir, sizes[i], 5, secs[i]) == 0;
        if (!ok) break;
        printf("%6d layers:", sizes[i]);
        for (int k = 0; k < N_STEPS; k++) printf("  %s %.3f s", step_names[k], secs[i][k]);
        printf("\n");
    }
    rmdir(dir);
    for (int k = 0; ok && k < N_STEPS; k++) {
        /* under 0.05 s a busy machine's noise decides (the quadratic steps took seconds) */
        double first = secs[0][k] > .05 ? secs[0][k] : .05, last = secs[N_SIZES - 1][k];
        CHECK(last / first <= 8, "%s: %d -> %d layers took %.2fx the time (%.3f -> %.3f s): not linear", step_names[k],
              sizes[0], sizes[N_SIZES - 1], last / first, secs[0][k], last);
    }
    return DONE();
}
