/* Issue 19 item 12: every public function, called with each of its pointer arguments NULL in turn (the
 * calls are generated from the headers at build time by tests/tools/public-api-calls.py, so a new function
 * is covered without a case written for it), never crashes (ASan + UBSan); one that returns drt_status
 * returns DRT_STATUS_INVALID_ARG with one line naming the function and the argument, unless the header
 * documents that argument as optional (the list below). Every other argument is a valid object. */
#include "darkrt.h"
#include "unit/check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOT_A_STATUS ((drt_status)-1000)

struct null_case {
    const char *function, *arg; /* arg NULL: the function takes no pointer */
    drt_status (*call)(void);
};

/* Arguments the headers document as optional: NULL there is a valid call, not an error. */
static const char *const optional_args[] = {
    "*:opts",                   /* options: NULL means the defaults */
    "*:times",                  /* stage times: not wanted */
    "drt_model_load_darknet:weights_path", "drt_model_load:weights_path",
    "drt_engine_head:data_out", "drt_engine_head:desc_out",
    "drt_context_head:data_out", "drt_context_head:desc_out",
    "drt_eval_match:ref", "drt_eval_match:eng", "drt_eval_match:match_out", /* no detections; not wanted */
    "drt_eval_map_add:ref", "drt_eval_map_add:eng", "drt_eval_map_compute:n_classes_out",
    "drt_pipeline_submit_file:tag", "drt_pipeline_submit_frame:tag",
    "drt_pipeline_create_plan:engine_opts", /* the engine's defaults */
};

static int optional(const char *function, const char *arg)
{
    for (size_t i = 0; i < sizeof optional_args / sizeof optional_args[0]; i++) {
        const char *o = optional_args[i], *colon = strchr(o, ':');
        int fn_match = o[0] == '*' || (strlen(function) == (size_t)(colon - o) && !strncmp(o, function, colon - o));
        if (fn_match && !strcmp(colon + 1, arg)) return 1;
    }
    return 0;
}

/* The sample value of each parameter type (S_<type>, '*' as p), valid objects made in main. */
static FILE *S_FILE_p;
static char S_const_char_p[256]; /* a path in a private directory (nothing there: loaders fail) */
static drt_model *S_drt_model_p, *out_model;
static drt_engine *S_drt_engine_p, *out_engine;
static drt_context *S_drt_context_p, *out_ctx;
static drt_eval_map *S_drt_eval_map_p, *out_map;
static drt_pipeline *S_drt_pipeline_p, *out_pipeline;
static drt_image *S_drt_image_p, *out_image;
static drt_detections *out_dets[4];
static drt_pipeline_result *out_result;
static drt_video *out_video;
static drt_video_writer *out_writer;
static drt_detect_opts S_detect_opts;
static drt_engine_opts S_engine_opts;
static drt_load_opts S_load_opts;
static drt_onnx_opts S_onnx_opts;
static drt_pipeline_opts S_pipeline_opts;
static drt_video_opts S_video_opts;
static drt_detection S_detection = {.x1 = 1, .y1 = 1, .x2 = 5, .y2 = 5, .score = .9f};
static drt_detections S_detections = {.count = 1, .items = &S_detection};
static drt_stage_times S_times[4];
static drt_frame S_frame, out_frame;
static drt_video_frame S_video_frame;
static drt_engine_memory S_memory;
static drt_eval_agreement S_agreement;
static drt_eval_diff S_diff;
static drt_tensor_desc S_desc;
static float S_floats[16 * 16 * 3], S_out_floats[16 * 16 * 3];
static const float *S_float_ptr;
static unsigned char S_rgb[16 * 16 * 3];
static double S_double_value;
static int S_int_value, S_void_value;
/* Objects that cannot be made here (FFmpeg streams): memory that is not one, so a function that
 * touches its object before checking its other arguments is caught by ASan. */
static char not_an_object[64];
static void quiet_log(drt_log_level level, const char *msg, void *user) { (void)level, (void)msg, (void)user; }

#define S_const_char_p S_const_char_p
#define S_const_drt_model_p S_drt_model_p
#define S_const_drt_engine_p S_drt_engine_p
#define S_const_drt_context_p S_drt_context_p
#define S_const_drt_eval_map_p S_drt_eval_map_p
#define S_const_drt_pipeline_p S_drt_pipeline_p
#define S_const_drt_image_p S_drt_image_p
#define S_const_drt_image_p_const_p ((const drt_image *const *)&S_drt_image_p)
#define S_drt_model_p_p (&out_model)
#define S_drt_engine_p_p (&out_engine)
#define S_drt_context_p_p (&out_ctx)
#define S_drt_eval_map_p_p (&out_map)
#define S_drt_pipeline_p_p (&out_pipeline)
#define S_drt_image_p_p (&out_image)
#define S_drt_detections_p_p out_dets
#define S_drt_pipeline_result_p_p (&out_result)
#define S_drt_video_p_p (&out_video)
#define S_drt_video_writer_p_p (&out_writer)
#define S_drt_video_p ((drt_video *)not_an_object)
#define S_const_drt_video_p S_drt_video_p
#define S_drt_video_writer_p ((drt_video_writer *)not_an_object)
#define S_const_drt_detect_opts_p (&S_detect_opts)
#define S_drt_detect_opts_p (&S_detect_opts)
#define S_const_drt_engine_opts_p (&S_engine_opts)
#define S_const_drt_load_opts_p (&S_load_opts)
#define S_const_drt_onnx_opts_p (&S_onnx_opts)
#define S_const_drt_pipeline_opts_p (&S_pipeline_opts)
#define S_drt_pipeline_opts_p (&S_pipeline_opts)
#define S_const_drt_video_opts_p (&S_video_opts)
#define S_const_drt_detection_p (&S_detection)
#define S_const_drt_detections_p (&S_detections)
#define S_drt_detections_p (&S_detections)
#define S_const_drt_stage_times_p S_times
#define S_drt_stage_times_p S_times
#define S_const_drt_frame_p (&S_frame)
#define S_drt_frame_p (&out_frame)
#define S_drt_video_frame_p (&S_video_frame)
#define S_drt_engine_memory_p (&S_memory)
#define S_drt_eval_agreement_p (&S_agreement)
#define S_const_drt_eval_agreement_p (&S_agreement)
#define S_drt_eval_diff_p (&S_diff)
#define S_const_drt_eval_diff_p (&S_diff)
#define S_drt_tensor_desc_p (&S_desc)
#define S_const_float_p S_floats
#define S_float_p S_out_floats
#define S_const_float_p_p (&S_float_ptr)
#define S_const_double_p (&S_double_value)
#define S_double_p (&S_double_value)
#define S_int_p (&S_int_value)
#define S_const_unsigned_char_p S_rgb
#define S_void_p ((void *)&S_void_value)
#define S_drt_log_fn quiet_log
#define S_int 1
#define S_double 0.5
#define S_size_t ((size_t)1)
#define S_uint64_t ((uint64_t)1)
#define S_drt_resize DRT_RESIZE_LETTERBOX

#include "public-api-calls.h"

/* Frees what a call that succeeded (an optional argument left out) returned. */
static void release_outputs(void)
{
    drt_model_free(out_model);
    drt_engine_free(out_engine);
    drt_context_free(out_ctx);
    drt_eval_map_free(out_map);
    drt_pipeline_free(out_pipeline);
    drt_image_free(out_image);
    for (int i = 0; i < 4; i++) drt_detections_free(out_dets[i]);
    drt_pipeline_result_free(out_result);
    drt_video_free(out_video);
    drt_video_writer_abort(out_writer);
    drt_frame_release(&out_frame);
    out_model = NULL, out_engine = NULL, out_ctx = NULL, out_map = NULL, out_pipeline = NULL, out_image = NULL;
    memset(out_dets, 0, sizeof out_dets);
    out_result = NULL, out_video = NULL, out_writer = NULL;
    drt_set_log_callback(quiet_log, NULL);
}

static int make_samples(char *dir)
{
    snprintf(S_const_char_p, sizeof S_const_char_p, "%s/x", dir);
    S_FILE_p = fopen("/dev/null", "w");
    S_detect_opts = drt_detect_opts_default();
    S_engine_opts = drt_engine_opts_default();
    S_engine_opts.device = DRT_DEVICE_REF;
    S_load_opts = drt_load_opts_default();
    S_onnx_opts = drt_onnx_opts_default();
    S_pipeline_opts = drt_pipeline_opts_default();
    S_video_opts = drt_video_opts_default();
    S_frame = (drt_frame){.data = S_rgb, .w = 16, .h = 16, .stride = 48, .format = DRT_PIXEL_RGB8};
    for (size_t i = 0; i < sizeof S_floats / sizeof S_floats[0]; i++) S_floats[i] = .5f;
    const char *root = getenv("DRT_ROOT") ? getenv("DRT_ROOT") : ".";
    const char *data = getenv("DRT_DATA") ? getenv("DRT_DATA") : "build-asan/testdata"; /* fuzz seeds: tests/prepare-data.sh */
    char cfg[512], weights[512];
    snprintf(cfg, sizeof cfg, "%s/tests/fuzz/corpus/cfg/tiny-yolo.cfg", root);
    snprintf(weights, sizeof weights, "%s/fuzz-seeds/corpus/weights/tiny-yolo-v0.2.weights", data);
    if (!S_FILE_p || drt_model_load_darknet(cfg, weights, &S_load_opts, &S_drt_model_p) != DRT_OK ||
        drt_engine_create(S_drt_model_p, &S_engine_opts, &S_drt_engine_p) != DRT_OK ||
        drt_engine_run(S_drt_engine_p, S_floats, 1) != DRT_OK ||
        drt_context_create(S_drt_engine_p, &S_drt_context_p) != DRT_OK ||
        drt_eval_map_create(.5, &S_drt_eval_map_p) != DRT_OK || drt_image_create(16, 16, 3, &S_drt_image_p) != DRT_OK) {
        printf("cannot make the sample objects (DRT_ROOT: the repository): %s\n", drt_last_error());
        return -1;
    }
    return 0;
}

static void check_case(const struct null_case *c)
{
    drt_status s = c->call();
    if (s == NOT_A_STATUS || optional(c->function, c->arg)) return; /* it did not crash: all it owes */
    const char *msg = drt_last_error();
    CHECK(s == DRT_STATUS_INVALID_ARG, "%s(%s = NULL) returned %s (%s)", c->function, c->arg, drt_status_str(s), msg);
    CHECK(strstr(msg, c->function) && strstr(msg, c->arg) && !strchr(msg, '\n'),
          "%s(%s = NULL): the message does not name the function and the argument in one line: %s", c->function, c->arg, msg);
}

/* One call, with the objects it may need (a pipeline only where used: it starts threads). */
static void run_case(const struct null_case *c)
{
    int pipeline = !strncmp(c->function, "drt_pipeline_", 13);
    if (pipeline && drt_pipeline_create(S_drt_engine_p, &S_pipeline_opts, &S_drt_pipeline_p) != DRT_OK) {
        CHECK(0, "cannot make a pipeline: %s", drt_last_error());
        return;
    }
    check_case(c);
    release_outputs();
    if (pipeline) drt_pipeline_free(S_drt_pipeline_p);
    S_drt_pipeline_p = NULL;
}

int main(void)
{
    char dir[] = "/tmp/drt-null-args-XXXXXX";
    if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
    drt_set_log_callback(quiet_log, NULL);
    int n_calls = 0;
    if (make_samples(dir) == 0) {
        for (size_t i = 0; i < sizeof null_cases / sizeof null_cases[0]; i++) {
            if (!null_cases[i].call) continue;
            run_case(&null_cases[i]);
            n_calls++;
        }
    } else {
        failures++;
    }
    printf("%d calls with a NULL argument, %d public functions\n", n_calls, N_PUBLIC_FUNCTIONS);
    drt_image_free(S_drt_image_p);
    drt_eval_map_free(S_drt_eval_map_p);
    drt_context_free(S_drt_context_p);
    drt_engine_free(S_drt_engine_p);
    drt_model_free(S_drt_model_p);
    if (S_FILE_p) fclose(S_FILE_p);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("could not remove %s\n", dir);
    return DONE();
}
