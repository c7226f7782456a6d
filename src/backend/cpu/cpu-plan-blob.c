/* The CPU engine's section of a plan: the oneDNN version, the CPU features the chosen
 * implementations need, each conv's implementation and precision, each tensor's int8 step and,
 * when the header's channel_steps is 1, each channel's (engine/calib.h's layout).
 * Weights are not stored twice: they are re-laid out from the plan's model at load. */
#include "backend/cpu/cpu.h"
#include "backend/cpu/cpu-features.h"
#include "core/error.h"
#include "engine/calib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLOB_MAGIC "DRTCPU01"

typedef struct blob_header {
    char magic[8];
    uint32_t dnnl_major, dnnl_minor, dnnl_patch;
    uint32_t features;
    uint32_t precision;
    uint32_t n_layers, n_tensors;
    uint32_t channel_steps; /* 0 (plans before it: the field was reserved, 0) or 1 */
} blob_header;

/* The section is these records as stored (little endian, plan.c): fixed-width fields, no padding, no pointers. */
_Static_assert(sizeof(blob_header) == 40 && sizeof(cpu_choice) == 56, "cpu plan records must have no padding");

static int finite_steps(const float *s, size_t n, size_t *bad)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(s[i]) || s[i] <= 0 || s[i] > 1e30f) {
            *bad = i;
            return 0;
        }
    return 1;
}

drt_status drt_cpu_serialize(const cpu_state *st, void **blob_out, size_t *size_out)
{
    size_t nl = (size_t)st->g->n, nt = (size_t)st->g->nt, nc = st->cstep ? drt_calib_channel_offset(st->m, (int)nt) : 0;
    size_t size = sizeof(blob_header) + sizeof(cpu_choice) * nl + sizeof(float) * (nt + nc);
    char *b = calloc(1, size);
    if (!b) return drt_error(DRT_STATUS_OOM, "cpu plan: out of memory");
    blob_header h = {.features = st->features, .precision = (uint32_t)st->opts.precision,
                     .n_layers = (uint32_t)nl, .n_tensors = (uint32_t)nt, .channel_steps = st->cstep != NULL};
    memcpy(h.magic, BLOB_MAGIC, 8);
    const dnnl_version_t *v = dnnl_version();
    h.dnnl_major = (uint32_t)v->major;
    h.dnnl_minor = (uint32_t)v->minor;
    h.dnnl_patch = (uint32_t)v->patch;
    memcpy(b, &h, sizeof h);
    memcpy(b + sizeof h, st->choice, sizeof(cpu_choice) * nl);
    memcpy(b + sizeof h + sizeof(cpu_choice) * nl, st->step, sizeof(float) * nt);
    if (nc) memcpy(b + sizeof h + sizeof(cpu_choice) * nl + sizeof(float) * nt, st->cstep, sizeof(float) * nc);
    *blob_out = b;
    *size_out = size;
    return DRT_OK;
}

static drt_status header_of(const void *blob, size_t size, const char *where, blob_header *h)
{
    if (!blob || size < sizeof *h) return drt_error(DRT_STATUS_FORMAT, "%s: cpu section of %zu bytes: too short", where, size);
    memcpy(h, blob, sizeof *h);
    if (memcmp(h->magic, BLOB_MAGIC, 8)) return drt_error(DRT_STATUS_FORMAT, "%s: cpu section: bad magic (not a darkrt CPU plan)", where);
    return DRT_OK;
}

drt_status drt_cpu_check_plan(const void *blob, size_t size, const char *plan_path)
{
    blob_header h;
    DRT_TRY(header_of(blob, size, plan_path, &h));
    const dnnl_version_t *v = dnnl_version();
    if (h.dnnl_major != (uint32_t)v->major || h.dnnl_minor != (uint32_t)v->minor || h.dnnl_patch != (uint32_t)v->patch)
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: built with oneDNN %u.%u.%u, this darkrt uses %d.%d.%d: rebuild the plan",
                         plan_path, h.dnnl_major, h.dnnl_minor, h.dnnl_patch, v->major, v->minor, v->patch);
    unsigned missing = h.features & ~drt_cpu_apply_isa_cap();
    if (missing) {
        char a[128], b[128];
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: built for a CPU with %s; this CPU (or DRT_CPU_ISA) lacks %s: rebuild the plan on this machine",
                         plan_path, drt_cpu_features_str(h.features, a, sizeof a), drt_cpu_features_str(missing, b, sizeof b));
    }
    return DRT_OK;
}

drt_status drt_cpu_parse_blob(const void *blob, size_t size, const drt_model *m, cpu_choice **choices_out,
                              float **steps_out, float **channel_steps_out, unsigned *features_out)
{
    *choices_out = NULL;
    *steps_out = NULL;
    *channel_steps_out = NULL;
    blob_header h;
    DRT_TRY(header_of(blob, size, "plan", &h));
    size_t nl = h.n_layers, nt = h.n_tensors;
    if (h.channel_steps > 1) return drt_error(DRT_STATUS_FORMAT, "plan: cpu section: channel_steps %u: must be 0 or 1", h.channel_steps);
    size_t nc = h.channel_steps && nl == (size_t)m->n_layers ? drt_calib_channel_offset(m, (int)nl + 1) : 0;
    if (nl != (size_t)m->n_layers || nt != nl + 1 || size != sizeof h + sizeof(cpu_choice) * nl + sizeof(float) * (nt + nc))
        return drt_error(DRT_STATUS_FORMAT, "plan: cpu section: %zu layers / %zu bytes do not match the model's %d layers",
                         nl, size, m->n_layers);
    cpu_choice *c = malloc(sizeof *c * (nl ? nl : 1));
    float *s = malloc(sizeof *s * (nt + nc));
    if (!c || !s) {
        free(c);
        free(s);
        return drt_error(DRT_STATUS_OOM, "plan: out of memory");
    }
    memcpy(c, (const char *)blob + sizeof h, sizeof *c * nl);
    memcpy(s, (const char *)blob + sizeof h + sizeof *c * nl, sizeof *s * (nt + nc));
    for (size_t i = 0; i < nl; i++) {
        c[i].impl[sizeof c[i].impl - 1] = '\0';
        if (c[i].prec != DRT_PREC_FP32 && c[i].prec != DRT_PREC_BF16 && c[i].prec != DRT_PREC_INT8) c[i].prec = DRT_PREC_FP32;
        if (c[i].impl_index < 0 || c[i].impl_index > 64) c[i].impl[0] = '\0';
    }
    size_t bad = 0;
    if (!finite_steps(s, nt + nc, &bad)) {
        double v = s[bad];
        free(c);
        free(s);
        return bad < nt ? drt_error(DRT_STATUS_FORMAT, "plan: cpu section: tensor %zu has quantization step %g: must be finite and > 0", bad, v)
                        : drt_error(DRT_STATUS_FORMAT, "plan: cpu section: channel step %zu is %g: must be finite and > 0", bad - nt, v);
    }
    *choices_out = c;
    *steps_out = s; /* the channel steps follow the tensors' in the same allocation: copied apart */
    if (nc && !(*channel_steps_out = malloc(sizeof(float) * nc))) {
        free(c);
        free(s);
        *choices_out = NULL;
        *steps_out = NULL;
        return drt_error(DRT_STATUS_OOM, "plan: out of memory");
    }
    if (nc) memcpy(*channel_steps_out, s + nt, sizeof(float) * nc);
    if (features_out) *features_out = h.features;
    return DRT_OK;
}
