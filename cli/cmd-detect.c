/* darkrt detect: images -> boxes, drawn PNGs, JSON and a short summary, in batches. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-util.h"
#include "detect-video.h"
#include "commands.h"
#include "detect-ticker.h"
#include "engine/engine.h"
#include "engine/plan.h"
#include "pipeline/pipeline-stop.h"
#include "detect-output.h"
#include "vision/detect-outputs.h"
#include "core/env-switch.h"
#include "core/error.h"
#include "core/fileio.h"
#include "core/timeline.h"
#include "core/utf8.h"

#define VIDEO_BATCH 4 /* frames per engine run on video, across sources */

typedef struct detect_args {
    const char *model, *weights, *names, *out, *json;
    drt_detect_opts dopts;
    int overrides; /* CLI_SET_* bits: what the flags set instead of the model */
    drt_engine_opts eopts;
    int batch_set, device_set, threads_set, workers, no_draw, max_det;
    drt_image_decode image_decode;
    drt_load_opts lopts;
    drt_std_outputs_opts std; /* --save-txt, --save-conf, --coco-json, --coco, --category-ids */
    char **inputs; /* images after expanding directories (malloc'd strings) */
    unsigned char *starts; /* per input: it starts a sequence of a stateful model (a folder's first, or the first
                            * image named after a folder) */
    int n_inputs, start_next;
    float video_timeout;
    int n_videos;  /* inputs that are videos, cameras, streams or image sequences */
    video_opts video;
} detect_args;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: darkrt detect MODEL [WEIGHTS] IMAGE|DIR... [options]\n"
            "       darkrt detect MODEL [WEIGHTS] VIDEO... [options]\n"
            "  MODEL                 a Darknet .cfg (with its .weights next, or -w), an .onnx or a plan\n"
            "  IMAGE|DIR             JPEG, PNG, BMP or PPM files, or directories of them\n"
            "  VIDEO                 video files (.mp4 .mkv .avi ...), cameras (/dev/videoN), streams\n"
            "                        (rtsp:// http(s):// udp:// srt://) or image sequences (dir/%%04d.png)\n"
            "  -w, --weights W       Darknet .weights for a .cfg\n"
            "  -n, --names FILE      class names, one a line (default: the model's, else coco.names\n"
            "                        next to the cfg, else class ids)\n"
            "  -o, --output OUT      drawn PNG (one image) or directory, keeping each input's path\n"
            "                        below the inputs' common directory (default: bboxes.png for\n"
            "                        one image without --json)\n"
            "      --no-draw         draw nothing\n"
            "  -j, --json FILE|-     detections as a JSON array, one element per image (failed\n"
            "                        images: {\"image\", \"error\"})\n"
            "      --max-det N       keep the N highest-scoring boxes per image (default 300; 0: all)\n"
            "      --no-clip         boxes as decoded, past the image's edges where they reach there\n"
            "                        (as Darknet's detector map scores them; default: clipped)\n"
            "  -t, --thresh X        score threshold (default 0.25)\n"
            "      --nms X           threshold of per-class NMS (default 0.45)\n"
            "      --nms-kind K      default (IoU), greedynms or diounms (DIoU, AlexeyAB's); default:\n"
            "                        the cfg's last [yolo] nms_kind, as AlexeyAB's Darknet\n"
            "      --beta-nms X      diounms's exponent (default: the cfg's beta_nms, 0.6)\n"
            "      --resize MODE     letterbox or stretch; default: the model's (a cfg: letterbox\n"
            "                        when [net] letter_box=1, else stretch, as AlexeyAB's Darknet)\n"
            "      --pre WHERE       letterbox on the cpu (default) or the gpu (CUDA engines)\n"
            "      --post WHERE      decode and NMS on the cpu (default), the gpu, or gpu-decode\n"
            "                        (decode on the gpu, NMS on the cpu); results are the same\n"
            "  -d, --device D        cpu (default; a plan's own device), cuda[:N] or ref\n"
            "  -p, --precision P     fp32 (default), fp16, bf16 or int8\n"
            "  -b, --batch N         images per engine run (default: up to 8)\n"
            "      --workers N       decode/letterbox threads (default: one per core); with several\n"
            "                        images on a CPU engine each worker also runs the engine on the\n"
            "                        images it decoded, one at a time (default: one per core and one\n"
            "                        more, so that busy processes beside it take less of the cores)\n"
            "      --threads N       CPU engine threads of each run (default: 1 with several images:\n"
            "                        the workers run images side by side; all cores for one image;\n"
            "                        video: one core fewer than the machine has, 1 on 2 cores, where\n"
            "                        the workers run frames side by side); N > 1 with several images\n"
            "                        or video: batches on one engine thread\n"
            "      --decode WHERE    JPEG decode on the cpu (default: libjpeg, exact), the gpu (nvJPEG:\n"
            "                        with --pre gpu and --no-draw; boxes close to the cpu's, not equal;\n"
            "                        files it does not take are decoded on the cpu), auto, or fast (the\n"
            "                        cpu, JPEGs >= 2x the network input at 1/2, 1/4, 1/8 scale: boxes\n"
            "                        close to the cpu's, not equal; with --no-draw), or mixed (nvJPEG\n"
            "                        on a thread and stream of its own and the workers at once, each\n"
            "                        taking the next files when free; with --pre gpu and --no-draw;\n"
            "                        boxes close to the cpu's, may vary between runs)\n"
            "      --max-activations MIB  refuse a CPU/CUDA engine whose activations need more\n"
            "                        (default 1024; 0: no limit)\n"
            "      --bn FORMULA      alexeyab (default) or pjreddie: pjreddie's Darknet (Debian's): its\n"
            "                        batchnorm, letterbox and IoU NMS whatever the cfg says\n"
            "      --save-txt DIR    YOLO label files DIR/<image>.txt: class cx cy w h (normalized)\n"
            "      --save-conf       with --save-txt: the score as a sixth column\n"
            "      --coco-json FILE  COCO results: image_id, category_id, bbox [x, y, w, h], score\n"
            "      --coco ANN.json   image ids by file name and category ids by name from annotations\n"
            "                        (else: numeric file names; COCO's 80 -> 91 ids for 80 classes)\n"
            "      --category-ids L  category id of each class, comma-separated\n"
            "  names may also come from a Darknet .data file: --names obj.data (its names=)\n"
            "video:\n"
            "  -o, --output OUT      annotated H.264 mp4 (one source) or a directory of <name>.mp4\n"
            "  -j, --json FILE|-     JSON Lines: one line per frame (source, frame, pts, detections)\n"
            "      --frames DIR      the drawn frames as DIR/<name>/<frame>.png\n"
            "      --show            a window per source with boxes and fps (needs a display)\n"
            "      --timeout S       a stream or camera silent for S seconds has ended (default 10)\n"
            "      --hwaccel cuda    decode on the GPU (NVDEC) where present, else on the CPU; with\n"
            "                        --pre gpu and nothing drawn the frames stay on the GPU;\n"
            "                        --hwaccel none: on the CPU (the default)\n"
            "      --fast-resize     scale frames to the network's letterbox size while converting\n"
            "                        them to RGB (libswscale, bilinear) instead of Darknet's resize\n"
            "                        of the full frame: less CPU; boxes near, not equal, to Darknet's;\n"
            "                        with --json only (nothing drawn)\n"
            "      --test-delay-ms N testing: sleep N ms per engine run (a slow engine)\n"
            "      --test-read-delay-ms N  testing: each source's reader waits N ms after opening\n"
            "                        (a late start: a live stream's backlog comes as a burst)\n"
            "  -h, --help            this text\n");
    fputs(cli_model_options_help, out);
}

static int parse_choice(const char *flag, const char *text, int value, int *out)
{
    if (value < 0) return cli_usage_error("detect", "%s %s: unknown value (darkrt detect --help)", flag, text);
    *out = value;
    return 0;
}

static int parse_option(detect_args *a, int c, const char *arg)
{
    int v = 0;
    switch (c) {
    case 'w': a->weights = arg; return 0;
    case 'n': a->names = arg; return 0;
    case 'o': a->out = arg; return 0;
    case 'j': a->json = arg; return 0;
    case 't': return cli_parse_float("detect", "--thresh", arg, 0, 1, &a->dopts.thresh);
    case 'N': return cli_parse_float("detect", "--nms", arg, 0, 1, &a->dopts.nms);
    case 'r':
        a->overrides |= CLI_SET_RESIZE;
        v = !strcasecmp(arg, "letterbox") ? DRT_RESIZE_LETTERBOX : !strcasecmp(arg, "stretch") ? DRT_RESIZE_STRETCH : -1;
        if (parse_choice("--resize", arg, v, &v)) return 2;
        a->dopts.resize = (drt_resize)v;
        return 0;
    case 'k': return cli_parse_int("detect", "--workers", arg, 1, 64, &a->workers);
    case 'U': a->threads_set = 1; return cli_parse_int("detect", "--threads", arg, 1, 1024, &a->eopts.threads);
    case 'x': a->no_draw = 1; return 0;
    case 'u': a->dopts.unclipped = 1; return 0;
    case 'm': return cli_parse_int("detect", "--max-det", arg, 0, 1000000, &a->max_det);
    case 'M':
        a->overrides |= CLI_SET_NMS_KIND;
        if (parse_choice("--nms-kind", arg, drt_nms_kind_parse(arg), &v)) return 2;
        a->dopts.nms_kind = (drt_nms_kind)v;
        return 0;
    case 'E': a->overrides |= CLI_SET_BETA_NMS; return cli_parse_float("detect", "--beta-nms", arg, 1e-6f, 100, &a->dopts.beta_nms);
    case 'd':
        a->device_set = 1;
        if (parse_choice("--device", arg, drt_device_parse(arg, &a->eopts.device_index), &v)) return 2;
        a->eopts.device = (drt_device)v;
        return 0;
    case 'p':
        if (parse_choice("--precision", arg, drt_precision_parse(arg), &v)) return 2;
        a->eopts.precision = (drt_precision)v;
        return 0;
    case 'b':
        a->batch_set = 1;
        return cli_parse_int("detect", "--batch", arg, 1, 256, &a->eopts.max_batch);
    case 'P':
        if (drt_detect_parse_pre(arg, &a->dopts)) return cli_usage_error("detect", "--pre %s: must be cpu or gpu", arg);
        return 0;
    case 'g':
        if (!strcmp(arg, "cpu")) a->image_decode = DRT_IMAGE_DECODE_CPU;
        else if (!strcmp(arg, "gpu")) a->image_decode = DRT_IMAGE_DECODE_GPU;
        else if (!strcmp(arg, "auto")) a->image_decode = DRT_IMAGE_DECODE_AUTO;
        else if (!strcmp(arg, "fast")) a->image_decode = DRT_IMAGE_DECODE_FAST;
        else if (!strcmp(arg, "mixed")) a->image_decode = DRT_IMAGE_DECODE_MIXED;
        else return cli_usage_error("detect", "--decode %s: must be cpu, gpu, auto, fast or mixed", arg);
        return 0;
    case 'Q':
        if (drt_detect_parse_post(arg, &a->dopts))
            return cli_usage_error("detect", "--post %s: must be cpu, gpu or gpu-decode", arg);
        return 0;
    case 'A': return cli_parse_max_activations("detect", arg, &a->eopts);
    case 'S': a->std.txt_dir = arg; return 0;
    case 'C': a->std.save_conf = 1; return 0;
    case 'J': a->std.coco_json = arg; return 0;
    case 'K': a->std.coco_ann = arg; return 0;
    case 'I': a->std.category_ids = arg; return 0;
    case 'F': a->video.frames = arg; return 0;
    case 'W': a->video.show = 1; return 0;
    case 'T': return cli_parse_float("detect", "--timeout", arg, 0.1, 3600, &a->video_timeout);
    case 'D': return cli_parse_int("detect", "--test-delay-ms", arg, 0, 60000, &a->video.delay_ms);
    case 'L': return cli_parse_int("detect", "--test-read-delay-ms", arg, 0, 60000, &a->video.read_delay_ms);
    case 'H':
        if (strcmp(arg, "cuda") && strcmp(arg, "none")) return cli_usage_error("detect", "--hwaccel %s: must be cuda or none", arg);
        a->video.hwaccel = strcmp(arg, "none") ? arg : NULL;
        return 0;
    case 'R': a->video.fast_resize = 1; return 0;
    case 'B':
        v = !strcasecmp(arg, "alexeyab") ? DRT_BN_ALEXEYAB : !strcasecmp(arg, "pjreddie") ? DRT_BN_PJREDDIE : -1;
        if (parse_choice("--bn", arg, v, &v)) return 2;
        a->lopts.bn = (drt_bn_formula)v;
        return 0;
    }
    return 2;
}

static int is_image_name(const char *name)
{
    static const char *const ext[] = {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".pnm"};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (cli_has_suffix(name, ext[i])) return 1;
    return 0;
}

static int add_input(detect_args *a, const char *path)
{
    char **grown = realloc(a->inputs, (size_t)(a->n_inputs + 1) * sizeof *grown);
    unsigned char *starts = realloc(a->starts, (size_t)(a->n_inputs + 1));
    char *copy = strdup(path);
    if (grown) a->inputs = grown;
    if (starts) a->starts = starts;
    if (!grown || !starts || !copy) {
        free(copy);
        fprintf(stderr, "darkrt detect: out of memory\n");
        return 1;
    }
    a->starts[a->n_inputs] = (unsigned char)a->start_next;
    a->start_next = 0;
    a->inputs[a->n_inputs++] = copy;
    return 0;
}

static int by_name(const struct dirent **x, const struct dirent **y) { return strcmp((*x)->d_name, (*y)->d_name); }

static int only_images(const struct dirent *d) { return d->d_name[0] != '.' && is_image_name(d->d_name); }

/* A directory's image files, sorted by name. */
static int add_directory(detect_args *a, const char *dir)
{
    struct dirent **list;
    int n = scandir(dir, &list, only_images, by_name), rc = 0;
    if (n < 0) {
        fprintf(stderr, "darkrt detect: %s: cannot read the directory\n", dir);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", list[i]->d_name);
        if (!rc) rc = add_input(a, path);
        free(list[i]);
    }
    free(list);
    if (n == 0) fprintf(stderr, "darkrt detect: note: %s: no image files (.jpg .png .bmp .ppm)\n", dir);
    return rc;
}

/* The inputs in order, folders expanded. A stateful model's sequences (README): each folder, and each run of image
 * files named one after another, is one; the state restarts at the start of each (a->starts). */
static int expand_inputs(detect_args *a, char **paths, int n)
{
    for (int i = 0, after_dir = 0; i < n; i++) {
        struct stat st;
        int video = drt_video_is_source(paths[i]), dir = !video && stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode);
        a->n_videos += video;
        a->start_next |= dir || after_dir;
        after_dir = dir;
        int rc = dir ? add_directory(a, paths[i]) : add_input(a, paths[i]);
        if (rc) return rc;
    }
    if (a->n_inputs == 0) return cli_usage_error("detect", "no images to read");
    if (a->n_videos && a->n_videos != a->n_inputs)
        return cli_usage_error("detect", "images and videos in one run: give them in separate runs");
    if (a->n_videos && (a->std.txt_dir || a->std.coco_json))
        return cli_usage_error("detect", "--save-txt and --coco-json take images; video gives --json lines");
    if (a->video.fast_resize && (!a->n_videos || a->out || a->video.frames || a->video.show))
        return cli_usage_error("detect", "--fast-resize: video with --json only (its frames are network-sized)");
    return 0;
}

static int parse_args(detect_args *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"weights", required_argument, 0, 'w'}, {"names", required_argument, 0, 'n'},
        {"output", required_argument, 0, 'o'},  {"json", required_argument, 0, 'j'},
        {"thresh", required_argument, 0, 't'},  {"nms", required_argument, 0, 'N'},
        {"resize", required_argument, 0, 'r'},  {"device", required_argument, 0, 'd'},
        {"precision", required_argument, 0, 'p'}, {"batch", required_argument, 0, 'b'},
        {"bn", required_argument, 0, 'B'},      {"pre", required_argument, 0, 'P'},
        {"post", required_argument, 0, 'Q'},    {"help", no_argument, 0, 'h'},
        {"workers", required_argument, 0, 'k'}, {"no-draw", no_argument, 0, 'x'},
        {"max-det", required_argument, 0, 'm'}, {"no-clip", no_argument, 0, 'u'},
        {"save-txt", required_argument, 0, 'S'}, {"save-conf", no_argument, 0, 'C'},
        {"coco-json", required_argument, 0, 'J'}, {"coco", required_argument, 0, 'K'},
        {"category-ids", required_argument, 0, 'I'}, {"max-activations", required_argument, 0, 'A'},
        {"frames", required_argument, 0, 'F'},  {"show", no_argument, 0, 'W'},
        {"timeout", required_argument, 0, 'T'}, {"test-delay-ms", required_argument, 0, 'D'},
        {"test-read-delay-ms", required_argument, 0, 'L'},
        {"nms-kind", required_argument, 0, 'M'}, {"beta-nms", required_argument, 0, 'E'},
        {"hwaccel", required_argument, 0, 'H'}, {"decode", required_argument, 0, 'g'},
        {"fast-resize", no_argument, 0, 'R'},   {"threads", required_argument, 0, 'U'},
        CLI_MODEL_LONGOPTS,                     {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":w:n:o:j:t:d:p:b:h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return -1;
        }
        if (c == ':') return cli_usage_error("detect", "%s: needs a value", argv[optind - 1]);
        if (c == '?') return cli_usage_error("detect", "%s: unknown option (darkrt detect --help)", argv[optind - 1]);
        if (c >= CLI_MODEL_OPT ? cli_model_getopt("detect", c, optarg, &a->weights) : parse_option(a, c, optarg)) return 2;
    }
    if (argc - optind < 2)
        return cli_usage_error("detect", "needs a model and at least one image (darkrt detect --help)");
    a->model = argv[optind];
    int w = cli_positional_weights(a->model, argv[optind + 1], &a->weights); /* Darknet's CFG WEIGHTS IMAGE */
    return expand_inputs(a, argv + optind + 1 + w, argc - optind - 1 - w) ? 2 : 0;
}

/* coco.names next to a .cfg, when the model brings no names. */
static void default_names(detect_args *a, drt_model *m)
{
    if (a->names || drt_model_class_name(m, 0) || !cli_has_suffix(a->model, ".cfg")) return;
    char path[4096];
    const char *slash = strrchr(a->model, '/');
    int dir_len = slash ? (int)(slash - a->model) + 1 : 0;
    snprintf(path, sizeof path, "%.*scoco.names", dir_len, a->model);
    if (access(path, R_OK) == 0 && drt_model_set_names_file(m, path) != DRT_OK)
        fprintf(stderr, "darkrt detect: note: %s: %s (class ids are shown)\n", path, drt_last_error());
}

/* The engine for the model: a plan brings its own device (--device, when given, must agree). */
static drt_status open_engine(detect_args *a, const drt_model *m, drt_engine **e)
{
    int is_plan = cli_has_suffix(a->model, ".plan");
    drt_status s = is_plan ? drt_engine_load_plan(a->model, &a->eopts, e) : drt_engine_create(m, &a->eopts, e);
    if (s != DRT_OK) return s;
    drt_device d = drt_engine_device(*e);
    if (is_plan && a->device_set && d != a->eopts.device)
        s = drt_error(DRT_STATUS_INVALID_ARG, "%s: a %s plan: --device %s does not match (leave --device out)",
                      a->model, drt_device_name(d), drt_device_name(a->eopts.device));
    int on_gpu = a->dopts.pre == DRT_STAGE_DEVICE || a->dopts.decode == DRT_STAGE_DEVICE;
    if (s == DRT_OK && on_gpu && !(*e)->backend->stages) /* only backends with device stages */
        s = drt_error(DRT_STATUS_INVALID_ARG, "%s runs on %s: --pre gpu and --post gpu need a CUDA engine (--device cuda)",
                      a->model, drt_device_name(d));
    if (s != DRT_OK) {
        drt_engine_free(*e);
        *e = NULL;
    }
    return s;
}

/* A plan for the pipeline, which loads it while its workers decode: the device from its header
 * (--device, when given, must agree); the rest is checked as the engine loads. */
static drt_status check_plan_device(const detect_args *a)
{
    drt_plan_info info;
    int w, h, c;
    DRT_TRY(drt_plan_peek(a->model, &info, &w, &h, &c));
    if (a->device_set && info.device != a->eopts.device)
        return drt_error(DRT_STATUS_INVALID_ARG, "%s: a %s plan: --device %s does not match (leave --device out)",
                         a->model, drt_device_name(info.device), drt_device_name(a->eopts.device));
    return DRT_OK;
}

typedef enum draw_mode { DRAW_NONE, DRAW_FILE, DRAW_DIR } draw_mode;

static int is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* -o as a file for one image, a directory for several (or one named as a directory); without -o,
 * bboxes.png for one image unless only JSON was asked for. */
static draw_mode drawing(const detect_args *a)
{
    if (a->no_draw) return DRAW_NONE;
    if (!a->out) return a->n_inputs == 1 && !a->json ? DRAW_FILE : DRAW_NONE;
    int dir = a->n_inputs > 1 || is_directory(a->out) || a->out[strlen(a->out) - 1] == '/';
    return dir ? DRAW_DIR : DRAW_FILE;
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) { interrupted = sig; }

typedef struct run_state {
    detect_args *a;
    drt_model *model;
    drt_pipeline *pipe;
    detect_writer *writer;
    draw_mode draw;
    size_t common_dir;
    FILE *json, *summary;
    drt_std_outputs *std;
    int json_items, failures, done, producer_started;
    _Atomic int results; /* done, for the timeline's ticker thread */
    int fast_exit; /* DRT_CLI_FAST_EXIT: the process ends once every output is committed (fast_exit_wanted) */
    _Atomic int stop; /* the producer stops submitting (a start that failed after it began) */
    drt_status submit_status;
} run_state;

/* File and class names reach a terminal: control bytes (ESC, newlines) and invalid UTF-8 show as '?'. */
static void print_summary(run_state *r, const drt_pipeline_result *res)
{
    const drt_detections *d = res->dets;
    const drt_pipeline_times *t = &res->times;
    double pre = t->decode_ms + t->preprocess_ms;
    char shown[4096], label[256];
    drt_text_printable(res->source, shown, sizeof shown, 0);
    fprintf(r->summary, "%s: %d object%s in %.1f ms (preprocess %.1f, inference %.1f, postprocess %.2f)\n",
            shown, d->count, d->count == 1 ? "" : "s", pre + t->inference_ms + t->postprocess_ms, pre,
            t->inference_ms, t->postprocess_ms);
    for (int i = 0; i < d->count; i++) {
        const drt_detection *x = &d->items[i];
        const char *name = drt_model_class_name(r->model, x->class_id);
        char id[24];
        snprintf(id, sizeof id, "class %d", x->class_id);
        drt_text_printable(name ? name : id, label, sizeof label, 0);
        fprintf(r->summary, "  %s: %.0f%%  (%.0f, %.0f)-(%.0f, %.0f)\n", label, x->score * 100, x->x1,
                x->y1, x->x2, x->y2);
    }
}

static int shows_progress(const run_state *r)
{
    return r->a->n_inputs > 1 && isatty(STDERR_FILENO) && r->summary == stdout && !isatty(STDOUT_FILENO);
}

/* "[k/n] file" on a terminal's stderr, when the per-image summary is not already on screen. */
static void progress(run_state *r, const char *path)
{
    if (!shows_progress(r)) return;
    const char *base = strrchr(path, '/');
    char shown[61];
    drt_text_printable(base ? base + 1 : path, shown, sizeof shown, 0);
    fprintf(stderr, "\r\033[K[%d/%d] %s%s", r->done, r->a->n_inputs, shown,
            r->done == r->a->n_inputs ? "\n" : "");
}

/* Summary, JSON and drawing (handed to the writer thread) of one result; takes it. */
static void finish_result(run_state *r, drt_pipeline_result *res)
{
    r->done++;
    if (res->status != DRT_OK) {
        if (shows_progress(r)) fputs("\r\033[K", stderr); /* the error gets a line of its own */
        fprintf(stderr, "darkrt: %s: %s\n", drt_status_str(res->status), res->error);
        r->failures++;
    } else {
        print_summary(r, res);
        if (r->done == 1) drt_timeline("detect: first result printed (%d objects)", res->dets->count);
        drt_status s = drt_std_outputs_add(r->std, res->source, res->width, res->height, res->dets);
        if (s != DRT_OK) r->failures += cli_fail(s);
    }
    if (r->json) detect_json_item(r->json, res, r->model, r->json_items++ == 0);
    progress(r, res->source);
    if (res->status != DRT_OK || r->draw == DRAW_NONE) {
        drt_pipeline_result_free(res);
        return;
    }
    char png[4096];
    if (r->draw == DRAW_FILE) snprintf(png, sizeof png, "%s", r->a->out ? r->a->out : "bboxes.png");
    else detect_png_path(r->a->out, res->source, r->common_dir, png, sizeof png);
    detect_writer_push(r->writer, res, png);
}

/* The producer: every input into the pipeline (blocking at its in-flight bound), then close. */
static void *submit_all(void *arg)
{
    run_state *r = arg;
    for (int i = 0; i < r->a->n_inputs && !interrupted && !r->stop && r->submit_status == DRT_OK; i++) {
        if (i && r->a->starts[i]) r->submit_status = drt_pipeline_start_sequence(r->pipe);
        if (r->submit_status == DRT_OK) r->submit_status = drt_pipeline_submit_file(r->pipe, r->a->inputs[i], NULL);
    }
    drt_pipeline_close(r->pipe);
    return NULL;
}

static drt_status open_json(run_state *r, drt_atomic_file *af)
{
    if (!r->a->json) return DRT_OK;
    if (!strcmp(r->a->json, "-")) {
        r->json = stdout;
        r->summary = stderr; /* stdout carries the JSON */
        return DRT_OK;
    }
    DRT_TRY(drt_atomic_open(af, r->a->json));
    r->json = af->fp;
    r->summary = cli_summary_stream(r->a->json); /* --json /dev/stdout: stdout carries the JSON */
    return DRT_OK;
}

/* One shape whatever the number of images: an array. */
static int close_json(run_state *r, drt_atomic_file *af)
{
    if (!r->json) return 0;
    fputs(r->json_items ? "\n]\n" : "[]\n", r->json);
    if (r->json == stdout) return fflush(stdout) != 0;
    drt_status s = drt_atomic_commit(af);
    return s == DRT_OK ? 0 : cli_fail(s);
}

static int make_output_dir(const detect_args *a, draw_mode draw)
{
    if (draw == DRAW_FILE && a->out && !cli_has_suffix(a->out, ".png"))
        return cli_usage_error("detect", "-o %s: darkrt draws PNG files: give a .png name or a directory", a->out);
    if (draw != DRAW_DIR || is_directory(a->out)) return 0;
    struct stat st;
    if (stat(a->out, &st) == 0) return cli_usage_error("detect", "-o %s: several images need an output directory", a->out);
    if (mkdir(a->out, 0777) != 0)
        return cli_usage_error("detect", "-o %s: cannot create the directory: %s", a->out, strerror(errno));
    return 0;
}

/* A run on a device engine ends the process once every output is committed, leaving the pipeline, its engine
 * (page-locked pool, nvJPEG) and the CUDA context to the driver: freeing them took 0.3-0.5 s of a 2.4-2.9 s
 * whole-process run (session 16 on an H100: yolo-fastest-1.1 with nvJPEG, 8000 JPEGs, 2781 img/s freeing,
 * 3321 without; bench/results/e2e-gpu.md). CPU engines keep freeing (ASan's leak checks). DRT_CLI_FAST_EXIT
 * (a debug switch, HACKING.md): 0 frees on every engine, =all exits early on any engine (the CLI test runs it
 * on the CPU). */
static int fast_exit_wanted(const drt_engine *e)
{
    int v = drt_env_switch("DRT_CLI_FAST_EXIT", "all");
    return v == 2 || (v != 0 && e->backend->stages);
}

/* The pipeline, on the engine or (engine NULL) from the plan; the producer started. */
static drt_status start_pipeline(run_state *r, drt_engine *engine, pthread_t *producer)
{
    drt_pipeline_opts po = drt_pipeline_opts_default();
    po.workers = r->a->workers;
    po.detect = r->a->dopts;
    po.keep_image = r->draw != DRAW_NONE;
    po.max_det = r->a->max_det;
    po.image_decode = r->a->image_decode;
    /* several images on a one-thread CPU engine: each worker runs the engine too (the pipeline keeps
     * batches for engines with device stages); a team of 2 threads waiting at each layer for the core a
     * decoding worker held ran 1.6x slower on 2 cores */
    po.worker_engines = r->a->n_inputs > 1 && r->a->eopts.threads == 1;
    DRT_TRY(engine ? drt_pipeline_create(engine, &po, &r->pipe) : drt_pipeline_create_plan(r->a->model, &r->a->eopts, &po, &r->pipe));
    drt_timeline("detect: pipeline started");
    if (pthread_create(producer, NULL, submit_all, r) != 0)
        return drt_error(DRT_STATUS_OOM, "detect: cannot start the input thread");
    r->producer_started = 1;
    DRT_TRY(drt_pipeline_engine(r->pipe, &engine)); /* a plan's: loaded while the workers decode */
    r->fast_exit = fast_exit_wanted(engine);
    DRT_TRY(drt_pipeline_get_opts(r->pipe, &po));
    char runs[96];
    if (po.worker_engines == po.workers)
        snprintf(runs, sizeof runs, "one image a run on each of %d worker%s", po.workers, po.workers == 1 ? "" : "s");
    else if (po.worker_engines) /* fewer contexts fit the activation budget (--max-activations) */
        snprintf(runs, sizeof runs, "one image a run on %d of %d workers at a time", po.worker_engines, po.workers);
    else snprintf(runs, sizeof runs, "batch %d, %d worker%s", po.batch, po.workers, po.workers == 1 ? "" : "s");
    fprintf(r->summary, "engine: %s %s%s, %s%s\n", drt_device_name(drt_engine_device(engine)),
            drt_precision_name(drt_engine_precision(engine)), cli_has_suffix(r->a->model, ".plan") ? " (from the plan)" : "",
            runs,
            po.image_decode == DRT_IMAGE_DECODE_GPU ? ", JPEG decode on the gpu"
            : po.image_decode == DRT_IMAGE_DECODE_MIXED ? ", JPEG decode on the gpu and the workers"
            : po.image_decode == DRT_IMAGE_DECODE_FAST ? ", fast JPEG decode (reduced scale)" : "");
    if (drt_model_stateful(drt_engine_model(engine)))
        fprintf(r->summary, "model: stateful ([crnn]): each folder, and each run of images named one after another, is "
                "a sequence, run in input order on one run state from a zero state (AlexeyAB's Darknet carries the state "
                "from image to image)\n");
    if (r->draw != DRAW_NONE && detect_writer_start(r->model, r->draw == DRAW_DIR ? r->a->out : NULL, &r->writer) != 0)
        return drt_error(DRT_STATUS_OOM, "detect: cannot start the writer thread");
    return DRT_OK;
}

/* Runs every input through the pipeline; results are finished in input order. On SIGINT or
 * SIGTERM no new image starts; what is written stays complete and the JSON is not written. */
static int run_pipeline(run_state *r, drt_engine *engine)
{
    pthread_t producer;
    drt_status s = start_pipeline(r, engine, &producer);
    if (s != DRT_OK) {
        if (r->producer_started) { /* the plan did not load: submit fails, the producer stops */
            r->stop = 1;
            drt_pipeline_result *res;
            while (drt_pipeline_next(r->pipe, &res) == DRT_OK && res) drt_pipeline_result_free(res);
            pthread_join(producer, NULL);
        }
        drt_pipeline_free(r->pipe);
        detect_writer_finish(r->writer);
        return cli_fail(s);
    }
    drt_pipeline_result *res;
    detect_ticker *ticker = detect_ticker_start(&r->results, r->a->n_inputs);
    while ((s = drt_pipeline_next(r->pipe, &res)) == DRT_OK && res) {
        if (interrupted) drt_pipeline_result_free(res); /* drained, not written */
        else finish_result(r, res);
        r->results++;
    }
    detect_ticker_stop(ticker);
    pthread_join(producer, NULL);
    r->failures += detect_writer_finish(r->writer);
    if (r->fast_exit) drt_pipeline_stop(r->pipe); /* its threads (and profile); the rest is left to the process's end */
    else drt_pipeline_free(r->pipe);
    if (s != DRT_OK) return cli_fail(s);
    if (r->submit_status != DRT_OK) return cli_fail(r->submit_status);
    return 0;
}

static int detect_all(detect_args *a, drt_model *model, drt_engine *engine)
{
    run_state r = {.a = a, .model = model, .summary = stdout, .draw = drawing(a),
                   .common_dir = detect_common_dir(a->inputs, a->n_inputs)};
    drt_atomic_file af = {0};
    setvbuf(stdout, NULL, _IOLBF, 0); /* each image's lines leave as they are made, pipes too */
    drt_status s = drt_std_outputs_open(&a->std, model, &r.std);
    if (s == DRT_OK) s = open_json(&r, &af);
    int rc = s != DRT_OK ? cli_fail(s) : make_output_dir(a, r.draw);
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    if (rc == 0) rc = run_pipeline(&r, engine);
    if (rc == 0 && interrupted) {
        fprintf(stderr, "darkrt detect: interrupted after %d of %d images: the outputs written are complete%s\n",
                r.done, a->n_inputs, r.json && r.json != stdout ? "; the JSON was not written" : "");
        rc = 128 + interrupted;
    }
    if (rc == 0) rc = close_json(&r, &af);
    else if (r.json && r.json != stdout) drt_atomic_abort(&af);
    drt_timeline("detect: outputs closed");
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rc == 0 && r.failures) {
        if (a->n_inputs > 1) /* one image: its own error line says it all */
            fprintf(stderr, "darkrt detect: %d of %d image%s failed\n", r.failures, a->n_inputs, a->n_inputs == 1 ? "" : "s");
        rc = 1;
    }
    s = drt_std_outputs_close(r.std, rc == 0); /* no results file unless every image is in it */
    rc = rc == 0 && s != DRT_OK ? cli_fail(s) : rc;
    if (r.fast_exit) { /* every output committed or removed, the summary printed */
        drt_timeline("detect: fast exit (the pipeline, engine and device left to the process's end)");
        fflush(NULL);
        _exit(rc);
    }
    return rc;
}

/* CPU threads of the engine on video: one core is left to the readers, which decode and letterbox
 * beside it (threads that wait on each other's time slices run far slower than fewer threads). With
 * one (2 cores), each of the pipeline's workers runs the engine on its frames (cli/detect-video.c). */
static int video_engine_threads(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 2 ? (int)cores - 1 : 1;
}

static int detect_video_args(detect_args *a, drt_model *model, drt_engine *engine)
{
    a->video.out = a->out;
    a->video.json = a->json;
    a->video.timeout_s = a->video_timeout;
    a->video.batch = a->eopts.max_batch;
    a->video.workers = a->workers;
    a->video.max_det = a->max_det;
    /* Each source's share of two batches (and a few frames of jitter): 128 streams of 1080p with
     * batches of 32 hold 8 frames each (6 GiB), not 66 (52 GiB). A live source holds more only in a
     * burst (video/live-drop.h): frames decoded within its depth's time (267 ms at 30 fps), 30 more at
     * most (one second); all sources together, what the decoders give in 267 ms beyond their 8 (NVDEC's
     * frames past the 12 a source keeps on the GPU come to the host as RGB, 6.2 MB each at 1080p). The plain
     * worst case, every source bursting at once: 30 frames more each, 64 x 30 x 6.2 MB = 12 GB at 64 streams of
     * 1080p30 on the host, if the decoders could give that much within 267 ms. */
    int share = (a->eopts.max_batch + a->n_inputs - 1) / a->n_inputs;
    a->video.queue = 2 * share + 2 < 8 ? 8 : 2 * share + 2;
    return detect_videos(&a->video, a->inputs, a->n_inputs, model, engine, &a->dopts);
}

int drt_cmd_detect(int argc, char **argv)
{
    detect_args a = {.dopts = drt_detect_opts_default(), .eopts = cli_engine_opts_default(),
                     .lopts = drt_load_opts_default(), .max_det = DRT_MAX_DET_DEFAULT};
    int rc = parse_args(&a, argc, argv);
    drt_model *model = NULL;
    drt_engine *engine = NULL;
    if (rc == 0) {
        drt_status s = cli_load_model_meta(a.model, a.weights, &a.lopts, a.names, &model); /* a plan: its engine reads the weights */
        drt_timeline("detect: model read");
        if (s == DRT_OK) {
            default_names(&a, model);
            cli_detect_semantics("detect", &a.dopts, model, a.overrides);
            if (!a.batch_set) a.eopts.max_batch = a.n_videos ? VIDEO_BATCH : a.n_inputs < 8 ? a.n_inputs : 8;
            if (a.n_videos && !a.eopts.threads) a.eopts.threads = video_engine_threads();
            if (!a.n_videos && a.n_inputs > 1 && !a.threads_set) a.eopts.threads = 1; /* worker engines */
            if (cli_has_suffix(a.model, ".plan") && !a.n_videos) {
                s = check_plan_device(&a); /* the pipeline loads it */
                drt_timeline("detect: plan's device checked");
            } else {
                s = open_engine(&a, model, &engine);
                drt_timeline("detect: engine ready");
            }
        }
        rc = s != DRT_OK ? cli_fail(s) : a.n_videos ? detect_video_args(&a, model, engine) : detect_all(&a, model, engine);
    }
    drt_engine_free(engine);
    drt_model_free(model);
    for (int i = 0; i < a.n_inputs; i++) free(a.inputs[i]);
    free(a.inputs);
    free(a.starts);
    return rc < 0 ? 0 : rc;
}
