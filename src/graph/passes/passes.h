/* Graph passes: rewrite a model's layer list into an execution graph with fusion, aliasing
 * and memory-placement decisions that an engine backend then compiles. */
#ifndef DRT_GRAPH_PASSES_H
#define DRT_GRAPH_PASSES_H

#include <stddef.h>
#include <stdio.h>
#include "graph/model.h"

/* Tensors are numbered t = layer + 1; tensor 0 is the network input. */
#define DRT_XT(layer) ((layer) + 1)

typedef struct drt_xnode {
    int live;          /* dce: some head depends on it */
    int bn_folded;     /* conv: batchnorm folded into w, b */
    int act_fused;     /* conv: activation in the conv epilogue */
    int sum_from;      /* conv: tensor added in place by the epilogue (fused shortcut), -1 none */
    drt_act sum_act;   /* conv: activation after the fused add */
    int absorbed_by;   /* shortcut: the conv whose epilogue does the add, -1 none */
    int identity;      /* dropout or single-input route: output is its input (no work) */
    float *bn_mul, *bn_add; /* conv with batchnorm: y = conv(x) * mul + add per channel (owned). Folded:
                             * the backend scales each output channel's weights by mul and uses add as bias.
                             * [batchnorm]: the same; weighted [shortcut]: bn_mul = its normalized weights. */
} drt_xnode;

/* What a backend's kernels can do (declared once per backend); the passes only choose what it can
 * run. Bits are (1u << drt_layer_type) and (1u << drt_precision). */
typedef struct drt_xcaps {
    const char *name;        /* the engine, for errors ("cpu", "cuda") */
    unsigned ops;            /* layer types it runs */
    unsigned precisions;     /* precisions it builds */
    unsigned slice_writers;  /* layer types whose kernel writes a channel slice of a wider buffer (concat in place) */
    int conv_reads_slice;    /* convs read a channel slice in place (else a conv's input is never placed in a concat) */
    int add_in_place;        /* fused shortcut: the conv epilogue adds into "from"'s buffer in place (oneDNN's sum);
                              * 0: it reads "from" as a residual and writes the shortcut's own buffer */
    int epilogue_fixed;      /* the conv epilogue always applies batchnorm and activation (fold-bn, fuse-act always on) */
    unsigned acts_separate;  /* bits (1u << drt_act) the conv epilogue cannot apply: left as a separate step */
    int conv_dilation;       /* it runs dilated convs (AlexeyAB's dilation=) */
    int conv_xnor;           /* it runs xnor=1 convs (src/graph/xnor.h: a step, then the lowered conv) */
} drt_xcaps;

#define DRT_XBIT(v) (1u << (unsigned)(v))

/* DRT_STATUS_UNSUPPORTED naming the first live layer type or the precision the backend lacks. */
drt_status drt_xcaps_check(const drt_xcaps *caps, const drt_model *m, drt_precision precision);

typedef struct drt_xgraph {
    const drt_model *m;
    int n;              /* layers */
    drt_xnode *node;    /* n */
    int nt;             /* tensors: n + 1 */
    int *root;          /* nt: tensor whose buffer holds this one (itself when it owns one) */
    int *coff;          /* nt: channel offset inside the root's buffer */
    int *first, *last;  /* nt: first write and last read, in steps (step = layer + 1; input = 0) */
    size_t *offset;     /* nt: byte offset of each root buffer in the arena (per image) */
    int *reader_start;  /* nt + 1: layers reading tensor t are reader[reader_start[t] .. reader_start[t + 1]) */
    int *reader;        /* in layer order, live or not (built once: the inputs never change) */
    size_t arena_bytes, naive_bytes;
    unsigned passes_off;
    drt_xcaps caps;
    FILE *log;          /* verbose output, or NULL */
} drt_xgraph;

drt_status drt_xgraph_create(const drt_model *m, unsigned passes_off, drt_xcaps caps, FILE *log,
                             drt_xgraph **g_out);
void drt_xgraph_free(drt_xgraph *g);

/* The standard pipeline: dce, fold-bn, fuse-act, fuse-add, concat-inplace, upsample (reports
 * the row-replication plan). Memory planning (drt_pass_memplan) runs after, once the backend
 * knows each buffer's element type. */
drt_status drt_xgraph_run_passes(drt_xgraph *g);

drt_status drt_pass_dce(drt_xgraph *g);
drt_status drt_pass_fold_bn(drt_xgraph *g);
drt_status drt_pass_fuse_act(drt_xgraph *g);
drt_status drt_pass_fuse_add(drt_xgraph *g);
drt_status drt_pass_concat_inplace(drt_xgraph *g);
drt_status drt_pass_upsample(drt_xgraph *g);
/* Lifetimes and arena offsets; bytes_of(root) gives each root buffer's size per image. */
drt_status drt_pass_memplan(drt_xgraph *g, size_t (*bytes_of)(const drt_xgraph *g, int t, void *ctx), void *ctx);

/* The arena placement every backend uses: buffers whose lifetimes [first, last] (inclusive, in any
 * step unit) do not overlap share memory; greedy, largest first (ties: lower index), each at the
 * lowest offset that clears every placed, overlapping buffer. on = 0: one after another. Fills
 * each offset; *arena_out = the arena's size. */
typedef struct drt_mem_item {
    size_t bytes;
    int first, last;
    size_t offset;
} drt_mem_item;
drt_status drt_memplan_place(drt_mem_item *items, int n, int on, size_t *arena_out);

/* Shape of tensor t (t = 0: the network input). */
drt_shape drt_xgraph_shape(const drt_xgraph *g, int t);
/* The live layers reading tensor t, in order (up to max stored in readers); returns the count. */
int drt_xgraph_readers(const drt_xgraph *g, int t, int *readers, int max);
/* The layer whose output `reader` reads as layer a's, looking back through identities (dropout, [batchnorm]
 * folded away) that each feed only the next; -1 for the network input or an identity read by more.
 * next_out (may be NULL): the layer reading the one returned (reader, or the last identity). */
int drt_xgraph_behind_identities(const drt_xgraph *g, int a, int reader, int *next_out);
/* Tensor t is the whole of its root buffer (not a channel slice of a wider one). */
int drt_xgraph_dense(const drt_xgraph *g, int t);
/* 1 when pass bit is on. */
int drt_xgraph_pass_on(const drt_xgraph *g, unsigned bit);
void drt_xgraph_logf(const drt_xgraph *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
