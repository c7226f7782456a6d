/* The CPU engine's section of a plan: the oneDNN version, the CPU features the chosen
 * implementations need, each conv's implementation and precision, each tensor's int8 step and,
 * when the header's channel_steps has bit 0, each channel's, and with bit 1 each conv output
 * channel's bias correction (engine/calib.h's layout; cpu-bias.c), and with bit 2 each tensor's calibrated
 * [lo, hi] (u8 activations with a zero point: drt_engine_opts.int8_activations asym; a plan loads as built).
 * Weights are not stored twice: they are re-laid out from the plan's model at load. */
#include "backend/cpu/cpu.h"
#include "backend/cpu/cpu-features.h"
#include "core/error.h"
#include "engine/calib.h"
#include "engine/plan-io.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLOB_MAGIC "DRTCPU02" /* 01: the header and choices as fixed-width structs (refused: rebuild) */
#define MAX_IMPL ((uint32_t)sizeof(((cpu_choice *)0)->impl) - 1)

/* The section, field by field (little endian, fixed width; no struct is copied, so nothing depends on a
 * layout, padding or the host):
 *   magic (8 bytes); uint32: oneDNN major, minor, patch, CPU features, precision, n_layers, n_tensors,
 *   channel_steps (bits: 1 channel steps, 2 bias corrections, 4 ranges; plans before bias correction: 0 or 1); per
 *   layer: int32 impl_index (-1: none), int32 precision, the implementation's name (uint32 length, at most
 *   47, then its bytes); float32: n_tensors tensor steps, then the channel steps when bit 1 is set, then the
 *   bias corrections when bit 2 is (each engine/calib.h's layout), then n_tensors pairs lo, hi when bit 4 is. */
typedef struct blob_header {
    uint32_t dnnl_major, dnnl_minor, dnnl_patch, features, precision, n_layers, n_tensors, channel_steps;
} blob_header;

static void write_section(drt_wcur *w, const cpu_state *st, const blob_header *h, size_t nc, size_t nb, size_t nr)
{
    drt_put_bytes(w, BLOB_MAGIC, 8);
    uint32_t hf[] = {h->dnnl_major, h->dnnl_minor, h->dnnl_patch, h->features, h->precision, h->n_layers, h->n_tensors, h->channel_steps};
    for (size_t k = 0; k < sizeof hf / sizeof *hf; k++) drt_put32(w, hf[k]);
    for (uint32_t i = 0; i < h->n_layers; i++) {
        const cpu_choice *c = &st->choice[i];
        size_t len = strnlen(c->impl, MAX_IMPL);
        drt_put32(w, (uint32_t)c->impl_index);
        drt_put32(w, (uint32_t)c->prec);
        drt_put32(w, (uint32_t)len);
        drt_put_bytes(w, c->impl, len);
    }
    for (uint32_t i = 0; i < h->n_tensors; i++) drt_putf(w, st->step[i]);
    for (size_t i = 0; i < nc; i++) drt_putf(w, st->cstep[i]);
    for (size_t i = 0; i < nb; i++) drt_putf(w, st->bias_corr[i]);
    for (size_t i = 0; i < nr; i++) drt_putf(w, st->range[i]);
}

drt_status drt_cpu_serialize(const cpu_state *st, void **blob_out, size_t *size_out)
{
    size_t nl = (size_t)st->g->n, nt = (size_t)st->g->nt, nc = st->cstep ? drt_calib_channel_offset(st->m, (int)nt) : 0;
    size_t nb = st->bias_corr ? drt_calib_channel_offset(st->m, (int)nt) : 0, nr = st->range ? 2 * nt : 0;
    const dnnl_version_t *v = dnnl_version();
    blob_header h = {.dnnl_major = (uint32_t)v->major, .dnnl_minor = (uint32_t)v->minor, .dnnl_patch = (uint32_t)v->patch,
                     .features = st->features, .precision = (uint32_t)st->opts.precision, .n_layers = (uint32_t)nl,
                     .n_tensors = (uint32_t)nt, .channel_steps = (st->cstep != NULL) | (st->bias_corr != NULL) << 1 | (st->range != NULL) << 2};
    drt_wcur w = {NULL, 0};
    write_section(&w, st, &h, nc, nb, nr);
    unsigned char *b = malloc(w.off);
    if (!b) return drt_error(DRT_STATUS_OOM, "cpu plan: out of memory");
    size_t size = w.off;
    w = (drt_wcur){b, 0};
    write_section(&w, st, &h, nc, nb, nr);
    DRT_ASSERT(w.off == size);
    *blob_out = b;
    *size_out = size;
    return DRT_OK;
}

/* ---- reader: every field checked, one error naming it (plan-io.h) ---- */
static drt_status header_of(const void *blob, size_t size, const char *where, blob_header *h, drt_rcur *r)
{
    *r = (drt_rcur){blob, blob ? size : 0, 8, where, "cpu", "layer"};
    if (!blob || size < 8) return drt_error(DRT_STATUS_FORMAT, "%s: cpu section of %zu bytes: too short", where, size);
    if (!memcmp(blob, "DRTCPU01", 8))
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: cpu section of format 1 (records as structs): this darkrt reads format 2: rebuild the plan", where);
    if (memcmp(blob, BLOB_MAGIC, 8)) return drt_error(DRT_STATUS_FORMAT, "%s: cpu section: bad magic (not a darkrt CPU plan)", where);
    static const char *names[] = {"oneDNN major version", "oneDNN minor version", "oneDNN patch version", "CPU features",
                                  "precision", "layer count", "tensor count", "channel_steps"};
    uint32_t *f[] = {&h->dnnl_major, &h->dnnl_minor, &h->dnnl_patch, &h->features, &h->precision, &h->n_layers, &h->n_tensors, &h->channel_steps};
    for (size_t k = 0; k < sizeof f / sizeof *f; k++) DRT_TRY(drt_get32(r, f[k], names[k], -1));
    return DRT_OK;
}

drt_status drt_cpu_check_plan(const void *blob, size_t size, const char *plan_path)
{
    blob_header h;
    drt_rcur r;
    DRT_TRY(header_of(blob, size, plan_path, &h, &r));
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
                              float **steps_out, float **channel_steps_out, float **ranges_out, float **bias_corr_out,
                              unsigned *features_out)
{
    *choices_out = NULL;
    *steps_out = NULL;
    *channel_steps_out = NULL;
    *bias_corr_out = NULL;
    *ranges_out = NULL;
    blob_header h;
    drt_rcur r;
    DRT_TRY(header_of(blob, size, "plan", &h, &r));
    size_t nl = h.n_layers, nt = h.n_tensors;
    if (h.channel_steps > 7) return drt_error(DRT_STATUS_FORMAT, "plan: cpu section: channel_steps %u: must be 0..7", h.channel_steps);
    if (nl != (size_t)m->n_layers || nt != nl + 1)
        return drt_error(DRT_STATUS_FORMAT, "plan: cpu section: %zu layers and %zu tensors do not match the model's %d layers",
                         nl, nt, m->n_layers);
    size_t nch = drt_calib_channel_offset(m, (int)nl + 1), nc = h.channel_steps & 1 ? nch : 0, nb = h.channel_steps & 2 ? nch : 0;
    size_t nr = h.channel_steps & 4 ? 2 * nt : 0;
    cpu_choice *c = calloc(nl ? nl : 1, sizeof *c);
    float *s = malloc(sizeof *s * (nt + nc + nb + nr));
    float *cs = nc ? malloc(sizeof(float) * nc) : NULL, *bc = nb ? malloc(sizeof(float) * nb) : NULL;
    float *rg = nr ? malloc(sizeof(float) * nr) : NULL;
    drt_status st = c && s && (!nc || cs) && (!nb || bc) && (!nr || rg) ? DRT_OK : drt_error(DRT_STATUS_OOM, "plan: out of memory");
    uint32_t v;
    for (size_t i = 0; st == DRT_OK && i < nl; i++) {
        if ((st = drt_get32(&r, &v, "impl_index", (long)i)) != DRT_OK) break;
        c[i].impl_index = (int32_t)v;
        if (c[i].impl_index < -1 || c[i].impl_index > 64) {
            st = drt_error(DRT_STATUS_FORMAT, "plan: cpu section: layer %zu: impl_index=%d: must be -1..64", i, (int)c[i].impl_index);
            break;
        }
        if ((st = drt_get32(&r, &v, "precision", (long)i)) != DRT_OK) break;
        if (v != DRT_PREC_FP32 && v != DRT_PREC_BF16 && v != DRT_PREC_INT8) {
            st = drt_error(DRT_STATUS_FORMAT, "plan: cpu section: layer %zu: precision=%d: must be fp32 (%d), bf16 (%d) or int8 (%d)", i,
                           (int32_t)v, DRT_PREC_FP32, DRT_PREC_BF16, DRT_PREC_INT8);
            break;
        }
        c[i].prec = (int32_t)v;
        if ((st = drt_get32(&r, &v, "implementation name's length", (long)i)) != DRT_OK) break;
        const char *name;
        if ((st = drt_get_bytes(&r, v, MAX_IMPL, &name, "implementation name", (long)i)) != DRT_OK) break;
        memcpy(c[i].impl, name, v); /* calloc'd: terminated */
    }
    for (size_t i = 0; st == DRT_OK && i < nt + nc + nb + nr; i++) {
        if ((st = drt_get32(&r, &v, i < nt ? "tensor steps" : i < nt + nc ? "channel steps" : i < nt + nc + nb ? "bias corrections" : "ranges",
                            -1)) != DRT_OK)
            break;
        memcpy(&s[i], &v, 4);
        if (i >= nt + nc + nb) { /* lo <= 0 <= hi */
            size_t k = i - nt - nc - nb;
            if (!isfinite(s[i]) || fabsf(s[i]) > 1e30f || (k % 2 ? s[i] < 0 : s[i] > 0))
                st = drt_error(DRT_STATUS_FORMAT, "plan: cpu section: tensor %zu's range %s is %g: must be finite and %s 0", k / 2,
                               k % 2 ? "hi" : "lo", s[i], k % 2 ? ">=" : "<=");
        } else if (i >= nt + nc) {
            if (!isfinite(s[i]) || fabsf(s[i]) > 1e30f)
                st = drt_error(DRT_STATUS_FORMAT, "plan: cpu section: bias correction %zu is %g: must be finite", i - nt - nc, s[i]);
        } else if (!isfinite(s[i]) || s[i] <= 0 || s[i] > 1e30f)
            st = i < nt ? drt_error(DRT_STATUS_FORMAT, "plan: cpu section: tensor %zu has quantization step %g: must be finite and > 0", i, s[i])
                        : drt_error(DRT_STATUS_FORMAT, "plan: cpu section: channel step %zu is %g: must be finite and > 0", i - nt, s[i]);
    }
    if (st == DRT_OK && r.off != r.n)
        st = drt_error(DRT_STATUS_FORMAT, "plan: cpu section of %zu bytes: its fields take %zu", r.n, r.off);
    if (st != DRT_OK) {
        free(c);
        free(s);
        free(cs);
        free(bc);
        free(rg);
        return st;
    }
    if (nc) memcpy(cs, s + nt, sizeof(float) * nc); /* the channel steps apart from the tensors' */
    if (nb) memcpy(bc, s + nt + nc, sizeof(float) * nb);
    if (nr) memcpy(rg, s + nt + nc + nb, sizeof(float) * nr);
    *choices_out = c;
    *steps_out = s;
    *channel_steps_out = cs;
    *bias_corr_out = bc;
    *ranges_out = rg;
    if (features_out) *features_out = h.features;
    return DRT_OK;
}
