/* A program using an installed darkrt (tests/cli/install.sh builds it with pkg-config and with
 * find_package): checks the library's version against the headers', then detects objects in an
 * image: consumer CFG WEIGHTS IMAGE prints "version V" and "N objects, best CLASS". */
#include <darkrt.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 4) return 2;
    printf("version %s\n", drt_version());
    if (strcmp(drt_version(), DRT_VERSION_STRING) != 0 || drt_version_number() != DRT_VERSION_NUMBER) {
        printf("library %s, headers %s\n", drt_version(), DRT_VERSION_STRING);
        return 1;
    }
    drt_model *m = NULL;
    drt_engine *e = NULL;
    drt_image *img = NULL;
    drt_detections *dets = NULL;
    drt_detect_opts o = drt_detect_opts_default();
    drt_status s = drt_model_load_darknet(argv[1], argv[2], NULL, &m);
    if (s == DRT_OK) s = drt_engine_create(m, NULL, &e);
    if (s == DRT_OK) s = drt_image_load(argv[3], &img);
    if (s == DRT_OK) s = drt_detect_image(e, img, &o, &dets, NULL);
    if (s == DRT_OK)
        printf("%d objects, best %d\n", dets->count, dets->count ? dets->items[0].class_id : -1);
    else
        printf("error: %s\n", drt_last_error());
    drt_detections_free(dets);
    drt_image_free(img);
    drt_engine_free(e);
    drt_model_free(m);
    return s != DRT_OK;
}
