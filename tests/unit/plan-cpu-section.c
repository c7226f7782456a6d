/* The CPU section of a plan is written field by field (issue 17: a file format, not a struct dump). On a
 * yolo-fastest-1.1 fp32 CPU plan (real weights):
 * - the section is exactly the documented layout (cpu-plan-blob.c), walked here independently: magic
 *   DRTCPU02, eight uint32, per layer int32 impl_index, int32 precision and a counted name, then one
 *   float32 step per tensor, ending at the section's end;
 * - the engine loaded from the plan gives the built engine's heads bit for bit on the same input, and saved
 *   again it is the same file, byte for byte;
 * - a format-1 section, and fields out of range (checksum rewritten, so the section's reader is what
 *   refuses), give one error naming the field: precision, impl_index, a name's length, channel_steps (and the
 *   bias corrections or ranges it announces), the layer count, a tensor step. */
#include "darkrt.h"
#include "engine/plan.h"
#include "graph/model.h"
#include "test-models.h"
#include "unit/check.h"
#include "unit/file-bytes.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static uint32_t u32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t u64(const unsigned char *p) { return u32(p) | (uint64_t)u32(p + 4) << 32; }

/* Every head's floats after running e on input. */
static float *heads_of(drt_engine *e, const float *input, size_t *n)
{
    *n = 0;
    if (drt_engine_run(e, input, 1) != DRT_OK) return NULL;
    for (int h = 0; h < drt_engine_num_heads(e); h++) {
        drt_tensor_desc d;
        drt_engine_head(e, h, NULL, &d);
        *n += (size_t)d.c * d.h * d.w;
    }
    float *out = malloc(*n * sizeof *out), *p = out;
    for (int h = 0; out && h < drt_engine_num_heads(e); h++) {
        const float *data;
        drt_tensor_desc d;
        drt_engine_head(e, h, &data, &d);
        memcpy(p, data, (size_t)d.c * d.h * d.w * sizeof *p);
        p += (size_t)d.c * d.h * d.w;
    }
    return out;
}

static const unsigned char *plan;
static size_t n_plan;
static const char *bad;

/* The plan with v written at `at` (checksum rewritten): loaded on the CPU, refused with want in one line. */
static void refused(const char *what, size_t at, const void *v, size_t vn, const char *want)
{
    CHECK(write_changed_plan(bad, plan, n_plan, at, v, vn, 1) == 0, "%s: not written", bad);
    drt_engine *e = NULL;
    drt_status s = drt_engine_load_plan(bad, NULL, &e);
    const char *err = s == DRT_OK ? "loaded" : drt_last_error();
    CHECK(s != DRT_OK && strstr(err, want) && !strchr(err, '\n'), "%s: want '%s', got: %s", what, want, err);
    drt_engine_free(e);
}

int main(void)
{
    drt_model *m = load_yolo_fastest();
    if (!m) {
        printf("skip: yolo-fastest-1.1 not found: %s\n", drt_last_error());
        return 77;
    }
    char path[64], again[64], badp[64];
    snprintf(path, sizeof path, "/tmp/plan-cpu-section-%d.plan", (int)getpid());
    snprintf(again, sizeof again, "/tmp/plan-cpu-section-%d-again.plan", (int)getpid());
    snprintf(badp, sizeof badp, "/tmp/plan-cpu-section-%d-bad.plan", (int)getpid());
    bad = badp;
    drt_engine_opts o = drt_engine_opts_default();
    o.device = DRT_DEVICE_CPU;
    o.threads = 1;
    drt_engine *built = NULL, *loaded = NULL;
    CHECK(drt_engine_create(m, &o, &built) == DRT_OK && drt_engine_save_plan(built, path) == DRT_OK, "build: %s", drt_last_error());
    size_t n = 0;
    unsigned char *file = read_all(path, &n);
    CHECK(file && n > 112, "plan %s: not read", path);
    if (!file || !built) return DONE();
    plan = file, n_plan = n;

    /* the documented layout, walked */
    size_t off = (size_t)u64(file + 80), size = (size_t)u64(file + 88), end = off + size;
    const unsigned char *s = file + off;
    int nl = m->n_layers;
    CHECK(size >= 40 && !memcmp(s, "DRTCPU02", 8), "section at %zu (%zu bytes): magic %.8s", off, size, s);
    CHECK(u32(s + 8 + 4 * 4) == DRT_PREC_FP32 && u32(s + 8 + 5 * 4) == (uint32_t)nl && u32(s + 8 + 6 * 4) == (uint32_t)nl + 1 &&
              u32(s + 8 + 7 * 4) == 0, "header: precision %u, %u layers, %u tensors, channel_steps %u", u32(s + 24), u32(s + 28),
          u32(s + 32), u32(s + 36));
    size_t at = off + 40, prec_at = 0, index_at = 0, name_at = 0;
    int named = 0;
    for (int i = 0; i < nl && at + 12 <= end; i++) {
        int32_t idx = (int32_t)u32(file + at), prec = (int32_t)u32(file + at + 4);
        uint32_t len = u32(file + at + 8);
        CHECK(idx >= -1 && idx <= 64 && prec == DRT_PREC_FP32 && len <= 47, "layer %d: impl_index %d, precision %d, name of %u bytes",
              i, idx, prec, len);
        if (len && !named) { /* the first conv's: a real oneDNN name, printable */
            named = 1, prec_at = at + 4, index_at = at, name_at = at + 8;
            for (uint32_t k = 0; k < len; k++) CHECK(file[at + 12 + k] >= ' ' && file[at + 12 + k] < 127, "layer %d: name byte %u", i, k);
        }
        at += 12 + (len <= 47 ? len : 0);
    }
    CHECK(named, "no layer names an implementation");
    size_t steps_at = at;
    for (int t = 0; t < nl + 1 && at + 4 <= end; t++, at += 4) {
        float f;
        memcpy(&f, file + at, 4);
        CHECK(isfinite(f) && f > 0, "tensor %d: step %g", t, f);
    }
    CHECK(at == end, "the layout ends at %zu, the section at %zu", at, end);

    /* the loaded engine: same heads, same file */
    CHECK(drt_engine_load_plan(path, &o, &loaded) == DRT_OK, "load: %s", drt_last_error());
    size_t ni = (size_t)m->channels * m->height * m->width, na = 0, nb = 0;
    float *input = malloc(ni * sizeof *input);
    for (size_t i = 0; i < ni; i++) input[i] = (float)((i * 2654435761u) % 1000) / 1000.f;
    float *a = heads_of(built, input, &na), *b = loaded ? heads_of(loaded, input, &nb) : NULL;
    CHECK(a && b && na == nb && !memcmp(a, b, na * sizeof *a), "heads of the loaded engine differ from the built one's");
    CHECK(loaded && drt_engine_save_plan(loaded, again) == DRT_OK, "save again: %s", drt_last_error());
    size_t n2 = 0;
    unsigned char *file2 = read_all(again, &n2);
    CHECK(file2 && n2 == n && !memcmp(file, file2, n), "saved again: %zu bytes, %s", n2, file2 && n2 == n ? "different" : "other size");

    /* refusals */
    refused("format 1", off, "DRTCPU01", 8, "cpu section of format 1 (records as structs): this darkrt reads format 2: rebuild the plan");
    uint32_t v = 7;
    refused("precision 7", prec_at, &v, 4, "precision=7: must be fp32");
    v = 100;
    refused("impl_index 100", index_at, &v, 4, "impl_index=100: must be -1..64");
    v = 48;
    refused("name of 48 bytes", name_at, &v, 4, "implementation name of 48 bytes: at most 47");
    v = 0xfffffff0u;
    refused("name of 4 GB", name_at, &v, 4, "implementation name of 4294967280 bytes");
    v = 8;
    refused("channel_steps 8", off + 36, &v, 4, "channel_steps 8: must be 0..7");
    v = 4; /* asym ranges announced, none stored */
    refused("channel_steps 4", off + 36, &v, 4, "ends in its ranges");
    v = 2; /* bias corrections announced, none stored */
    refused("channel_steps 2", off + 36, &v, 4, "ends in its bias corrections");
    v = (uint32_t)nl + 1;
    refused("a layer more", off + 28, &v, 4, "do not match the model's");
    float nan = NAN;
    refused("NaN step", steps_at + 4, &nan, 4, "tensor 1 has quantization step nan");

    free(a), free(b), free(input), free(file), free(file2);
    drt_engine_free(built);
    drt_engine_free(loaded);
    drt_model_free(m);
    unlink(path), unlink(again), unlink(badp);
    return DONE();
}
