/* The cfg parser: Darknet's defaults and key semantics (known answers from Darknet's parser.c),
 * warnings for unknown keys, size overrides, and errors naming file:line and the rule. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darkrt.h"
#include "graph/model.h"
#include "graph/states.h"

static int failures;
static char dir[] = "/tmp/darkrt-cfgparse-XXXXXX";
#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static const char *write_cfg(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    if (!fp) { perror(path); exit(1); }
    fputs(text, fp);
    fclose(fp);
    return path;
}

static drt_model *load(const char *name, const char *text, int warn)
{
    drt_load_opts o = drt_load_opts_default();
    o.warn = warn;
    drt_model *m = NULL;
    if (drt_model_load_darknet(write_cfg(name, text), NULL, &o, &m) != DRT_OK) {
        printf("FAIL: %s: %s\n", name, drt_last_error());
        failures++;
    }
    return m;
}

/* Loads with stderr captured into buf. */
static drt_model *load_capture(const char *name, const char *text, int warn, char *buf, size_t cap)
{
    char log[600];
    snprintf(log, sizeof log, "%s/stderr.txt", dir);
    fflush(stderr);
    int saved = dup(2);
    FILE *fp = freopen(log, "w", stderr);
    drt_model *m = load(name, text, warn);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    (void)fp;
    memset(buf, 0, cap);
    FILE *in = fopen(log, "r");
    if (in) {
        size_t n = fread(buf, 1, cap - 1, in);
        buf[n] = 0;
        fclose(in);
    }
    return m;
}

static void expect_error(const char *name, const char *text, const char *want)
{
    drt_model *m = NULL;
    drt_load_opts o = drt_load_opts_default();
    o.warn = 0;
    drt_status s = drt_model_load_darknet(write_cfg(name, text), NULL, &o, &m);
    if (s == DRT_OK || m) { printf("FAIL %s: loaded, expected '%s'\n", name, want); failures++; drt_model_free(m); }
    else if (!strstr(drt_last_error(), want)) { printf("FAIL %s: got '%s', expected '%s'\n", name, drt_last_error(), want); failures++; }
}

#define NET "[net]\nwidth=416\nheight=416\nchannels=3\n"

static void defaults_and_padding(void)
{
    drt_model *m = load("conv.cfg", "[network]\nwidth=32\nheight=16\nchannels=3\nbatch=64\n"
                        "[conv]\nfilters=4\n"                              /* 0: all defaults */
                        "[convolutional]\nfilters=4\nsize=3\npad=1\n"       /* 1: pad=1 -> size/2 */
                        "[convolutional]\nfilters=4\nsize=5\npad=1\npadding=7\n" /* 2: pad wins */
                        "[convolutional]\nfilters=4\nsize=3\npadding=2\nstride=2\n" /* 3: explicit padding */
                        "[convolutional]\nfilters=8\nsize=3\npad=1\ngroups=4\nbatch_normalize=1\nactivation=mish\n", 1);
    if (!m) return;
    CHECK(m->width == 32 && m->height == 16 && m->channels == 3 && m->batch == 64 && m->n_layers == 5);
    drt_layer *l = m->layers;
    CHECK(l[0].type == DRT_LAYER_CONV && l[0].size == 1 && l[0].stride == 1 && l[0].pad == 0 && l[0].groups == 1);
    CHECK(l[0].act == DRT_ACT_LOGISTIC && !l[0].batch_normalize); /* Darknet's default activation */
    CHECK(l[0].out.c == 4 && l[0].out.h == 16 && l[0].out.w == 32);
    CHECK(l[1].pad == 1 && l[1].out.h == 16 && l[1].out.w == 32);
    CHECK(l[2].pad == 2 && l[2].out.h == 16);
    CHECK(l[3].pad == 2 && l[3].out.h == (16 + 4 - 3) / 2 + 1 && l[3].out.w == (32 + 4 - 3) / 2 + 1);
    CHECK(l[4].groups == 4 && l[4].batch_normalize && l[4].act == DRT_ACT_MISH);
    /* params: biases + bn (3 x filters) + filters x c/groups x 3 x 3 */
    CHECK(drt_layer_param_count(m, &l[4]) == 8 + 24 + 8 * 1 * 9);
    CHECK(l[0].line == 6 && l[4].line == 22);
    CHECK(!m->has_weights && m->params && m->n_params > 0);
    drt_model_free(m);
}

static void pooling_and_routing(void)
{
    drt_model *m = load("route.cfg", NET
                        "[maxpool]\nsize=2\nstride=2\n"       /* 0: 416 -> 208 */
                        "[maxpool]\nsize=2\nstride=1\n"       /* 1: padding 1 keeps 208 */
                        "[max]\nstride=2\n"                   /* 2: size defaults to stride */
                        "[convolutional]\nfilters=16\nsize=1\nactivation=leaky\n" /* 3 */
                        "[route]\nlayers=-1\ngroups=2\ngroup_id=1\n" /* 4: half of 3 */
                        "[upsample]\n"                        /* 5: stride 2 -> 208 */
                        "[route]\nlayers = -1, 1\n"           /* 6: 8 + 3 channels at 208 */
                        "[shortcut]\nfrom=-2\n"               /* 7: 6's size from 5 */
                        "[dropout]\nprobability=.25\n"        /* 8 */
                        "[maxpool]\nsize=3\nstride=2\npadding=0\n", 1); /* 9 */
    if (!m) return;
    drt_layer *l = m->layers;
    CHECK(l[0].padding == 1 && l[0].out.w == 208 && l[0].out.h == 208 && l[0].out.c == 3);
    CHECK(l[1].padding == 1 && l[1].out.w == 208);
    CHECK(l[2].size == 2 && l[2].out.w == 104);
    CHECK(l[4].n_inputs == 1 && l[4].inputs[0] == 3 && l[4].route_groups == 2 && l[4].route_group_id == 1);
    CHECK(l[4].out.c == 8 && l[4].out.w == 104);
    CHECK(l[5].stride == 2 && l[5].out.w == 208 && l[5].out.c == 8);
    CHECK(l[6].n_inputs == 2 && l[6].inputs[0] == 5 && l[6].inputs[1] == 1 && l[6].out.c == 11);
    CHECK(l[7].type == DRT_LAYER_SHORTCUT && l[7].inputs[0] == 6 && l[7].inputs[1] == 5 && l[7].act == DRT_ACT_LINEAR);
    CHECK(l[7].out.c == 11 && l[7].out.w == 208);
    CHECK(l[8].type == DRT_LAYER_DROPOUT && l[8].out.c == 11 && l[8].out.w == 208);
    CHECK(l[9].out.w == (208 - 3) / 2 + 1);
    drt_model_free(m);
}

static void yolo_heads(void)
{
    drt_model *m = load("yolo.cfg", NET "[convolutional]\nfilters=255\nsize=1\nstride=32\nactivation=linear\n"
                        "[yolo]\nmask = 3,4,5\nanchors = 10,13,  16,30,  33,23,  30,61,  62,45,  59,119\n"
                        "classes=80\nnum=6\nscale_x_y=1.05\nnew_coords=0\njitter=.3\nignore_thresh=.7\nrandom=1\n"
                        "[route]\nlayers=0\n[convolutional]\nfilters=6\nsize=1\n[yolo]\nclasses=1\n", 1);
    if (!m) return;
    drt_layer *y = &m->layers[1], *y2 = &m->layers[4];
    CHECK(y->out.w == 13 && y->out.c == 255 && y->classes == 80 && y->num == 6 && y->n_mask == 3);
    CHECK(y->mask[0] == 3 && y->mask[2] == 5 && y->anchors[0] == 10 && y->anchors[11] == 119);
    CHECK(y->scale_x_y == 1.05f && y->new_coords == 0);
    /* Darknet: no mask means every anchor; no anchors means 0.5 */
    CHECK(y2->num == 1 && y2->n_mask == 1 && y2->mask[0] == 0 && y2->anchors[0] == .5f && y2->scale_x_y == 1.f);
    int heads[4];
    CHECK(drt_model_heads(m, heads, 4) == 2 && heads[0] == 1 && heads[1] == 4);
    drt_model_free(m);
}

static void warnings(void)
{
    char err[4096];
    const char *text = "[net]\nwidth=8\nheight=8\nchannels=3\nbatch=1\nmomentum=0.9\nsubdivisions=1\n"
                       "[convolutional]\nfilters=2\nsize=1\nfoo=1\nfilters=3\n";
    drt_model *m = load_capture("warn.cfg", text, 1, err, sizeof err);
    CHECK(m && m->layers[0].filters == 2); /* the first of repeated keys, as Darknet */
    CHECK(strstr(err, "warn.cfg:11 [convolutional] foo=1: unknown key ignored") != NULL);
    CHECK(strstr(err, "warn.cfg:12 [convolutional] filters: repeated key ignored (the first, at line 9") != NULL);
    CHECK(!strstr(err, "momentum") && !strstr(err, "batch") && !strstr(err, "subdivisions"));
    drt_model_free(m);
    m = load_capture("warn.cfg", text, 0, err, sizeof err);
    CHECK(m && err[0] == 0);
    drt_model_free(m);
}

static void overrides(void)
{
    drt_load_opts o = drt_load_opts_default();
    o.warn = 0;
    o.width = 320;
    o.height = 192;
    o.bn = DRT_BN_PJREDDIE;
    drt_model *m = NULL;
    CHECK(drt_model_load_darknet("/usr/share/darknet/cfg/yolov3.cfg", NULL, &o, &m) == DRT_OK);
    if (!m) return;
    int h[3];
    CHECK(m->bn == DRT_BN_PJREDDIE && m->width == 320 && m->height == 192);
    CHECK(drt_model_heads(m, h, 3) == 3);
    CHECK(m->layers[h[0]].out.w == 10 && m->layers[h[0]].out.h == 6 && m->layers[h[2]].out.w == 40);
    drt_model_free(m);
    o.width = o.height = 416;
    CHECK(drt_model_load_darknet("/usr/share/darknet/cfg/yolov3.cfg", NULL, &o, &m) == DRT_OK);
    if (!m) return;
    /* Darknet's well-known yolov3-416 layout: 107 layers, heads at 82, 94, 106 of 13, 26, 52 */
    CHECK(m->n_layers == 107 && drt_model_heads(m, h, 3) == 3 && h[0] == 82 && h[1] == 94 && h[2] == 106);
    CHECK(m->layers[82].out.w == 13 && m->layers[94].out.w == 26 && m->layers[106].out.w == 52);
    /* pjreddie's published yolov3.weights is 248007048 bytes: a 20-byte header and the floats */
    CHECK(m->layers[106].out.c == 255 && m->n_params == (248007048 - 20) / 4);
    drt_model_free(m);
}

static void errors(void)
{
    expect_error("e1.cfg", NET "[convolutional]\nfilters=8\nsize=0\n", "e1.cfg:7 [convolutional] size=0: must be > 0");
    expect_error("e2.cfg", NET "[route]\nlayers=-1\n", "e2.cfg:6 [route] layers=-1: layer -1 refers to layer -1, before the first layer");
    expect_error("e3.cfg", NET "[convolutional]\nfilters=8\n[shortcut]\nfrom=1\n", "e3.cfg:8 [shortcut] from=1: layer 1 is not before this layer (1)");
    expect_error("e4.cfg", NET "[convolutional]\nfilters=8\n[shortcut]\nfrom=-1,x\n", "e4.cfg:8 [shortcut] from=-1,x: must be a list of integers");
    expect_error("e5.cfg", NET "[convolutional]\nfilters=85\n[yolo]\nclasses=80\nnum=3\n",
                 "e5.cfg:7 [yolo] (layer 1) input has 85 channels: must be masks x (classes + 5) = 3 x 85 = 255");
    expect_error("e6.cfg", NET "[yolo]\nclasses=0\n", "e6.cfg:6 [yolo] classes=0: must be 1..100000");
    expect_error("e7.cfg", NET "[convolutional]\nbatch_normalize=2\n", "e7.cfg:6 [convolutional] batch_normalize=2: must be 0..1");
    expect_error("e8.cfg", NET "[dropout]\nprobability=1.5\n", "e8.cfg:6 [dropout] probability=1.5: must be in [0, 1]");
    expect_error("e9.cfg", NET "[yolo]\nscale_x_y=nan\n", "e9.cfg:6 [yolo] scale_x_y=nan: must be a number");
    expect_error("e10.cfg", NET "[route]\n", "e10.cfg:5 [route]: layers= is required");
    expect_error("e11.cfg", NET "[route]\nlayers=\n", "e11.cfg:6 [route] layers=: must be a list of integers");
    expect_error("e12.cfg", NET "[route]\nlayers=0,,1\n", "e12.cfg:6 [route] layers=0,,1: must be a list of integers");
    expect_error("e13.cfg", NET "[net]\n", "e13.cfg:5 [net]: only the first section may be [net]");
    expect_error("e14.cfg", NET "[upsample]\nscale=2\n", "e14.cfg:6 [upsample] scale=2: not supported by darkrt with stride > 0 (only 1)");
    expect_error("e15.cfg", NET "[maxpool]\nsize=2\nstride=2\nstride_x=0\n", "e15.cfg:8 [maxpool] stride_x=0: must be > 0");
    expect_error("e20.cfg", NET "[convolutional]\ndontload=1\n", "e20.cfg:6 [convolutional] dontload=1: not supported by "
                 "darkrt (AlexeyAB's Darknet skips this layer's parameters and runs it with its random initial values; use 0)");
    expect_error("e21.cfg", NET "[convolutional]\ndontloadscales=1\n", "e21.cfg:6 [convolutional] dontloadscales=1: not supported");
    expect_error("e22.cfg", NET "[convolutional]\nflipped=2\n", "e22.cfg:6 [convolutional] flipped=2: must be 0..1");
    expect_error("e23.cfg", NET "[yolo]\nbeta_nms=0\n", "e23.cfg:6 [yolo] beta_nms=0: must be in [1e-06, 100]");
    expect_error("e16.cfg", "[net]\nwidth=416\nheight=0\nchannels=3\n[maxpool]\n", "e16.cfg:3 [net] height=0: must be 1..65536");
    expect_error("e17.cfg", "[net]\nwidth=416\nheight=416\nchannels=3\n", "e17.cfg:1 [net]: no layers follow");
    expect_error("e18.cfg", NET "[yolo]\nnum=33\n", "e18.cfg:6 [yolo] num=33: must be 1..32");
    expect_error("e19.cfg", NET "[yolo]\nnum=1\nanchors=10,-13\n", "e19.cfg:7 [yolo] anchors=10,-13: anchors must be > 0");
}

/* What AlexeyAB's test_detector takes from the cfg: letter_box, and the last [yolo]'s nms_kind
 * and beta_nms (parser.c parse_yolo: unknown kinds mean default). */
static void detect_semantics(void)
{
    const char *yolo = "[convolutional]\nfilters=18\n[yolo]\nmask=0,1,2\nanchors=1,1,2,2,3,3\nnum=3\nclasses=1\n";
    const char *yolo2 = "[route]\nlayers=0\n[yolo]\nmask=0,1,2\nanchors=1,1,2,2,3,3\nnum=3\nclasses=1\n";
    char text[1024];
    snprintf(text, sizeof text, NET "%s%snms_kind=diounms\nbeta_nms=0.7\n", yolo, yolo2);
    drt_model *m = load("sem1.cfg", text, 1);
    float beta = 0;
    if (m) {
        CHECK(m->resize == DRT_RESIZE_STRETCH); /* no letter_box: AlexeyAB stretches */
        CHECK(drt_detect_model_nms(m, &beta) == DRT_NMS_DIOU && beta == .7f);
        CHECK(m->layers[1].nms_kind == DRT_NMS_IOU && m->layers[1].beta_nms == .6f);
        drt_detect_opts o = drt_detect_opts_for_model(m);
        CHECK(o.resize == DRT_RESIZE_STRETCH && o.nms_kind == DRT_NMS_DIOU && o.beta_nms == .7f);
        drt_model_free(m);
    }
    snprintf(text, sizeof text, "[net]\nwidth=416\nheight=416\nchannels=3\nletter_box=1\n%snms_kind=greedynms\n", yolo);
    if ((m = load("sem2.cfg", text, 1))) {
        CHECK(m->resize == DRT_RESIZE_LETTERBOX && drt_detect_model_nms(m, NULL) == DRT_NMS_GREEDY);
        drt_model_free(m);
    }
    /* pjreddie's Darknet reads neither: --bn pjreddie takes its semantics whole. */
    char path[512];
    snprintf(path, sizeof path, "%s/sem2.cfg", dir);
    drt_load_opts o = drt_load_opts_default();
    o.bn = DRT_BN_PJREDDIE;
    if (drt_model_load_darknet(path, NULL, &o, &m) == DRT_OK) {
        CHECK(m->resize == DRT_RESIZE_LETTERBOX && drt_detect_model_nms(m, NULL) == DRT_NMS_IOU);
        drt_model_free(m);
    } else CHECK(!"--bn pjreddie load");
    char err[600];
    snprintf(text, sizeof text, NET "%snms_kind=softnms\n", yolo);
    if ((m = load_capture("sem3.cfg", text, 1, err, sizeof err))) {
        CHECK(drt_detect_model_nms(m, NULL) == DRT_NMS_IOU);
        CHECK(strstr(err, "nms_kind=softnms: unknown, IoU NMS (default) is used as in AlexeyAB's Darknet") != NULL);
        drt_model_free(m);
    }
    if ((m = load("sem4.cfg", NET "[upsample]\nscale=1.0\n[convolutional]\nflipped=1\nstride=2\nstride_x=2\n", 1))) {
        CHECK(m->layers[1].flipped == 1); /* scale=1.0 is 1 */
        drt_model_free(m);
    }
}

/* AlexeyAB's stride_x/stride_y, antialiasing (a fixed blur layer after the layer, Darknet's layer numbers kept
 * for references), maxpool_depth and the downsampling [upsample] (parser.c, make_convolutional_layer). */
static void alexeyab_options(void)
{
    drt_model *m;
    const char *conv = "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=leaky\n";
    char text[1200];
    snprintf(text, sizeof text, "[net]\nwidth=48\nheight=48\nchannels=3\n%sstride=2\nstride_x=3\n%santialiasing=1\n"
             "[maxpool]\nstride=2\nstride_y=1\n[route]\nlayers=-2\n%sstride=2\nantialiasing=2\n[convolutional]\n"
             "share_index=-1\nfilters=4\nsize=3\npad=1\n[upsample]\nstride=-2\nscale=0.25\n[maxpool]\nmaxpool_depth=1\n"
             "out_channels=3\n", conv, conv, conv);
    if ((m = load("aa1.cfg", text, 1))) {
        const drt_layer *L = m->layers;
        CHECK(m->n_layers == 10);
        CHECK(L[0].stride == 3 && L[0].stride_y == 2 && L[0].out.w == 16 && L[0].out.h == 24);
        CHECK(L[1].stride == 1 && !L[1].fixed && L[2].fixed == DRT_FIXED_BLUR3 && L[2].stride == 1 && L[2].groups == 4 &&
              L[2].size == 3 && L[2].pad == 1 && L[2].out.w == 16 && L[2].out.h == 24 && L[2].weights &&
              L[2].weights[4] == .25f && L[2].weights[9 + 1] == .125f && L[2].biases[0] == 0);
        CHECK(L[3].size == 2 && L[3].stride == 2 && L[3].stride_y == 1 && L[3].out.w == 8 && L[3].out.h == 24);
        CHECK(L[4].n_inputs == 1 && L[4].inputs[0] == 2); /* -2: section 1, its blur */
        CHECK(L[5].stride == 1 && L[6].fixed == DRT_FIXED_BLUR2 && L[6].size == 2 && L[6].pad == 0 && L[6].stride == 2 &&
              L[6].weights[3] == .25f && L[6].out.w == 8 && L[6].out.h == 12);
        CHECK(L[7].share == 6 && L[7].inputs[0] == 6); /* share_index=-1: section 4's conv, not its blur */
        CHECK(L[8].type == DRT_LAYER_CONV && L[8].fixed == DRT_FIXED_SUM && L[8].size == 2 && L[8].weights[0] == .25f &&
              L[8].out.w == 4 && L[8].out.h == 6 && L[8].out.c == 4);
        CHECK(L[9].type == DRT_LAYER_MAXPOOL && L[9].depth_channels == 3 && L[9].out.c == 3 && L[9].out.w == 4);
        CHECK(drt_model_num_params(m) == 2 * (4 + 4 * 4 * 9) + 4 + 4 * 3 * 9); /* no fixed weights in the file */
        CHECK(drt_model_synth_weights(m, 1) == DRT_OK && L[2].weights[4] == .25f && L[8].biases[0] == 0); /* kept */
        drt_model_free(m);
    }
    snprintf(text, sizeof text, NET "%sstride=2\nantialiasing=1\n[route]\nlayers=-1\n", conv);
    expect_error("aa2.cfg", text, "aa2.cfg:13 [route] layers=-1: layer 0 is antialiased with a stride: not supported");
    expect_error("aa3.cfg", NET "[maxpool]\nmaxpool_depth=1\nantialiasing=1\n",
                 "aa3.cfg:7 [maxpool] antialiasing=1: not supported with maxpool_depth=1");
    expect_error("aa4.cfg", NET "[upsample]\nstride=-100\n", "aa4.cfg:6 [upsample] stride=-100: must be -64..-1 to downsample");
    expect_error("aa5.cfg", NET "[upsample]\nstride=-3\n", "aa5.cfg:5 [convolutional] (layer 0) stride=-3: must divide the input's 416x416");
    expect_error("aa6.cfg", NET "[maxpool]\nmaxpool_depth=1\nout_channels=4\n",
                 "aa6.cfg:5 [maxpool] (layer 0) out_channels=4: must be 1..3");
}

/* [crnn]: five layers, the state layer fed by the section's sum; drt_states maps each source to its state, and a state
 * layer whose source already feeds another is refused (the map has one state per layer). */
static void crnn_states(void)
{
    const char *crnn = "[crnn]\nsize=3\npad=1\noutput=4\nhidden=4\n";
    char text[600];
    snprintf(text, sizeof text, "[net]\nwidth=16\nheight=16\nchannels=3\n%s%s[convolutional]\nsize=1\nfilters=18\n"
             "activation=linear\n[yolo]\nmask=0,1,2\nanchors=1,1, 2,2, 3,3\nclasses=1\nnum=3\n", crnn, crnn);
    drt_model *m = load("crnn2.cfg", text, 0);
    if (!m) return;
    drt_layer *L = m->layers;
    CHECK(m->n_layers == 12 && L[1].type == DRT_LAYER_STATE && L[1].state_from == 3 && L[6].type == DRT_LAYER_STATE &&
          L[6].state_from == 8);
    drt_states st;
    CHECK(drt_states_alloc(m, &st) == DRT_OK);
    for (int i = 0; st.into && i < m->n_layers; i++)
        CHECK(st.into[i] == (i == 3 ? 1 : i == 8 ? 6 : -1));
    CHECK(st.val && st.val[1] && st.val[6] && !st.val[3] && st.val[6][4 * 16 * 16 - 1] == 0);
    drt_states_free(&st);
    L[1].state_from = 8; /* as a hostile plan could: two states of one layer */
    CHECK(drt_model_infer_shapes(m) != DRT_OK && strstr(drt_last_error(), "state_from=8: layer 1's state already"));
    drt_model_free(m);
}

int main(void)
{
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    detect_semantics();
    defaults_and_padding();
    pooling_and_routing();
    yolo_heads();
    warnings();
    overrides();
    errors();
    alexeyab_options();
    crnn_states();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
    printf(failures ? "%d failure(s)\n" : "all passed\n", failures);
    return failures != 0;
}
