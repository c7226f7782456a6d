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

typedef struct stats {
    const drt_model *m;
    const cpu_state *q;  /* the int8 engine (its dtypes, steps, precisions) */
    int *conv_of;        /* per tensor: the conv that stores it, or -1 */
    double **sx, **sq;   /* per conv: sums of x and Q(x) per (input channel, ky, kx), or NULL */
    double *positions;   /* per conv: output positions summed */
    double *mean;        /* per channel of every tensor (drt_calib_channel_offset's layout): sums, then means */
    double *count;       /* per tensor: pixels summed */
    int only;            /* sum the tensor `only` alone (-1: every tensor) */
    int failed;          /* a conv's input not in fp32 in the observer */
    float *step, *xq;    /* sum_taps' buffers, for the largest conv input: per channel, per value */
    double *tx;          /* per channel, twice */
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

/* After conv i ran in the fp32 engine its input is still in the arena (read while it wrote):
 * summed per channel and tap over the output positions each tap reads (Q(x) computed once). */
static void sum_taps(const cpu_state *f, int i, stats *a)
{
    const drt_layer *l = &f->m->layers[i];
    int ts = DRT_XT(l->inputs[0]), k = l->size, d = l->dilation > 1 ? l->dilation : 1;
    cpu_view in = drt_cpu_view(f, ts);
    size_t hw = (size_t)in.h * in.w;
    DRT_ASSERT((size_t)in.c <= a->most_c && hw * (size_t)in.c <= a->most_values);
    float *step = a->step, *xq = a->xq, lo, hi;
    double *tx = a->tx, *tq = tx + in.c; /* one tap's sums */
    if (in.dt != CPU_F32) {
        a->failed = 1;
        return;
    }
    input_quantization(a->q, i, ts, in.c, step, &lo, &hi);
    const float *x = (const float *)in.p;
    for (size_t px = 0; px < hw; px++)
        for (int c = 0; c < in.c; c++) xq[px * in.c + c] = quantized(x[px * in.cs + c], step[c], lo, hi);
    for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++) {
            memset(tx, 0, sizeof(double) * 2 * (size_t)in.c);
            for (int oy = 0; oy < l->out.h; oy++) {
                int iy = oy * l->stride_y - l->pad * d + ky * d;
                if (iy < 0 || iy >= in.h) continue;
                for (int ox = 0; ox < l->out.w; ox++) {
                    int ix = ox * l->stride - l->pad * d + kx * d;
                    if (ix < 0 || ix >= in.w) continue;
                    const float *px = x + ((size_t)iy * in.w + ix) * in.cs, *pq = xq + ((size_t)iy * in.w + ix) * in.c;
                    for (int c = 0; c < in.c; c++) {
                        tx[c] += px[c];
                        tq[c] += pq[c];
                    }
                }
            }
            for (int c = 0; c < in.c; c++) {
                a->sx[i][((size_t)c * k + ky) * k + kx] += tx[c];
                a->sq[i][((size_t)c * k + ky) * k + kx] += tq[c];
            }
        }
    a->positions[i] += (double)l->out.h * l->out.w;
}

static void observe(cpu_state *st, int t, const cpu_view *v, void *ctx)
{
    stats *a = ctx;
    if (a->only >= 0 && t != a->only) return;
    sum_channels(st, t, v, a);
    int i = a->conv_of ? a->conv_of[t] : -1;
    if (i >= 0 && a->sx[i]) sum_taps(st, i, a);
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
    size_t off = q->g->offset[r], bytes = drt_shape_size(drt_xgraph_shape(q->g, r)) * cpu_dtype_size(q->dt[r]);
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

/* Step 1: conv i's own shift per output channel, from the fp32 engine's tap means. */
static drt_status own_shift(const cpu_state *q, const stats *a, int i, float *shift)
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
        const double *sx = a->sx[i] + (size_t)(f / fg) * per, *sq = a->sq[i] + (size_t)(f / fg) * per;
        double d = 0;
        for (int j = 0; j < per; j++) d += w[j] * sx[j] - (int8 ? qw[j] * step : w[j]) * sq[j];
        shift[f] = (float)(d / a->positions[i]);
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
 * meanwhile: q's and the fp32 engine f's own activations, and the snapshot of q's arena. */
static drt_status images_create(cpu_state *q, const cpu_state *f, int n, images *im)
{
    size_t each = drt_cpu_activation_bytes(q), budget = q->opts.max_activation_bytes;
    size_t held = drt_cpu_activation_bytes(f) + each + q->arena_bytes;
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

drt_status drt_cpu_bias_correction(const drt_model *m, const drt_engine_opts *opts, const float *steps,
                                   const float *channel_steps, const float *ranges, const float *inputs, int n, FILE *log,
                                   float **corr_out)
{
    *corr_out = NULL;
    int nt = m->n_layers + 1;
    size_t nc = drt_calib_channel_offset(m, nt);
    float *corr = NULL;
    double *ref = NULL;
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
    cpu_state *q = NULL, *f = NULL;
    stats a = {.m = m, .only = -1};
    drt_status s = drt_cpu_state_create(m, &o, NULL, steps, channel_steps, ranges, NULL, NULL, &q);
    if (s == DRT_OK) s = drt_cpu_state_create(m, &fo, NULL, NULL, NULL, NULL, NULL, NULL, &f);
    if (s == DRT_OK) {
        a.q = q;
        a.conv_of = malloc(sizeof(int) * (size_t)nt);
        a.sx = calloc((size_t)m->n_layers, sizeof(double *));
        a.sq = calloc((size_t)m->n_layers, sizeof(double *));
        a.positions = calloc((size_t)m->n_layers, sizeof(double));
        a.mean = calloc(nc, sizeof(double));
        a.count = calloc((size_t)nt, sizeof(double));
        ref = calloc(nc, sizeof(double));
        corr = calloc(nc, sizeof(float));
        if (!a.conv_of || !a.sx || !a.sq || !a.positions || !a.mean || !a.count || !ref || !corr)
            s = drt_error(DRT_STATUS_OOM, "bias correction: out of memory");
    }
    size_t most_ch = 1;
    for (int t = 0; s == DRT_OK && t < nt; t++) {
        a.conv_of[t] = -1;
        if ((size_t)drt_calib_tensor_channels(m, t) > most_ch) most_ch = (size_t)drt_calib_tensor_channels(m, t);
    }
    if (s == DRT_OK && !(a.acc = malloc(sizeof(double) * most_ch))) s = drt_error(DRT_STATUS_OOM, "bias correction: out of memory");
    a.most_c = a.most_values = 1; /* sum_taps' buffers, allocated once: the largest input's channels and values */
    for (int i = 0; s == DRT_OK && i < m->n_layers; i++) {
        /* xnor=1 convs run lowered, in fp32 from fp32 (their own bias units): left as they are */
        if (!q->conv[i] || !f->conv[i] || m->layers[i].type != DRT_LAYER_CONV || m->layers[i].xnor) continue;
        drt_shape in = drt_xgraph_shape(f->g, DRT_XT(m->layers[i].inputs[0]));
        size_t taps = (size_t)drt_xgraph_shape(q->g, DRT_XT(m->layers[i].inputs[0])).c * m->layers[i].size * m->layers[i].size;
        if ((size_t)in.c > a.most_c) a.most_c = (size_t)in.c;
        if (drt_shape_size(in) > a.most_values) a.most_values = drt_shape_size(in);
        a.conv_of[drt_cpu_stored_tensor(f, i)] = i;
        if (!(a.sx[i] = calloc(taps, sizeof(double))) || !(a.sq[i] = calloc(taps, sizeof(double))))
            s = drt_error(DRT_STATUS_OOM, "bias correction: out of memory");
    }
    if (s == DRT_OK && (!(a.step = malloc(sizeof(float) * a.most_c)) || !(a.xq = malloc(sizeof(float) * a.most_values)) ||
                        !(a.tx = malloc(sizeof(double) * 2 * a.most_c))))
        s = drt_error(DRT_STATUS_OOM, "bias correction: out of memory");
    /* the fp32 engine: each tensor's mean (the target) and each conv's tap means (step 1) */
    if (s == DRT_OK) s = measure(f, NULL, inputs, n, m->n_layers - 1, &a);
    if (s == DRT_OK) memcpy(ref, a.mean, sizeof(double) * nc);
    int convs = 0;
    double own = 0, left = 0;
    for (int i = 0; s == DRT_OK && i < m->n_layers; i++) {
        if (!a.sx[i] || a.positions[i] <= 0) continue;
        float *c = corr + drt_calib_channel_offset(m, i + 1);
        if ((s = own_shift(q, &a, i, c)) != DRT_OK) break;
        drt_cpu_conv_bias_add(q, i, c);
        own += mean_abs(c, m->layers[i].filters);
        convs++;
    }
    /* step 2: conv by conv, what is left at the tensor it stores */
    a.conv_of = (free(a.conv_of), NULL);
    float *delta = malloc(sizeof(float) * (size_t)(nc ? nc : 1));
    if (s == DRT_OK && !delta) s = drt_error(DRT_STATUS_OOM, "bias correction: out of memory");
    images im = {0};
    if (s == DRT_OK) s = images_create(q, f, n, &im);
    for (int i = s == DRT_OK ? first_quantized(q) : m->n_layers; s == DRT_OK && i < m->n_layers; i++) {
        if (!a.sx[i] || a.positions[i] <= 0) continue;
        int td = drt_cpu_stored_tensor(q, i), nf = m->layers[i].filters;
        if (drt_calib_tensor_channels(m, td) != nf) continue;
        a.only = td;
        if ((s = measure(q, &im, inputs, n, i, &a)) != DRT_OK) break;
        const double *want = ref + drt_calib_channel_offset(m, td), *got = a.mean + drt_calib_channel_offset(m, td);
        for (int k = 0; k < nf; k++) delta[k] = isfinite(want[k] - got[k]) ? (float)(want[k] - got[k]) : 0.f;
        /* in output units: an int8 engine folds batchnorm whatever passes_off says (cpu-compile.c's
         * effective_passes_off), so the bias is added after its multiplier (unit/cpu-int8-bias, fold-bn off) */
        drt_cpu_conv_bias_add(q, i, delta);
        float *c = corr + drt_calib_channel_offset(m, i + 1);
        for (int k = 0; k < nf; k++) c[k] += delta[k];
        left += mean_abs(delta, nf);
    }
    if (s == DRT_OK && log) /* with verbose: what the activation budget allowed (unit/cpu-int8-bias reads it) */
        fprintf(log, "darkrt: int8 bias correction: step 2 kept the run states of %d of %d images\n", im.resident, n);
    images_free(&im);
    static _Atomic int said; /* once: a --min-map search builds many engines */
    if (s == DRT_OK && (log || !said))
        fprintf(log ? log : drt_log_file(), "darkrt: int8 bias correction: the biases of %d conv%s corrected on the calibration images "
                "(mean |shift| per channel %.5f from each conv's own quantization, %.5f more at its output in sequence; "
                "--bias-correct off: none)\n", convs, convs == 1 ? "" : "s", convs ? own / convs : 0.0, convs ? left / convs : 0.0);
    said = 1;
    for (int i = 0; a.sx && i < m->n_layers; i++) {
        free(a.sx[i]);
        free(a.sq[i]);
    }
    free(delta);
    free(a.step);
    free(a.xq);
    free(a.tx);
    free(a.acc);
    free(a.sx);
    free(a.sq);
    free(a.positions);
    free(a.mean);
    free(a.count);
    free(a.conv_of);
    free(ref);
    drt_cpu_state_free(q);
    drt_cpu_state_free(f);
    if (s != DRT_OK) {
        free(corr);
        return s;
    }
    *corr_out = corr;
    return DRT_OK;
}
