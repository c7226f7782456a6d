/* darkrt's cfg parser against Darknet's own (Debian's libdarknet): same layers, types, output
 * shapes and conv FLOPs (Darknet's bflops formula on Darknet's layer fields) for every cfg. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darknet.h"
#include "darkrt.h"
#include "graph/model.h"
#include "darknet-compare.h"
#include "test-models.h"

/* Darknet's 2018 parser leaks a little (option lists); not ours to fix. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libdarknet.so\n"; }

static int failures;

static int type_of(LAYER_TYPE t)
{
    switch (t) {
    case CONVOLUTIONAL: return DRT_LAYER_CONV;
    case MAXPOOL: return DRT_LAYER_MAXPOOL;
    case ROUTE: return DRT_LAYER_ROUTE;
    case SHORTCUT: return DRT_LAYER_SHORTCUT;
    case UPSAMPLE: return DRT_LAYER_UPSAMPLE;
    case YOLO: return DRT_LAYER_YOLO;
    case DROPOUT: return DRT_LAYER_DROPOUT;
    default: return -1;
    }
}

static void check(const char *name, const char *cfg, int w, int h)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "/tmp/darkrt-parse-%d-%s.cfg", (int)getpid(), name);
    if (write_cfg_wh(cfg, w, h, tmp)) { printf("FAIL %s: cannot copy %s\n", name, cfg); failures++; return; }
    drt_load_opts o = drt_load_opts_default();
    o.warn = 0;
    o.width = w;
    o.height = h;
    drt_model *m;
    drt_status s = drt_model_load_darknet(cfg, NULL, &o, &m);
    if (s != DRT_OK) { printf("FAIL %s: darkrt: %s\n", name, drt_last_error()); failures++; remove(tmp); return; }
    network *net = parse_network_cfg(tmp);
    remove(tmp);
    int bad = 0;
    if (net->n != m->n_layers) { printf("FAIL %s: darknet has %d layers, darkrt %d\n", name, net->n, m->n_layers); bad++; }
    double dn_flops = 0;
    for (int i = 0; i < net->n && i < m->n_layers; i++) {
        layer *l = &net->layers[i];
        drt_layer *d = &m->layers[i];
        if (l->type == CONVOLUTIONAL)
            dn_flops += 2.0 * l->n * l->size * l->size * (double)(l->c / l->groups) * l->out_h * l->out_w;
        if (type_of(l->type) != (int)d->type || l->out_c != d->out.c || l->out_h != d->out.h || l->out_w != d->out.w) {
            printf("FAIL %s layer %d: darknet type %d %dx%dx%d, darkrt %s %dx%dx%d\n", name, i, (int)l->type,
                   l->out_w, l->out_h, l->out_c, drt_layer_type_name(d->type), d->out.w, d->out.h, d->out.c);
            if (++bad > 5) break;
        }
    }
    double flops = drt_model_flops(m);
    if (dn_flops != flops) { printf("FAIL %s: darknet %.0f FLOPs, darkrt %.0f\n", name, dn_flops, flops); bad++; }
    if (!bad) printf("ok %s: %d layers, shapes agree, %.3f BFLOPs both\n", name, m->n_layers, flops / 1e9);
    failures += bad != 0;
    free_network(net);
    drt_model_free(m);
}

int main(void)
{
    static const char *const cfgs[] = {"yolov3", "yolov3-tiny", "yolov3-spp", "yolov3-voc", "yolov3-openimages"};
    char path[512];
    for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++) {
        snprintf(path, sizeof path, "/usr/share/darknet/cfg/%s.cfg", cfgs[i]);
        if (access(path, R_OK)) { printf("FAIL %s: missing\n", path); failures++; continue; }
        check(cfgs[i], path, 0, 0);
    }
    check("yolov3-416", "/usr/share/darknet/cfg/yolov3.cfg", 416, 416);
    check("yolov3-tiny-320x192", "/usr/share/darknet/cfg/yolov3-tiny.cfg", 320, 192);
    char fcfg[1200], fw[1200];
    if (yolo_fastest_paths(fcfg, fw, sizeof fcfg)) check("yolo-fastest-1.1", fcfg, 0, 0);
    else { printf("FAIL %s: missing\n", fcfg); failures++; }
    printf(failures ? "%d model(s) disagree\n" : "all agree\n", failures);
    return failures != 0;
}
