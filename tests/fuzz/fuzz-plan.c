/* libFuzzer target: the engine plan loader (drt_engine_load_plan), then one run when small.
 * Plans carry an xxh64 checksum of the whole file: a mutated input would stop there, so the target
 * writes the right checksum into inputs that start like a plan (the checksum check itself is covered by
 * tests/cli/robust-bad-inputs.sh's flipped bytes), and the loader's structural checks get fuzzed. */
#ifndef FUZZ_PLAN_C /* fuzz-plan-header.c builds on it */
#define FUZZ_PLAN_C
#include "fuzz-common.h"

/* src/engine/plan.c's header: magic[8], format, header_size, version[16], 8 x u32, 5 x u64, checksum. */
#define FUZZ_PLAN_CHECKSUM_AT 104
#define FUZZ_PLAN_HEADER 112

static const uint64_t fuzz_p1 = 11400714785074694791ull, fuzz_p2 = 14029467366897019727ull,
                      fuzz_p3 = 1609587929392839161ull, fuzz_p4 = 9650029242287828579ull,
                      fuzz_p5 = 2870177450012600261ull;
static uint64_t fuzz_rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static uint64_t fuzz_round(uint64_t acc, uint64_t in) { return fuzz_rotl(acc + in * fuzz_p2, 31) * fuzz_p1; }
static uint64_t fuzz_merge(uint64_t acc, uint64_t v) { return (acc ^ fuzz_round(0, v)) * fuzz_p1 + fuzz_p4; }
static uint64_t fuzz_rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t fuzz_rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* XXH64 (Yann Collet), as plan.c computes it. */
static uint64_t fuzz_xxh64(const uint8_t *p, size_t n, uint64_t seed)
{
    const uint8_t *end = p + n;
    uint64_t h;
    if (n >= 32) {
        uint64_t v1 = seed + fuzz_p1 + fuzz_p2, v2 = seed + fuzz_p2, v3 = seed, v4 = seed - fuzz_p1;
        for (; p + 32 <= end; p += 32) {
            v1 = fuzz_round(v1, fuzz_rd64(p));
            v2 = fuzz_round(v2, fuzz_rd64(p + 8));
            v3 = fuzz_round(v3, fuzz_rd64(p + 16));
            v4 = fuzz_round(v4, fuzz_rd64(p + 24));
        }
        h = fuzz_rotl(v1, 1) + fuzz_rotl(v2, 7) + fuzz_rotl(v3, 12) + fuzz_rotl(v4, 18);
        h = fuzz_merge(fuzz_merge(fuzz_merge(fuzz_merge(h, v1), v2), v3), v4);
    } else {
        h = seed + fuzz_p5;
    }
    h += n;
    for (; p + 8 <= end; p += 8) h = fuzz_rotl(h ^ fuzz_round(0, fuzz_rd64(p)), 27) * fuzz_p1 + fuzz_p4;
    if (p + 4 <= end) {
        h = fuzz_rotl(h ^ (fuzz_rd32(p) * fuzz_p1), 23) * fuzz_p2 + fuzz_p3;
        p += 4;
    }
    for (; p < end; p++) h = fuzz_rotl(h ^ (*p * fuzz_p5), 11) * fuzz_p1;
    h ^= h >> 33;
    h *= fuzz_p2;
    h ^= h >> 29;
    h *= fuzz_p3;
    h ^= h >> 32;
    return h;
}

static uint64_t fuzz_plan_checksum(const uint8_t *d, size_t n)
{
    uint64_t h = fuzz_xxh64(d, FUZZ_PLAN_CHECKSUM_AT, 0);
    return fuzz_xxh64(d + FUZZ_PLAN_CHECKSUM_AT + 8, n - FUZZ_PLAN_CHECKSUM_AT - 8, h);
}

static int fuzz_plan(const uint8_t *data, size_t size)
{
#ifdef FUZZ_SKIP_KNOWN /* exploration builds only: int8 quantization of NaN/denormal weights (reported) */
    if (size >= FUZZ_PLAN_HEADER && data[40] == 3) return 0;
#endif
    const uint8_t *input = data;
    uint8_t *fixed = NULL;
    if (size >= FUZZ_PLAN_HEADER && !memcmp(data, "DRTPLAN", 7)) {
        fixed = malloc(size);
        if (!fixed) return 0;
        memcpy(fixed, data, size);
        uint64_t ck = fuzz_plan_checksum(fixed, size);
        memcpy(fixed + FUZZ_PLAN_CHECKSUM_AT, &ck, 8);
        input = fixed;
    }
    const char *path = fuzz_write_file("input.plan", input, size);
    free(fixed);
    drt_engine_opts o = drt_engine_opts_default();
    o.threads = 1;
    /* A plan may describe a legitimately huge network (240 x 18944 pixels: 1.08 GB of activations
     * was found); the loader must refuse it by the caller's budget, before allocating. */
    o.max_activation_bytes = (size_t)256 << 20;
    drt_engine *e = NULL;
    drt_status s = drt_engine_load_plan(path, &o, &e);
    fuzz_check_result("plan load", s, e, path);
    drt_engine_memory mem = {0};
    if (e) drt_engine_memory_usage(e, &mem);
    if (mem.host_activations > o.max_activation_bytes)
        FUZZ_FAIL("plan loaded past the activation budget: %zu bytes of %zu", mem.host_activations, o.max_activation_bytes);
    if (e) {
        const drt_model *m = drt_engine_model(e);
        if (!m) FUZZ_FAIL("plan loaded without a model");
        drt_model_print(m, fuzz_devnull());
        if (fuzz_model_is_small(m)) fuzz_exercise_engine(e, m);
    }
    drt_engine_free(e);
    return 0;
}

#ifndef FUZZ_NO_MAIN
/* oneDNN keeps up to 1024 primitives (and their JIT code) in a process-wide cache: bounded, but
 * across millions of distinct plans it grows past libFuzzer's 2 GB RSS limit (seen after 61,842
 * executions). Fuzzing wants each input on its own: no cache. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    setenv("DNNL_PRIMITIVE_CACHE_CAPACITY", "0", 1);
    return 0;
}
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_plan(data, size); }
#endif
#endif
