/* int8 bias correction (on unless opts.no_bias_correct): quantizing a conv's weights and its input shifts
 * the mean of its output (a channel's few rounded weights do not cancel against inputs that are
 * mostly positive; clipping and rounding of the input are not zero-mean either), and the shifts
 * pass on down the network. Two steps, both on the calibration images:
 * 1. Each conv's own shift, per output channel f, from the fp32 engine's activations:
 *      E[y_fp32 - y_int8]_f = sum over its taps (c, ky, kx) of  w * E[x] - w' * E[Q(x)]
 *    (exact for the conv before its activation: it is linear, and the mean of its sum is the sum
 *    over each tap's mean input, zero padding included), with w the folded weights, w' what the
 *    engine multiplies (int8 convs: the quantized row), x the conv's input in the fp32 engine and
 *    Q the quantization the int8 engine applies to it (its tensor's dtype and step, or the
 *    conversion an int8 conv makes).
 * 2. Sequentially, conv by conv in network order, on the int8 engine corrected so far: the mean
 *    of the tensor the conv stores (after its activation and fused residual add) is set to the
 *    fp32 engine's, which takes up what step 1 cannot see (noise through the activations,
 *    residual sums). Measured all at once instead, the shifts each conv passes on are corrected
 *    twice, and in rounds that diverged on yolo-fastest-1.1. */
#include "backend/cpu/cpu.h"
#include "backend/cpu/cpu-features.h"
#include "core/error.h"
#include "core/log.h"
#include "engine/calib.h"
#include "graph/quantize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One quantization of a conv's input (input_quantization's: a step per input channel, 0 where none, and the range
 * of the integers) and its sums of Q(x) per (input channel, ky, kx) over the calibration images. */
typedef struct qsums {
    float lo, hi, *step;
    double *sq;
    int filling; /* summed by the fp32 pass under way */
    struct qsums *next;
} qsums;

/* Step 2 runs each image's int8 engine from its first layer that differs from the fp32 engine (first_quantized):
 * the layers before it compute the fp32 engine's bytes again, most of the pass where that layer is late (a --min-map
 * search's ranking: one conv alone in int8, every conv in turn). A checkpoint: the fp32 engine's buffers that layers
 * from `at` on read, as they were before layer `at` ran, for each image (n x bytes: each root's in turn); step 2
 * starts from the last one at or before its first layer, where the int8 engine's graph is the fp32 engine's. */
#define MAX_CKPT 8
typedef struct ckpt {
    int at;
    int *roots, n_roots;
    size_t bytes; /* per image */
    char *data;
} ckpt;

/* Step 1's measurements on the fp32 engine: the same for every int8 engine built from one calibration but for the
 * quantizations of the convs' inputs, which are kept per quantization as engines need them. A --min-map search
 * builds ~100 engines from one calibration: on yolov3-416 (synth, 14 images, one thread) the fp32 pass was 10 s
 * of a ranking candidate's 27 s build. Kept in the calibration (drt_calib.bias) by the first build from it. */
typedef struct bias_ref {
    int threads;          /* the fp32 engine's options that move its numbers: what it was measured with */
    unsigned passes_off;
    size_t f_bytes;       /* the fp32 engine's activations (images_create's budget) */
    int n_layers;
    int *conv_of;         /* per tensor: the conv whose input is summed when the fp32 engine stores it, or -1 */
    double *mean;         /* per channel of every tensor (drt_calib_channel_offset's layout): the fp32 engine's means */
    double **sx;          /* per conv: sums of x per (input channel, ky, kx); NULL: a conv left as it is */
    double *positions;    /* per conv: output positions summed */
    qsums **q;            /* per conv: the quantizations of its input summed so far */
    int passes;           /* fp32 passes made: the first, then one per build that needed a new quantization */
    int *root, *absorbed_by; /* the fp32 engine's graph (its buffers, fused adds): checkpoints fit engines alike */
    int n_ckpt;
    ckpt ckpt[MAX_CKPT];  /* in layer order */
} bias_ref;

typedef struct stats {
    const drt_model *m;
    bias_ref *ref;       /* the fp32 engine's passes: what they sum into */
    int taps;            /* a pass of the fp32 engine: sum its convs' inputs (sum_taps) */
    int sum_x;           /* its first pass: sx and positions too */
    double *mean;        /* per channel of every tensor (drt_calib_channel_offset's layout): sums, then means */
    double *count;       /* per tensor: pixels summed */
    int only;            /* sum the tensor `only` alone (-1: every tensor, -2: none) */
    int image;           /* the image under way */
    int failed;          /* a conv's input not in fp32 in the observer */
    float *xq;           /* sum_taps' buffer, for the largest conv input: per value */
    double *tx;          /* per channel */
    size_t most_c, most_values;
    double *acc;         /* sum_channels' sums, per channel of the widest tensor */
} stats;

/* Tensor t's per-channel sums, its values as the engine holds them (s8/u8 times their steps). */
static void sum_channels(const cpu_state *st, int t, const cpu_view *v, stats *a)
{
    if (v->c != drt_calib_tensor_channels(a->m, t) || (v->dt != CPU_F32 && v->dt != CPU_S8 && v->dt != CPU_U8)) return;
    double *sum = a->mean + drt_calib_channel_offset(a->m, t), *acc = a->acc;
    size_t hw = (size_t)v->h * v->w;
    memset(acc, 0, sizeof(double) * (size_t)v->c);
    /* pixel by pixel, all channels at once (each channel's sum in pixel order as before: the same doubles) */
    for (size_t px = 0; px < hw; px++) {
        if (v->dt == CPU_F32)
            for (int k = 0; k < v->c; k++) acc[k] += ((const float *)v->p)[px * v->cs + k];
        else if (v->dt == CPU_S8)
            for (int k = 0; k < v->c; k++) acc[k] += ((const int8_t *)v->p)[px * v->cs + k];
        else
            for (int k = 0; k < v->c; k++) acc[k] += ((const uint8_t *)v->p)[px * v->cs + k];
    }
    for (int k = 0; k < v->c; k++) /* u8: less its zero point per value */
        sum[k] += v->dt == CPU_F32 ? acc[k] : (acc[k] - (double)v->zp * (double)hw) * drt_cpu_channel_step(st, t, k);
    a->count[t] += (double)hw;
}

/* How conv i of the int8 engine reads tensor t: per channel, the step of its quantization (0: as
 * is), and the range of its integers. */
static void input_quantization(const cpu_state *q, int i, int t, int channels, float *step, float *lo, float *hi)
{
    const cpu_conv *cv = q->conv[i];
    cpu_dtype dt = cv->prec == DRT_PREC_INT8 ? cv->in_dt : q->dt[t];
    int zp = dt == CPU_U8 && q->dt[t] == CPU_U8 ? q->zp[t] : 0; /* the codes of [lo, hi] less the zero point */
    *lo = dt == CPU_U8 ? (float)-zp : -128.f;
    *hi = dt == CPU_U8 ? 255.f - (float)zp : 127.f;
    for (int c = 0; c < channels; c++)
        step[c] = dt == CPU_F32 || dt == CPU_BF16 ? 0.f : dt == CPU_U8 && q->dt[t] != CPU_U8 ? 1.f / 255 : drt_cpu_channel_step(q, t, c);
}

static float quantized(float x, float step, float lo, float hi)
{
    if (step == 0.f) return x;
    float v = nearbyintf(x / step);
    return (v < hi ? (v > lo ? v : lo) : hi) * step;
}

/* Conv l's input values v (vs floats a pixel) summed per channel and tap over the output positions each tap reads,
 * added to out[(c k + ky) k + kx]; t: a channel's sums. */
static void add_taps(const drt_layer *l, const cpu_view *in, const float *v, size_t vs, double *t, double *out)
{
    int k = l->size, d = l->dilation > 1 ? l->dilation : 1;
    for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++) {
            memset(t, 0, sizeof(double) * (size_t)in->c);
            for (int oy = 0; oy < l->out.h; oy++) {
                int iy = oy * l->stride_y - l->pad * d + ky * d;
                if (iy < 0 || iy >= in->h) continue;
                for (int ox = 0; ox < l->out.w; ox++) {
                    int ix = ox * l->stride - l->pad * d + kx * d;
                    if (ix < 0 || ix >= in->w) continue;
                    const float *p = v + ((size_t)iy * in->w + ix) * vs;
                    for (int c = 0; c < in->c; c++) t[c] += p[c];
                }
            }
            for (int c = 0; c < in->c; c++) out[((size_t)c * k + ky) * k + kx] += t[c];
        }
}

/* After conv i ran in the fp32 engine its input is still in the arena (read while it wrote): summed per channel
 * and tap (the first pass), and so is each quantization of it this pass fills (Q(x) computed once each). */
static void sum_taps(const cpu_state *f, int i, stats *a)
{
    const drt_layer *l = &f->m->layers[i];
    cpu_view in = drt_cpu_view(f, DRT_XT(l->inputs[0]));
    size_t hw = (size_t)in.h * in.w;
    DRT_ASSERT((size_t)in.c <= a->most_c && hw * (size_t)in.c <= a->most_values);
    if (in.dt != CPU_F32) {
        a->failed = 1;
        return;
    }
    const float *x = (const float *)in.p;
    if (a->sum_x) {
        add_taps(l, &in, x, (size_t)in.cs, a->tx, a->ref->sx[i]);
        a->ref->positions[i] += (double)l->out.h * l->out.w;
    }
    for (qsums *e = a->ref->q[i]; e; e = e->next) {
        if (!e->filling) continue;
        for (size_t px = 0; px < hw; px++)
            for (int c = 0; c < in.c; c++) a->xq[px * in.c + c] = quantized(x[px * in.cs + c], e->step[c], e->lo, e->hi);
        add_taps(l, &in, a->xq, (size_t)in.c, a->tx, e->sq);
    }
}

/* The bytes of root buffer r (one image). */
static size_t root_bytes(const cpu_state *st, int r)
{
    return drt_shape_size(drt_xgraph_shape(st->g, r)) * cpu_dtype_size(st->dt[r]);
}

static void observe(cpu_state *st, int t, const cpu_view *v, void *ctx)
{
    stats *a = ctx;
    if (a->only == -1 || a->only == t) sum_channels(st, t, v, a);
    int i = a->taps ? a->ref->conv_of[t] : -1;
    if (i >= 0 && a->ref->sx[i]) sum_taps(st, i, a);
    for (int k = 0; a->sum_x && k < a->ref->n_ckpt; k++) /* the first pass: layer t - 1 done, `at` next */
        if (a->ref->ckpt[k].at == t) {
            const ckpt *c = &a->ref->ckpt[k];
            char *to = c->data + c->bytes * (size_t)a->image;
            for (int j = 0; j < c->n_roots; j++) { /* from the run state measure runs the fp32 engine in */
                size_t n = root_bytes(st, c->roots[j]);
                memcpy(to, st->own.arena + st->g->offset[c->roots[j]], n);
                to += n;
            }
        }
}

/* Step 2's image run states: the first `resident` images each keep their tensors in x[k] as layers 0..at-1 left
 * them, so that each layer runs once an image and each measured conv twice (measured, then again corrected),
 * not layers 0..i again for each conv i (quadratic in the layers: two thirds of yolo-fastest-1.1's int8 build).
 * As many as fit max_activation_bytes; the other images run from the input for each conv. */
typedef struct images {
    cpu_exec *x;
    int resident, at;
    char *snap; /* the bytes of the tensor a measured conv writes, as they were before it ran */
} images;

/* Image k's resident run state through conv i: layers at..i-1 (the input first when at is 0), then i measured
 * (observed) and undone: the buffer it wrote put back, for i to run again with its correction. */
static drt_status run_resident(cpu_state *q, images *im, int k, const float *input, int i)
{
    cpu_exec *x = &im->x[k];
    int r = q->g->root[drt_cpu_stored_tensor(q, i)];
    size_t off = q->g->offset[r], bytes = root_bytes(q, r);
    if (im->at == 0) drt_cpu_exec_reset_states(q, x); /* from a zero recurrent state, as measure's other runs */
    DRT_TRY(drt_cpu_run_layers(q, x, im->at == 0 ? input : NULL, im->at, i - 1));
    memcpy(im->snap, x->arena + off, bytes);
    drt_status s = drt_cpu_run_layers(q, x, NULL, i, i);
    memcpy(x->arena + off, im->snap, bytes);
    return s;
}

/* Runs the n inputs through st (layers 0..last; the resident images of im, when not NULL, on from where they
 * were) and turns the sums into means. */
static drt_status measure(cpu_state *st, images *im, const float *inputs, int n, int last, stats *a)
{
    const drt_model *m = a->m;
    size_t per = (size_t)m->channels * m->width * m->height;
    memset(a->mean, 0, sizeof(double) * drt_calib_channel_offset(m, m->n_layers + 1));
    memset(a->count, 0, sizeof(double) * (size_t)(m->n_layers + 1));
    st->observe = observe;
    st->observe_ctx = a;
    drt_status s = DRT_OK;
    /* each image from a zero recurrent state ([crnn]), the first of a sequence: a run that stops at last
     * leaves later layers' states as they were, so carried states would differ between the fp32 pass and
     * the per-conv int8 passes */
    for (int k = 0; s == DRT_OK && k < n; k++) {
        a->image = k;
        if (im && k < im->resident) {
            s = run_resident(st, im, k, inputs + per * k, last);
            continue;
        }
        drt_cpu_exec_reset_states(st, &st->own);
        s = drt_cpu_run_image_until(st, &st->own, NULL, NULL, inputs + per * k, 0, last);
    }
    if (im) im->at = last;
    drt_cpu_exec_reset_states(st, &st->own);
    st->observe = NULL;
    st->observe_ctx = NULL;
    if (s == DRT_OK && a->failed) s = drt_error(DRT_STATUS_INTERNAL, "bias correction: a conv's input is not fp32 in the fp32 engine");
    for (int t = 0; t <= m->n_layers; t++) {
        double *mean = a->mean + drt_calib_channel_offset(m, t);
        for (int c = 0; c < drt_calib_tensor_channels(m, t); c++) mean[c] = a->count[t] > 0 ? mean[c] / a->count[t] : NAN;
    }
    return s;
}

/* Step 1: conv i's own shift per output channel, from the fp32 engine's tap sums of x and of Q(x). */
static drt_status own_shift(const cpu_state *q, const bias_ref *ref, const double *sums_q, int i, float *shift)
{
    const drt_layer *l = &q->m->layers[i];
    const drt_xnode *x = &q->g->node[i];
    int cg = drt_xgraph_shape(q->g, DRT_XT(l->inputs[0])).c / l->groups, per = cg * l->size * l->size;
    int int8 = q->conv[i]->prec == DRT_PREC_INT8, fg = l->filters / l->groups;
    float *w = malloc(sizeof(float) * (size_t)per);
    int8_t *qw = malloc((size_t)per);
    drt_status s = w && qw ? DRT_OK : drt_error(DRT_STATUS_OOM, "bias correction: out of memory");
    for (int f = 0; s == DRT_OK && f < l->filters; f++) {
        float mul = x->bn_folded ? x->bn_mul[f] : 1.f, step = 1.f;
        for (int j = 0; j < per; j++) w[j] = l->weights[(size_t)f * per + j] * mul;
        if (int8) step = drt_quantize_row(w, (size_t)per, drt_cpu_int8_weight_max(), qw); /* as cpu-conv.c's */
        const double *sx = ref->sx[i] + (size_t)(f / fg) * per, *sq = sums_q + (size_t)(f / fg) * per;
        double d = 0;
        for (int j = 0; j < per; j++) d += w[j] * sx[j] - (int8 ? qw[j] * step : w[j]) * sq[j];
        shift[f] = (float)(d / ref->positions[i]);
    }
    free(w);
    free(qw);
    return s;
}

/* The first layer whose output the int8 engine q can compute differently from the fp32 engine: the first
 * conv not in fp32 or tensor not held in fp32 (the input: 0). Before it both run the same fp32 steps, so
 * step 1's shifts and step 2's deltas are exactly 0 there, and step 2's runs up to those convs are skipped. */
static int first_quantized(const cpu_state *q)
{
    if (q->dt[0] != CPU_F32) return 0;
    for (int i = 0; i < q->m->n_layers; i++)
        if ((q->conv[i] && q->conv[i]->prec != DRT_PREC_FP32) || q->dt[DRT_XT(i)] != CPU_F32) return i;
    return q->m->n_layers;
}

/* im's run states: as many of the n images as fit q's max_activation_bytes (0: all) beside what the build holds
 * meanwhile: q's and the fp32 engine's own activations (f_bytes), and the snapshot of q's arena. */
static drt_status images_create(cpu_state *q, size_t f_bytes, int n, images *im)
{
    size_t each = drt_cpu_activation_bytes(q), budget = q->opts.max_activation_bytes;
    size_t held = f_bytes + each + q->arena_bytes;
    size_t fit = !budget ? (size_t)n : budget > held ? (budget - held) / (each ? each : 1) : 0;
    int want = fit < (size_t)n ? (int)fit : n;
    if (!want) return DRT_OK;
    if (!(im->x = calloc((size_t)want, sizeof *im->x)) || !(im->snap = malloc(q->arena_bytes ? q->arena_bytes : 1)))
        return drt_error(DRT_STATUS_OOM, "bias correction: out of memory");
    for (; im->resident < want; im->resident++) {
        cpu_exec *x = &im->x[im->resident];
        drt_status s = drt_cpu_exec_init(q, 0, x);
        if (s != DRT_OK) {
            drt_cpu_exec_release(x); /* what it made */
            return s;
        }
        x->observed = 1; /* run from this thread only */
    }
    return DRT_OK;
}

static void images_free(images *im)
{
    for (int k = 0; im->x && k < im->resident; k++) drt_cpu_exec_release(&im->x[k]);
    free(im->x);
    free(im->snap);
}

static double mean_abs(const float *v, int n)
{
    double s = 0;
    for (int k = 0; k < n; k++) s += fabsf(v[k]);
    return n ? s / n : 0;
}


static void ref_free(void *p)
{
    bias_ref *r = p;
    if (!r) return;
    for (int i = 0; i < r->n_layers; i++) {
        if (r->sx) free(r->sx[i]);
        for (qsums *e = r->q ? r->q[i] : NULL, *next; e; e = next) {
            next = e->next;
            free(e->step);
            free(e->sq);
            free(e);
        }
    }
    for (int k = 0; k < r->n_ckpt; k++) {
        free(r->ckpt[k].roots);
        free(r->ckpt[k].data);
    }
    free(r->root);
    free(r->absorbed_by);
    free(r->sx);
    free(r->q);
    free(r->positions);
    free(r->mean);
    free(r->conv_of);
    free(r);
}

/* The checkpoints of f for n images (ckpt's comment): in each of MAX_CKPT spans of the layers, the boundary whose
 * buffers take the least bytes, the later spans first while they fit budget bytes. A boundary `at` follows a conv
 * that stores its own output (the first pass observes it there) and splits no conv from the shortcut its epilogue
 * adds; its buffers: each root buffer some tensor up to `at` is in that a layer from `at` on reads. */
static drt_status ckpts_choose(bias_ref *r, const cpu_state *f, int n, size_t budget)
{
    const drt_xgraph *g = f->g;
    int nl = f->m->n_layers, *first = malloc(sizeof(int) * (size_t)g->nt), *last = malloc(sizeof(int) * (size_t)g->nt);
    if (!first || !last) {
        free(first);
        free(last);
        return drt_error(DRT_STATUS_OOM, "bias correction: out of memory");
    }
    for (int t = 0; t < g->nt; t++) first[t] = g->nt, last[t] = -1;
    for (int t = 0; t < g->nt; t++) { /* per root: its first tensor and its last live reader (readers in layer order) */
        int rd[64], k = drt_xgraph_readers(g, t, rd, 64), at = k > 64 ? nl : k > 0 ? rd[k - 1] : -1;
        if (t < first[g->root[t]]) first[g->root[t]] = t;
        if (at > last[g->root[t]]) last[g->root[t]] = at;
    }
    size_t used = 0;
    drt_status s = DRT_OK;
    for (int w = MAX_CKPT; s == DRT_OK && w >= 1; w--) {
        int best = -1;
        size_t best_bytes = 0;
        for (int at = 1 + (nl - 1) * (w - 1) / MAX_CKPT; at < 1 + (nl - 1) * w / MAX_CKPT; at++) {
            int i = at - 1, splits = 0;
            if (f->m->layers[i].type != DRT_LAYER_CONV || !f->conv[i] || drt_cpu_stored_tensor(f, i) != DRT_XT(i)) continue;
            for (int x = at; x < g->n; x++) splits |= g->node[x].absorbed_by >= 0 && g->node[x].absorbed_by < at;
            size_t bytes = 0;
            for (int t = 0; t < g->nt; t++)
                if (g->root[t] == t && first[t] <= at && last[t] >= at) bytes += root_bytes(f, t);
            if (!splits && (best < 0 || bytes <= best_bytes)) best = at, best_bytes = bytes;
        }
        if (best < 0 || used + best_bytes * (size_t)n > budget) continue;
        ckpt *c = &r->ckpt[r->n_ckpt];
        c->at = best;
        c->bytes = best_bytes;
        if (!(c->roots = malloc(sizeof(int) * (size_t)g->nt)) || !(c->data = malloc(best_bytes * (size_t)n + 1))) {
            free(c->roots);
            s = drt_error(DRT_STATUS_OOM, "bias correction: out of memory");
            break;
        }
        for (int t = 0; t < g->nt; t++)
            if (g->root[t] == t && first[t] <= best && last[t] >= best) c->roots[c->n_roots++] = t;
        used += best_bytes * (size_t)n;
        r->n_ckpt++;
    }
    for (int k = 0; k < r->n_ckpt / 2; k++) { /* in layer order */
        ckpt c = r->ckpt[k];
        r->ckpt[k] = r->ckpt[r->n_ckpt - 1 - k];
        r->ckpt[r->n_ckpt - 1 - k] = c;
    }
    free(first);
    free(last);
    return s;
}

/* Starts step 2's resident images from the last checkpoint of r at or before layer `from` (first_quantized) where q
 * runs f's graph and holds its buffers in fp32; returns the layer they start at (0: from the input). */
static int ckpt_start(const bias_ref *r, cpu_state *q, images *im, int from)
{
    const ckpt *c = NULL;
    for (int k = 0; k < r->n_ckpt; k++)
        if (r->ckpt[k].at <= from) c = &r->ckpt[k];
    if (!c || !im->resident || q->g->nt != r->n_layers + 1) return 0;
    for (int t = 0; t < q->g->nt; t++)
        if (q->g->root[t] != r->root[t] || (t < q->g->n && q->g->node[t].absorbed_by != r->absorbed_by[t])) return 0;
    for (int j = 0; j < c->n_roots; j++)
        if (q->dt[c->roots[j]] != CPU_F32) return 0;
    for (int k = 0; k < im->resident; k++) {
        cpu_exec *x = &im->x[k];
        const char *from_data = c->data + c->bytes * (size_t)k;
        drt_cpu_exec_reset_states(q, x); /* as run_resident from the input */
        for (int j = 0; j < c->n_roots; j++) {
            size_t n = root_bytes(q, c->roots[j]);
            memcpy(x->arena + q->g->offset[c->roots[j]], from_data, n);
            from_data += n;
        }
    }
    im->at = c->at;
    return c->at;
}

/* A new reference for the convs of m that q and the fp32 engine f both have (xnor=1 convs run lowered, in fp32
 * from fp32, with their own bias units: left as they are); its sums still to be made. */
static drt_status ref_create(const drt_model *m, const drt_engine_opts *fo, const cpu_state *q, const cpu_state *f, int n,
                             bias_ref **out)
{
    int nt = m->n_layers + 1;
    bias_ref *r = calloc(1, sizeof *r);
    if (!r) return drt_error(DRT_STATUS_OOM, "bias correction: out of memory");
    *out = r;
    r->threads = fo->threads;
    r->passes_off = fo->passes_off;
    r->n_layers = m->n_layers;
    r->f_bytes = drt_cpu_activation_bytes(f);
    r->conv_of = malloc(sizeof(int) * (size_t)nt);
    r->mean = malloc(sizeof(double) * (drt_calib_channel_offset(m, nt) + 1));
    r->sx = calloc((size_t)m->n_layers, sizeof(double *));
    r->positions = calloc((size_t)m->n_layers, sizeof(double));
    r->q = calloc((size_t)m->n_layers, sizeof(qsums *));
    r->root = malloc(sizeof(int) * (size_t)nt);
    r->absorbed_by = malloc(sizeof(int) * (size_t)nt);
    if (!r->conv_of || !r->mean || !r->sx || !r->positions || !r->q || !r->root || !r->absorbed_by)
        return drt_error(DRT_STATUS_OOM, "bias correction: out of memory");
    for (int t = 0; t < nt; t++) {
        r->conv_of[t] = -1;
        r->root[t] = f->g->root[t];
        r->absorbed_by[t] = t < f->g->n ? f->g->node[t].absorbed_by : -1;
    }
    for (int i = 0; i < m->n_layers; i++) {
        if (!q->conv[i] || !f->conv[i] || m->layers[i].type != DRT_LAYER_CONV || m->layers[i].xnor) continue;
        size_t taps = (size_t)drt_xgraph_shape(q->g, DRT_XT(m->layers[i].inputs[0])).c * m->layers[i].size * m->layers[i].size;
        r->conv_of[drt_cpu_stored_tensor(f, i)] = i;
        if (!(r->sx[i] = calloc(taps, sizeof(double)))) return drt_error(DRT_STATUS_OOM, "bias correction: out of memory");
    }
    /* checkpoints where activations are not bounded: up to what the images' fp32 arenas would take (step 2's resident
     * images take about as much; on yolov3-416 8 checkpoints, 29 MiB an image) */
    return fo->max_activation_bytes ? DRT_OK : ckpts_choose(r, f, n, f->arena_bytes * (size_t)n);
}

/* r's sums of conv i's input as q quantizes it (lo, hi, step: input_quantization's; c channels, taps values), added
 * empty (to be filled by the next pass) where r has none yet. */
static drt_status ref_sums(bias_ref *r, int i, float lo, float hi, const float *step, int c, size_t taps, qsums **out)
{
    for (qsums *e = r->q[i]; e; e = e->next)
        if (e->lo == lo && e->hi == hi && !memcmp(e->step, step, sizeof(float) * (size_t)c)) {
            *out = e;
            return DRT_OK;
        }
    qsums *e = calloc(1, sizeof *e);
    if (!e || !(e->step = malloc(sizeof(float) * (size_t)c)) || !(e->sq = calloc(taps, sizeof(double)))) {
        if (e) free(e->step);
        free(e);
        return drt_error(DRT_STATUS_OOM, "bias correction: out of memory");
    }
    memcpy(e->step, step, sizeof(float) * (size_t)c);
    e->lo = lo;
    e->hi = hi;
    e->filling = 1;
    e->next = r->q[i];
    r->q[i] = e;
    *out = e;
    return DRT_OK;
}

/* Per conv of q, the sums of Q(x) its step 1 takes (use[i]; NULL: it reads its input as is, whose sums are those of
 * x), added to r where new. A new quantization by per-channel steps (a tensor int8 depthwise convs read) adds the
 * one by its tensor's step too, as engines that read it otherwise quantize it: filled in the same pass. *last: the
 * last layer the fp32 engine must run to fill them (-1: none new). */
static drt_status ref_uses(bias_ref *r, const cpu_state *q, float *step, qsums **use, int *last)
{
    const drt_model *m = q->m;
    *last = -1;
    for (int i = 0; i < m->n_layers; i++) {
        use[i] = NULL;
        if (!r->sx[i] || !q->conv[i]) continue;
        const drt_layer *l = &m->layers[i];
        int ts = DRT_XT(l->inputs[0]), c = drt_xgraph_shape(q->g, ts).c, quantizes = 0;
        size_t taps = (size_t)c * l->size * l->size;
        float lo, hi;
        input_quantization(q, i, ts, c, step, &lo, &hi);
        for (int k = 0; k < c; k++) quantizes |= step[k] != 0.f;
        if (!quantizes) continue;
        DRT_TRY(ref_sums(r, i, lo, hi, step, c, taps, &use[i]));
        if (!use[i]->filling) continue;
        if (q->cstep && q->channel_steps[ts]) {
            qsums *by_tensor;
            for (int k = 0; k < c; k++) step[k] = q->step[ts];
            DRT_TRY(ref_sums(r, i, -128.f, 127.f, step, c, taps, &by_tensor));
        }
        for (int t = 0; t <= m->n_layers; t++) /* summed when the fp32 engine stores the conv's output */
            if (r->conv_of[t] == i && t - 1 > *last) *last = t - 1;
    }
    return DRT_OK;
}

/* The fp32 engine's measurements for q, from calibration c: its shared reference (made by c's first build with
 * these fp32 options; else one of q's own, *own set), any quantization q needs that it lacks summed by another
 * pass of the fp32 engine (use: ref_uses'). */
static drt_status reference(const drt_model *m, const drt_engine_opts *fo, const cpu_state *q, const drt_calib *c, stats *a,
                            qsums **use, bias_ref **out, int *own)
{
    drt_calib_cache *cache = c->bias;
    bias_ref *r = cache && cache->p ? cache->p : NULL;
    if (r && (r->threads != fo->threads || r->passes_off != fo->passes_off)) r = NULL;
    *own = !r && cache && cache->p; /* another's is kept */
    cpu_state *f = NULL;
    int first = !r, last = -1;
    drt_status s = DRT_OK;
    if (first) {
        s = drt_cpu_state_create(m, fo, NULL, NULL, NULL, NULL, NULL, NULL, &f);
        if (s == DRT_OK) s = ref_create(m, fo, q, f, c->n, &r);
        if (s == DRT_OK && cache && !*own) cache->p = r, cache->drop = ref_free;
        else *own = 1;
    }
    if (s == DRT_OK) s = ref_uses(r, q, a->xq /* a step per channel: free until the pass */, use, &last);
    if (first) last = m->n_layers - 1;
    if (s == DRT_OK && last >= 0 && !f) s = drt_cpu_state_create(m, fo, NULL, NULL, NULL, NULL, NULL, NULL, &f);
    if (s == DRT_OK && last >= 0) { /* the first also each tensor's mean (step 2's target) and the sums of x */
        a->ref = r;
        a->taps = 1;
        a->sum_x = first;
        a->only = first ? -1 : -2;
        s = measure(f, NULL, c->inputs, c->n, last, a);
        a->taps = a->sum_x = 0;
        a->only = -1;
        r->passes++;
        for (int i = 0; i < m->n_layers; i++)
            for (qsums *e = r->q[i]; e; e = e->next) e->filling = 0;
        if (s == DRT_OK && first) memcpy(r->mean, a->mean, sizeof(double) * drt_calib_channel_offset(m, m->n_layers + 1));
    }
    drt_cpu_state_free(f);
    if (s != DRT_OK && r && !*own) { /* sums half made: none kept */
        cache->p = NULL;
        *own = 1;
    }
    *out = r;
    return s;
}

drt_status drt_cpu_bias_correction(const drt_model *m, const drt_engine_opts *opts, const float *steps,
                                   const float *channel_steps, const float *ranges, const drt_calib *calib, FILE *log,
                                   float **corr_out)
{
    *corr_out = NULL;
    int nt = m->n_layers + 1;
    size_t nc = drt_calib_channel_offset(m, nt);
    float *corr = NULL, *delta = NULL;
    qsums **use = NULL;
    bias_ref *ref = NULL;
    int own = 0;
    /* the engines measured: quiet, oneDNN's first implementation each (the same arithmetic), no
     * Winograd (biases are moved in place in oneDNN's memory) */
    drt_engine_opts o = *opts;
    o.verbose = 0;
    o.no_tune = 1;
    o.max_batch = 1;
    o.winograd = DRT_WINOGRAD_OFF;
    drt_engine_opts fo = o;
    fo.precision = DRT_PREC_FP32;
    fo.int8_keep = NULL;
    cpu_state *q = NULL;
    stats a = {.m = m, .only = -1};
    drt_status s = drt_cpu_state_create(m, &o, NULL, steps, channel_steps, ranges, NULL, NULL, &q);
    size_t most_ch = 1;
    a.most_c = a.most_values = 1; /* sum_taps' buffers, allocated once: the largest input's channels and values */
    for (int t = 0; t < nt; t++)
        if ((size_t)drt_calib_tensor_channels(m, t) > most_ch) most_ch = (size_t)drt_calib_tensor_channels(m, t);
    for (int i = 0; s == DRT_OK && i < m->n_layers; i++) {
        if (!q->conv[i] || m->layers[i].type != DRT_LAYER_CONV) continue;
        drt_shape in = drt_xgraph_shape(q->g, DRT_XT(m->layers[i].inputs[0]));
        if ((size_t)in.c > a.most_c) a.most_c = (size_t)in.c;
        if (drt_shape_size(in) > a.most_values) a.most_values = drt_shape_size(in);
    }
    if (s == DRT_OK) {
        a.mean = calloc(nc + 1, sizeof(double));
        a.count = calloc((size_t)nt, sizeof(double));
        a.acc = malloc(sizeof(double) * most_ch);
        a.xq = malloc(sizeof(float) * a.most_values);
        a.tx = malloc(sizeof(double) * a.most_c);
        corr = calloc(nc + 1, sizeof(float));
        delta = malloc(sizeof(float) * (nc + 1));
        use = calloc((size_t)m->n_layers + 1, sizeof *use);
        if (!a.mean || !a.count || !a.acc || !a.xq || !a.tx || !corr || !delta || !use)
            s = drt_error(DRT_STATUS_OOM, "bias correction: out of memory");
    }
    /* the fp32 engine: each tensor's mean (the target) and each conv's tap sums (step 1) */
    if (s == DRT_OK) s = reference(m, &fo, q, calib, &a, use, &ref, &own);
    int convs = 0;
    double own_shift_sum = 0, left = 0;
    for (int i = 0; s == DRT_OK && i < m->n_layers; i++) {
        if (!ref->sx[i] || !q->conv[i] || ref->positions[i] <= 0) continue;
        float *c = corr + drt_calib_channel_offset(m, i + 1);
        if ((s = own_shift(q, ref, use[i] ? use[i]->sq : ref->sx[i], i, c)) != DRT_OK) break;
        drt_cpu_conv_bias_add(q, i, c);
        own_shift_sum += mean_abs(c, m->layers[i].filters);
        convs++;
    }
    /* step 2: conv by conv, what is left at the tensor it stores */
    images im = {0};
    int from = s == DRT_OK ? first_quantized(q) : m->n_layers, start = 0;
    if (s == DRT_OK) s = images_create(q, ref->f_bytes, calib->n, &im);
    if (s == DRT_OK) start = ckpt_start(ref, q, &im, from);
    for (int i = from; s == DRT_OK && i < m->n_layers; i++) {
        if (!ref->sx[i] || !q->conv[i] || ref->positions[i] <= 0) continue;
        int td = drt_cpu_stored_tensor(q, i), nf = m->layers[i].filters;
        if (drt_calib_tensor_channels(m, td) != nf) continue;
        a.only = td;
        if ((s = measure(q, &im, calib->inputs, calib->n, i, &a)) != DRT_OK) break;
        const double *want = ref->mean + drt_calib_channel_offset(m, td), *got = a.mean + drt_calib_channel_offset(m, td);
        for (int k = 0; k < nf; k++) delta[k] = isfinite(want[k] - got[k]) ? (float)(want[k] - got[k]) : 0.f;
        /* in output units: an int8 engine folds batchnorm whatever passes_off says (cpu-compile.c's
         * effective_passes_off), so the bias is added after its multiplier (unit/cpu-int8-bias, fold-bn off) */
        drt_cpu_conv_bias_add(q, i, delta);
        float *c = corr + drt_calib_channel_offset(m, i + 1);
        for (int k = 0; k < nf; k++) c[k] += delta[k];
        left += mean_abs(delta, nf);
    }
    if (s == DRT_OK && log) /* with verbose: what the activation budget allowed (unit/cpu-int8-bias reads it) */
        fprintf(log, "darkrt: int8 bias correction: step 2 kept the run states of %d of %d images (from layer %d, the int8 engine's "
                "first %d); the fp32 engine's sums %s (%d pass%s of it)\n", im.resident, calib->n, start, from,
                own ? "this build's own" : "shared by the builds from this calibration", ref->passes, ref->passes == 1 ? "" : "es");
    images_free(&im);
    static _Atomic int said; /* once: a --min-map search builds many engines */
    if (s == DRT_OK && (log || !said))
        fprintf(log ? log : drt_log_file(), "darkrt: int8 bias correction: the biases of %d conv%s corrected on the calibration images "
                "(mean |shift| per channel %.5f from each conv's own quantization, %.5f more at its output in sequence; "
                "--bias-correct off: none)\n", convs, convs == 1 ? "" : "s", convs ? own_shift_sum / convs : 0.0, convs ? left / convs : 0.0);
    said = 1;
    if (own) ref_free(ref);
    free(use);
    free(delta);
    free(a.xq);
    free(a.tx);
    free(a.acc);
    free(a.mean);
    free(a.count);
    drt_cpu_state_free(q);
    if (s != DRT_OK) {
        free(corr);
        return s;
    }
    *corr_out = corr;
    return DRT_OK;
}

