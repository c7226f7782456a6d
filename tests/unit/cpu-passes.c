/* Graph passes on real models, under the CPU engine's capabilities and a CUDA-like set (a conv
 * epilogue that reads the residual and writes slices, batchnorm always folded): the memory plan never lets two buffers whose lifetimes overlap share bytes, every read
 * happens inside its buffer's lifetime, no conv reads a channel slice when the backend cannot, and
 * the passes do what yolov3's structure implies (23 residual adds fused, 2 single-input routes
 * aliased, planned memory well under the naive sum); dropout becomes an identity in yolo-fastest;
 * an activation budget below what the plan needs is refused before allocating; a backend without dilated or xnor=1 convs
 * refuses them naming the engines that run them. */
#include "darkrt.h"
#include "graph/passes/passes.h"
#include "backend/cpu/cpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t bytes4(const drt_xgraph *g, int t, void *ctx)
{
    (void)ctx;
    return drt_shape_size(drt_xgraph_shape(g, t)) * 4;
}

static int check_plan(const drt_xgraph *g, const char *name)
{
    int fails = 0;
    for (int a = 0; a < g->nt; a++) {
        if (g->root[a] != a || g->last[a] < 0) continue;
        size_t a0 = g->offset[a], a1 = a0 + bytes4(g, a, NULL);
        if (a1 > g->arena_bytes) { printf("FAIL %s: buffer %d ends past the arena\n", name, a); fails++; }
        for (int b = a + 1; b < g->nt; b++) {
            if (g->root[b] != b || g->last[b] < 0) continue;
            size_t b0 = g->offset[b], b1 = b0 + bytes4(g, b, NULL);
            int live_overlap = g->first[a] <= g->last[b] && g->first[b] <= g->last[a];
            if (live_overlap && a0 < b1 && b0 < a1) {
                printf("FAIL %s: buffers %d [%d,%d] and %d [%d,%d] overlap in memory\n", name, a, g->first[a], g->last[a], b,
                       g->first[b], g->last[b]);
                fails++;
            }
        }
    }
    /* a backend whose convs read whole buffers never gets a slice as a conv's input */
    for (int i = 0; i < g->n && !g->caps.conv_reads_slice; i++) {
        const drt_layer *l = &g->m->layers[i];
        if (g->node[i].live && l->type == DRT_LAYER_CONV && !drt_xgraph_dense(g, DRT_XT(l->inputs[0]))) {
            printf("FAIL %s: conv %d reads a channel slice (%s engine)\n", name, i, g->caps.name);
            fails++;
        }
    }
    /* every reader of a tensor runs inside its buffer's lifetime */
    int readers[64];
    for (int t = 0; t < g->nt; t++) {
        if (t > 0 && !g->node[t - 1].live) continue;
        int r = g->root[t], n = drt_xgraph_readers(g, t, readers, 64);
        for (int k = 0; k < n && k < 64; k++)
            if (readers[k] + 1 > g->last[r] || readers[k] + 1 < g->first[r]) {
                printf("FAIL %s: layer %d reads tensor %d outside buffer %d's lifetime\n", name, readers[k], t, r);
                fails++;
            }
    }
    return fails;
}

static int run(const drt_xcaps *caps, const char *name, const char *cfg, unsigned off, int want_fused, int want_alias,
               int want_identity, int ratio)
{
    if (access(cfg, R_OK)) { printf("skipped %s: %s missing\n", name, cfg); return 0; }
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m;
    if (drt_model_load_darknet(cfg, NULL, &lo, &m) != DRT_OK) { printf("FAIL %s: %s\n", name, drt_last_error()); return 1; }
    drt_xgraph *g;
    int fails = 0;
    if (drt_xgraph_create(m, off, *caps, NULL, &g) != DRT_OK || drt_xgraph_run_passes(g) != DRT_OK ||
        drt_pass_memplan(g, bytes4, NULL) != DRT_OK) {
        printf("FAIL %s: %s\n", name, drt_last_error());
        drt_model_free(m);
        return 1;
    }
    int fused = 0, alias = 0, ident = 0;
    for (int i = 0; i < g->n; i++) {
        fused += g->node[i].absorbed_by >= 0;
        ident += g->node[i].identity && m->layers[i].type == DRT_LAYER_DROPOUT;
        alias += g->node[i].identity && m->layers[i].type == DRT_LAYER_ROUTE;
    }
    fails += check_plan(g, name);
    if (want_fused >= 0 && fused != want_fused) { printf("FAIL %s: %d adds fused, expected %d\n", name, fused, want_fused); fails++; }
    if (want_alias >= 0 && alias != want_alias) { printf("FAIL %s: %d routes aliased, expected %d\n", name, alias, want_alias); fails++; }
    if (want_identity >= 0 && ident != want_identity) { printf("FAIL %s: %d dropouts made identities, expected %d\n", name, ident, want_identity); fails++; }
    int on = !(off & DRT_PASS_MEMPLAN);
    if (on && g->arena_bytes * ratio > g->naive_bytes) {
        printf("FAIL %s: planned %zu bytes, not under 1/%d of the naive %zu\n", name, g->arena_bytes, ratio, g->naive_bytes);
        fails++;
    }
    printf("%s %s %s (passes_off 0x%x): %d adds fused, %d routes aliased, %d dropouts identities, planned %.1f MiB vs naive %.1f MiB\n",
           fails ? "FAIL" : "ok", caps->name, name, off, fused, alias, ident, g->arena_bytes / 1048576.0, g->naive_bytes / 1048576.0);
    drt_xgraph_free(g);
    drt_model_free(m);
    return fails;
}

/* Standalone [batchnorm] folding on tests/alexeyab/layers-b.cfg: layers 1 (after a linear conv), 9 and 10 (two after
 * a linear conv with batchnorm) fold into convs 0 and 8 and become identities when fold-bn is on (or the epilogue is
 * fixed); 7 (after a route) and 12 (after a conv a route reads too) keep their own step. */
static int bn_fold(const drt_xcaps *caps, const char *cfg, unsigned off)
{
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m;
    drt_xgraph *g = NULL;
    if (drt_model_load_darknet(cfg, NULL, &lo, &m) != DRT_OK) { printf("FAIL bn-fold: %s\n", drt_last_error()); return 1; }
    int fails = 0;
    if (drt_xgraph_create(m, off, *caps, NULL, &g) != DRT_OK || drt_xgraph_run_passes(g) != DRT_OK ||
        drt_pass_memplan(g, bytes4, NULL) != DRT_OK) {
        printf("FAIL bn-fold: %s\n", drt_last_error());
        fails++;
    } else {
        int on = !(off & DRT_PASS_FOLD_BN) || caps->epilogue_fixed;
        static const int bn_layers[] = {1, 7, 9, 10, 12}, folds[] = {1, 0, 1, 1, 0}, into[] = {0, -1, 8, 8, -1};
        for (int k = 0; k < 5; k++) {
            int b = bn_layers[k], want = on && folds[k], got = g->node[b].identity;
            int aliased = got && g->root[DRT_XT(b)] == g->root[DRT_XT(into[k])] && g->coff[DRT_XT(b)] == g->coff[DRT_XT(into[k])];
            if (m->layers[b].type != DRT_LAYER_BATCHNORM || got != want || (want && !aliased) || (!want && !g->node[b].bn_mul)) {
                printf("FAIL bn-fold %s (passes_off 0x%x): [batchnorm] %d: identity %d, expected %d (aliased %d)\n", caps->name,
                       off, b, got, want, aliased);
                fails++;
            }
        }
        if (on && !(g->node[0].bn_folded && g->node[8].bn_folded && g->node[0].bn_mul && g->node[8].bn_mul)) {
            printf("FAIL bn-fold %s: convs 0 and 8 do not carry the folded coefficients\n", caps->name);
            fails++;
        }
        fails += check_plan(g, "layers-b");
        printf("%s bn-fold %s (passes_off 0x%x): standalone [batchnorm]s folded as expected\n", fails ? "FAIL" : "ok",
               caps->name, off);
    }
    drt_xgraph_free(g);
    drt_model_free(m);
    return fails;
}

/* Builds with winograd = wmode under a budget; returns the engine's activations or 0 on failure. */
static size_t build_prec_under(const drt_model *m, drt_precision prec, int wmode, size_t budget, const char *what)
{
    drt_engine_opts o = drt_engine_opts_default();
    o.precision = prec;
    o.winograd = wmode;
    o.threads = 1;
    o.max_activation_bytes = budget;
    drt_engine *e = NULL;
    drt_engine_memory mem = {0};
    if (drt_engine_create(m, &o, &e) != DRT_OK) printf("FAIL budget %zu, %s: %s\n", budget, what, drt_last_error());
    else drt_engine_memory_usage(e, &mem);
    drt_engine_free(e);
    return mem.host_activations;
}

static size_t build_under(const drt_model *m, int wmode, size_t budget, const char *what)
{
    return build_prec_under(m, DRT_PREC_FP32, wmode, budget, what);
}

/* The activations an int8 engine reports (its dtype conversion buffers too: yolo-fastest-1.1 keeps its depthwise
 * convs and heads in fp32) are what its budget counts: it builds within exactly that many bytes and is refused one
 * byte below. */
static int budget_int8(const char *cfg)
{
    char w[1200];
    snprintf(w, sizeof w, "%.*sweights", (int)strlen(cfg) - 3, cfg);
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m;
    if (access(w, R_OK) || drt_model_load_darknet(cfg, w, &lo, &m) != DRT_OK) { printf("skipped budget int8: %s\n", w); return 0; }
    size_t all = build_prec_under(m, DRT_PREC_INT8, DRT_WINOGRAD_OFF, 0, "int8, unlimited");
    size_t at = all ? build_prec_under(m, DRT_PREC_INT8, DRT_WINOGRAD_OFF, all, "int8, at its activations") : 0;
    drt_engine_opts o = drt_engine_opts_default();
    o.precision = DRT_PREC_INT8;
    o.winograd = DRT_WINOGRAD_OFF;
    o.threads = 1;
    o.max_activation_bytes = all - 1;
    drt_engine *e = NULL;
    drt_status s = all ? drt_engine_create(m, &o, &e) : DRT_STATUS_INTERNAL;
    int bad = !all || at != all || s != DRT_STATUS_OOM;
    printf("%s budget int8: %zu bytes reported, built within them (holding %zu), %s one byte below\n", bad ? "FAIL" : "ok  ",
           all, at, s == DRT_STATUS_OOM ? "refused" : "not refused");
    drt_engine_free(e);
    drt_model_free(m);
    return bad;
}

/* max_activation_bytes: a budget at the direct convolutions' activations builds, whether Winograd
 * is forced (its buffers are then left out) or chosen by timing; 1 MiB is refused before
 * allocating, with DRT_STATUS_OOM and the sizes in the message. */
static int budget(const char *cfg)
{
    if (access(cfg, R_OK)) { printf("skipped budget: %s missing\n", cfg); return 0; }
    drt_load_opts lo = drt_load_opts_default();
    lo.warn = 0;
    drt_model *m;
    if (drt_model_load_darknet(cfg, NULL, &lo, &m) != DRT_OK) { printf("FAIL budget: %s\n", drt_last_error()); return 1; }
    int fails = 0;
    size_t direct = build_under(m, DRT_WINOGRAD_OFF, 0, "unlimited, Winograd off");
    size_t wino = direct ? build_under(m, DRT_WINOGRAD_FORCE, 0, "unlimited, Winograd forced") : 0;
    if (!direct || !wino) fails++;
    else if (wino <= direct) {
        printf("FAIL Winograd forced holds %zu bytes, not more than the direct convolutions' %zu\n", wino, direct);
        fails++;
    } else {
        size_t forced = build_under(m, DRT_WINOGRAD_FORCE, direct, "Winograd forced");
        size_t chosen = build_under(m, DRT_WINOGRAD_AUTO, direct, "Winograd by timing");
        int bad = !forced || forced > direct || !chosen || chosen > direct;
        printf("%s budget %zu (direct convs; Winograd needs %zu): forced builds holding %zu, auto %zu\n", bad ? "FAIL" : "ok  ",
               direct, wino, forced, chosen);
        fails += bad;
    }
    drt_engine_opts o = drt_engine_opts_default();
    o.threads = 1;
    o.max_activation_bytes = (size_t)1 << 20;
    drt_engine *e = NULL;
    drt_status s = drt_engine_create(m, &o, &e);
    int bad = s != DRT_STATUS_OOM || e || !strstr(drt_last_error(), "above the limit of 1.0 MiB");
    printf("%s budget 1 MiB: %s\n", bad ? "FAIL" : "ok  ", drt_last_error());
    drt_engine_free(e);
    drt_model_free(m);
    return fails + bad;
}

/* A backend without dilated or xnor=1 convs refuses them naming the engines that run them (ref, cpu and cuda all do). */
static int refusals(const char *root)
{
    static const struct { const char *cfg, *want; } cases[] = {
        {"layers.cfg", "[convolutional] dilation=2 is not supported by the toy engine (the ref, cpu and cuda engines run it)"},
        {"xnor.cfg", "[convolutional] xnor=1 is not supported by the toy engine (the ref, cpu and cuda engines run it)"},
    };
    drt_xcaps caps = drt_cpu_caps;
    caps.name = "toy";
    caps.conv_dilation = caps.conv_xnor = 0;
    int fails = 0;
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char cfg[1100];
        snprintf(cfg, sizeof cfg, "%s/tests/alexeyab/%s", root, cases[k].cfg);
        drt_load_opts lo = drt_load_opts_default();
        lo.warn = 0;
        drt_model *m = NULL;
        int bad = drt_model_load_darknet(cfg, NULL, &lo, &m) != DRT_OK || drt_xcaps_check(&caps, m, DRT_PREC_FP32) == DRT_OK ||
                  !strstr(drt_last_error(), cases[k].want);
        if (bad) printf("FAIL %s: %s (want ...%s)\n", cases[k].cfg, drt_last_error(), cases[k].want);
        fails += bad;
        drt_model_free(m);
    }
    return fails;
}

int main(void)
{
    const char *root = getenv("DRT_ROOT"), *shared = getenv("DRT_SHARED");
    char sh[1024], fcfg[1100];
    snprintf(sh, sizeof sh, "%s/../shared", root ? root : ".");
    snprintf(fcfg, sizeof fcfg, "%s/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg", shared ? shared : sh);
    int fails = 0;
    /* the CUDA engine's capabilities live in its module (not linked into the tests): a like set */
    drt_xcaps residual_caps = drt_cpu_caps;
    residual_caps.name = "residual-epilogue";
    residual_caps.add_in_place = 0;
    residual_caps.epilogue_fixed = 1;
    residual_caps.slice_writers |= DRT_XBIT(DRT_LAYER_CONV) | DRT_XBIT(DRT_LAYER_SHORTCUT);
    const drt_xcaps *all_caps[] = {&drt_cpu_caps, &residual_caps};
    for (size_t c = 0; c < sizeof all_caps / sizeof *all_caps; c++) {
        const drt_xcaps *caps = all_caps[c];
        /* the CUDA epilogue always applies batchnorm: fold-bn cannot be switched off there */
        int fused_without_fold = caps->epilogue_fixed ? 18 : 0;
        fails += run(caps, "yolov3", "/usr/share/darknet/cfg/yolov3.cfg", 0, 23, 2, 0, 5);
        fails += run(caps, "yolov3", "/usr/share/darknet/cfg/yolov3.cfg", DRT_PASS_FUSE_ADD | DRT_PASS_CONCAT_INPLACE, 0, 0, 0, 5);
        fails += run(caps, "yolov3", "/usr/share/darknet/cfg/yolov3.cfg", DRT_PASS_MEMPLAN, 23, 2, 0, 1);
        fails += run(caps, "yolov3-spp", "/usr/share/darknet/cfg/yolov3-spp.cfg", 0, 23, 4, 0, 5);
        fails += run(caps, "yolov3-tiny", "/usr/share/darknet/cfg/yolov3-tiny.cfg", 0, 0, 1, 0, 2);
        /* yolo-fastest: 18 shortcuts, each after a linear conv and a dropout; 18 dropouts */
        fails += run(caps, "yolo-fastest-1.1", fcfg, 0, 18, -1, 18, 5);
        fails += run(caps, "yolo-fastest-1.1", fcfg, DRT_PASS_FOLD_BN, fused_without_fold, -1, 18, 5); /* CPU: the add would precede batchnorm */
        fails += run(caps, "yolo-fastest-1.1", fcfg, DRT_PASS_DCE, 0, -1, 0, 5);
        char bcfg[1100];
        snprintf(bcfg, sizeof bcfg, "%s/tests/alexeyab/layers-b.cfg", root ? root : ".");
        fails += bn_fold(caps, bcfg, 0);
        fails += bn_fold(caps, bcfg, DRT_PASS_FOLD_BN);
    }
    fails += refusals(root ? root : ".");
    fails += budget("/usr/share/darknet/cfg/yolov3-tiny.cfg");
    fails += budget_int8(fcfg);
    printf("%s\n", fails ? "FAILED" : "all checks passed");
    return fails ? 1 : 0;
}
