/* Per-source outputs of detect on video (see video-outputs.h). */
#include "video-outputs.h"
#include "cli-util.h"
#include "core/error.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* "clips/street.mp4" -> "street"; "udp://127.0.0.1:5000" -> "udp-127.0.0.1-5000"; "/dev/video0" -> "video0". */
static void stem_of(const char *url, char *stem, size_t n)
{
    const char *p = url;
    if (!strstr(url, "://")) {
        const char *slash = strrchr(url, '/');
        p = slash ? slash + 1 : url;
    }
    size_t k = 0;
    for (; *p && k + 1 < n; p++) {
        if (!strstr(url, "://") && *p == '.' && !strchr(p + 1, '/') && !strchr(p + 1, '.')) break; /* extension */
        int keep = isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-';
        if (keep) stem[k++] = *p;
        else if (k && stem[k - 1] != '-') stem[k++] = '-';
    }
    while (k && stem[k - 1] == '-') k--;
    stem[k] = 0;
    if (!k) snprintf(stem, n, "source");
}

static int make_dir(const char *path, const char *flag)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return 0;
        return cli_usage_error("detect", "%s %s: not a directory", flag, path);
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return cli_usage_error("detect", "%s %s: cannot create the directory: %s", flag, path, strerror(errno));
    return 0;
}

static char *join(const char *dir, const char *name, const char *ext)
{
    size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name, ext);
    return p;
}

/* Distinct stems: a repeated one gets "-2", "-3"... */
static void name_sources(source_out *outs, char **urls, int n)
{
    for (int i = 0; i < n; i++) {
        outs[i].url = urls[i];
        stem_of(urls[i], outs[i].name, sizeof outs[i].name - 8);
        for (int j = 0; j < i; j++)
            if (!strcmp(outs[j].name, outs[i].name)) {
                snprintf(outs[i].name + strlen(outs[i].name), 8, "-%d", i + 1);
                break;
            }
    }
}

int outputs_plan(source_out *outs, char **urls, int n, const char *out, const char *frames)
{
    name_sources(outs, urls, n);
    struct stat st;
    int out_is_file = out && n == 1 && out[strlen(out) - 1] != '/' && !(stat(out, &st) == 0 && S_ISDIR(st.st_mode));
    if (out_is_file && !cli_has_suffix(out, ".mp4"))
        return cli_usage_error("detect", "-o %s: darkrt writes video as mp4: give a .mp4 name or a directory", out);
    if (out && !out_is_file && make_dir(out, "-o")) return 2;
    if (frames && make_dir(frames, "--frames")) return 2;
    for (int i = 0; i < n; i++) {
        if (out) outs[i].mp4 = out_is_file ? strdup(out) : join(out, outs[i].name, ".mp4");
        if (frames) outs[i].frames_dir = join(frames, outs[i].name, "");
        if ((out && !outs[i].mp4) || (frames && !outs[i].frames_dir)) return cli_usage_error("detect", "out of memory");
        if (frames && make_dir(outs[i].frames_dir, "--frames")) return 2;
    }
    return 0;
}

void outputs_json_line(FILE *fp, const source_out *o, int64_t index, double pts, int w, int h,
                       const drt_detections *d, const drt_model *model, const drt_stage_times *t)
{
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    if (!mem) return;
    drt_detections_write_json(mem, o->url, w, h, d, model, t, "");
    fclose(mem);
    /* {"image": NAME, "width"...}: the same object on one line (strings escape their line breaks),
     * with the source (the same NAME), frame index and pts in front. */
    static const char head[] = "{\"image\": ";
    const char *name = text + sizeof head - 1, *end = strstr(text, ", \"width\"");
    DRT_ASSERT(!strncmp(text, head, sizeof head - 1) && end);
    fprintf(fp, "{\"source\": %.*s, \"frame\": %lld, \"pts\": %.6f, ", (int)(end - name), name, (long long)index, pts);
    for (const char *c = text + 1; *c; c++)
        if (*c != '\n') fputc(*c, fp);
    fputc('\n', fp);
    free(text);
}

void outputs_to_rgb8(const drt_image *im, unsigned char *rgb)
{
    size_t plane = (size_t)im->w * (size_t)im->h;
    for (size_t i = 0; i < plane; i++)
        for (int k = 0; k < 3; k++) {
            float v = im->data[(size_t)k * plane + i];
            rgb[i * 3 + (size_t)k] = v <= 0 ? 0 : v >= 1 ? 255 : (unsigned char)(v * 255.f + .5f); /* as the PNG writer */
        }
}

drt_status outputs_write_frame(source_out *o, const drt_image *drawn, unsigned char *rgb, int64_t index, double pts)
{
    if (o->frames_dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%06lld.png", o->frames_dir, (long long)index);
        DRT_TRY(drt_image_save_png(drawn, path));
    }
    if (!o->mp4) return DRT_OK;
    if (!o->writer) {
        DRT_TRY(drt_video_writer_open(o->mp4, drawn->w, drawn->h, o->fps, &o->writer));
        o->w = drawn->w;
        o->h = drawn->h;
    }
    if (drawn->w != o->w || drawn->h != o->h)
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: frame %lld: %dx%d: the size changed from %dx%d", o->url,
                         (long long)index, drawn->w, drawn->h, o->w, o->h);
    return drt_video_writer_write(o->writer, rgb, (size_t)drawn->w * 3, pts);
}

drt_status outputs_close(source_out *o)
{
    drt_status s = o->writer ? drt_video_writer_close(o->writer) : DRT_OK;
    o->writer = NULL;
    free(o->mp4);
    free(o->frames_dir);
    o->mp4 = o->frames_dir = NULL;
    return s;
}
