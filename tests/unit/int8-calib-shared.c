/* A --min-map search measures its calibration once and builds every candidate from it
 * (drt_engine_create_calibrated): each candidate must be the engine a plain build, which calibrates
 * for itself, makes. yolo-fastest-1.1 (real weights), CPU int8 with bias correction (the default), calibrated on
 * one half of 4 photos (calib_max_images 4, calib_half 1: the 1st and 3rd, as the search's split does), two keep
 * lists (the default and every conv but two in int8): the heads of the engine built fresh and of the one built
 * from the shared calibration are the same bytes on the calibration's two images. Control: an engine built
 * from the other half's calibration gives other heads, so a calibration that differed would be seen. */
#include "engine/calib.h"
#include "engine/engine.h"
#include "engine-heads.h"
#include "test-models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The heads of e on the calibration's image k, malloc'd (NULL on failure). */
static float *heads_on(drt_engine *e, const drt_calib *c, const drt_model *m, int k)
{
    size_t per = (size_t)3 * drt_model_width(m) * drt_model_height(m), n = heads_floats(e);
    float *out = malloc(n * sizeof *out);
    if (!out || drt_engine_run(e, c->inputs + per * (size_t)k, 1) != DRT_OK) {
        free(out);
        return NULL;
    }
    take_heads(e, NULL, 1, out);
    return out;
}

/* Whether engines a and b give the same heads (want_same) or not, on the calibration's two images. */
static int compare(const char *what, drt_engine *a, drt_engine *b, const drt_calib *c, const drt_model *m, int want_same)
{
    int same = 1;
    for (int k = 0; k < 2; k++) {
        float *ha = heads_on(a, c, m, k), *hb = heads_on(b, c, m, k);
        if (!ha || !hb) {
            printf("FAIL %s: run: %s\n", what, drt_last_error());
            free(ha);
            free(hb);
            return 1;
        }
        same &= !memcmp(ha, hb, heads_floats(a) * sizeof *ha);
        free(ha);
        free(hb);
    }
    printf("%s %s: heads %s on 2 images\n", same == want_same ? "ok  " : "FAIL", what, same ? "identical" : "differ");
    return same != want_same;
}

int main(void)
{
    drt_model *m = NULL;
    int rc = load_yolo_fastest_with_samples(&m);
    if (rc) return rc;
    char dir[] = "/tmp/drt-calib-shared-XXXXXX";
    if (calib_photos_link(dir) != 0) {
        printf("FAIL: the calibration folder\n");
        return 1;
    }
    drt_engine_opts o = drt_engine_opts_default();
    o.precision = DRT_PREC_INT8;
    o.no_tune = 1;
    o.calib_dir = dir;
    o.calib_max_images = 4;
    o.calib_half = 1;
    drt_engine_opts half2 = o;
    half2.calib_half = 2;
    drt_calib *shared = NULL, *other = NULL;
    int fails = drt_calib_measure(m, &o, NULL, &shared) != DRT_OK || drt_calib_measure(m, &half2, NULL, &other) != DRT_OK;
    if (!fails && shared->n != 2) printf("FAIL: the shared calibration holds %d images, not 2\n", shared->n), fails = 1;
    static const char *const keeps[] = {NULL, "none,0,1"};
    for (int i = 0; !fails && i < 2; i++) {
        drt_engine_opts k = o;
        k.int8_keep = keeps[i];
        drt_engine *fresh = NULL, *built = NULL, *control = NULL;
        char what[96];
        if (drt_engine_create(m, &k, &fresh) != DRT_OK || drt_engine_create_calibrated(m, &k, shared, &built) != DRT_OK ||
            drt_engine_create_calibrated(m, &k, other, &control) != DRT_OK) {
            printf("FAIL: engines: %s\n", drt_last_error());
            fails++;
        } else {
            snprintf(what, sizeof what, "keep %s: fresh calibration against the shared one", keeps[i] ? keeps[i] : "(default)");
            fails += compare(what, fresh, built, shared, m, 1);
            snprintf(what, sizeof what, "keep %s: fresh against the other half's calibration (control)", keeps[i] ? keeps[i] : "(default)");
            fails += compare(what, fresh, control, shared, m, 0);
        }
        drt_engine_free(fresh);
        drt_engine_free(built);
        drt_engine_free(control);
    }
    if (fails && !shared) printf("FAIL: calibration: %s\n", drt_last_error());
    drt_calib_free(shared);
    drt_calib_free(other);
    drt_model_free(m);
    calib_photos_remove(dir);
    return fails ? 1 : 0;
}
