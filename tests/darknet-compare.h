/* Helpers shared by the programs that run a Darknet build beside darkrt (tests/golden/darknet-heads.c,
 * darknet-parse.c and darknet-weights.c against Debian's libdarknet, tests/alexeyab/ab-compare.c against AlexeyAB's). */
#ifndef TESTS_DARKNET_COMPARE_H
#define TESTS_DARKNET_COMPARE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Copies cfg with [net] batch=1, subdivisions=1 and, when w (h) > 0, width = w (height = h)
 * (Darknet allocates outputs for the cfg's batch; yolov3.cfg says 608). */
static inline int write_cfg_wh(const char *src, int w, int h, const char *dst)
{
    FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
    if (!in || !out) {
        printf("FAIL cannot copy %s to %s\n", src, dst);
        if (in) fclose(in);
        if (out) fclose(out);
        return -1;
    }
    char line[8192];
    int in_net = 0;
    while (fgets(line, sizeof line, in)) {
        if (line[0] == '[') in_net = !strncmp(line, "[net]", 5);
        if (in_net && (!strncmp(line, "batch", 5) || !strncmp(line, "subdivisions", 12)))
            snprintf(line, sizeof line, "%s=1\n", line[0] == 'b' ? "batch" : "subdivisions");
        else if (in_net && w > 0 && !strncmp(line, "width", 5))
            snprintf(line, sizeof line, "width=%d\n", w);
        else if (in_net && h > 0 && !strncmp(line, "height", 6))
            snprintf(line, sizeof line, "height=%d\n", h);
        fputs(line, out);
    }
    fclose(in);
    return fclose(out) == 0 ? 0 : -1;
}

/* The same with width = height = size (size > 0). */
static inline int write_cfg(const char *src, int size, const char *dst) { return write_cfg_wh(src, size, size, dst); }

/* Deterministic pixels in [0,1) (splitmix64, as `darkrt run --random`). */
static inline void random_input(float *x, size_t n, uint64_t state)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        x[i] = (float)((z ^ (z >> 31)) >> 40) * (1.f / 16777216.f);
    }
}

#endif
