/* drt_video_open/read against FFmpeg's own command line: videos made here by the ffmpeg CLI from
 * Darknet's sample images decode to exactly the RGB bytes `ffmpeg -pix_fmt rgb24` writes (H.264
 * with B-frames in mp4, H.265 in mkv, MJPEG in avi, VP9 in webm, a PNG sequence); frame indices
 * are in display order; timestamps are the known answers of a variable-frame-rate file and a
 * B-frame file; bad sources fail with one line naming them. Skips without the ffmpeg CLI; fails when
 * that CLI lacks an encoder the clips need or cannot make a clip (scripts/deps.sh installs Debian's
 * ffmpeg, which has them all: a clip not made would be a codec or case passed unchecked). */
#include "darkrt.h"
#include "unit/check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/drt-video-read-XXXXXX";
#define IMAGES "/usr/share/darknet/data/*.jpg" /* 7 images, glob order: dog eagle giraffe horses kite person scream */
#define N_IMAGES 7

static const char *tmp(const char *name)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static int sh(const char *fmt, const char *a, const char *b)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    int rc = system(cmd);
    if (rc != 0) printf("command failed (%d): %s\n", rc, cmd);
    return rc;
}

/* Makes a clip with the ffmpeg CLI (sh's command); a failure is a failed check. Returns whether it was made. */
static int make(const char *what, const char *fmt, const char *a, const char *b)
{
    int rc = sh(fmt, a, b);
    CHECK(rc == 0, "%s: the ffmpeg CLI could not make it", what);
    return rc == 0;
}

/* The encoders the clips need, each in `ffmpeg -encoders` (Debian's ffmpeg has them all). Returns
 * how many are missing, each a failed check naming it. */
static int missing_encoders(void)
{
    static const char *const need[] = {"libx264", "libx265", "mjpeg", "libvpx-vp9", "png"};
    int have[sizeof need / sizeof need[0]] = {0}, missing = 0;
    FILE *p = popen("ffmpeg -hide_banner -encoders 2>/dev/null", "r");
    char line[512], flags[32], name[64];
    while (p && fgets(line, sizeof line, p))
        if (sscanf(line, " %31s %63s", flags, name) == 2)
            for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) have[i] |= !strcmp(name, need[i]);
    if (p) pclose(p);
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        CHECK(have[i], "the ffmpeg CLI has no %s encoder (Debian's ffmpeg has it: scripts/deps.sh installs it)", need[i]);
        missing += !have[i];
    }
    return missing;
}

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *d = malloc(*n ? *n : 1);
    if (d && fread(d, 1, *n, f) != *n) *n = 0;
    fclose(f);
    return d;
}

/* Every frame of `video` equals ffmpeg's rgb24 bytes (CPU decoding); indices 0..n-1; pts rising.
 * Returns frames. */
static int expect_ffmpeg_pixels_opts(const char *what, const char *video, const drt_video_opts *opts)
{
    size_t n_raw = 0;
    if (sh("ffmpeg -v error -y -i '%s' -f rawvideo -pix_fmt rgb24 '%s'", video, tmp("raw.rgb"))) return -1;
    unsigned char *raw = read_all(tmp("raw.rgb"), &n_raw);
    drt_video *v = NULL;
    drt_status s = drt_video_open(video, opts, &v);
    CHECK(s == DRT_OK, "%s: %s", what, drt_last_error());
    int k = 0, bad = 0, on_gpu = s == DRT_OK && drt_video_get_info(v).hwaccel;
    double last_pts = -1;
    for (drt_video_frame f; s == DRT_OK && (s = drt_video_read(v, &f)) == DRT_OK && f.data; k++) {
        size_t size = (size_t)f.w * f.h * 3, off = size * (size_t)k;
        CHECK(f.index == k, "%s: frame %d has index %lld", what, k, (long long)f.index);
        CHECK(f.pts > last_pts, "%s: frame %d: pts %.6f after %.6f", what, k, f.pts, last_pts);
        last_pts = f.pts;
        for (int y = 0; off + size <= n_raw && y < f.h; y++)
            bad += memcmp(f.data + f.stride * (size_t)y, raw + off + (size_t)y * f.w * 3, (size_t)f.w * 3) != 0;
        CHECK(off + size <= n_raw, "%s: frame %d: ffmpeg wrote only %zu bytes", what, k, n_raw);
    }
    CHECK(s == DRT_OK, "%s: read: %s", what, drt_last_error());
    CHECK(bad == 0 || on_gpu, "%s: %d rows differ from ffmpeg's rgb24", what, bad);
    drt_video_free(v);
    free(raw);
    printf("%s: %d frames%s\n", what, k, on_gpu ? " decoded on the GPU" : " equal ffmpeg's rgb24");
    return k;
}

static int expect_ffmpeg_pixels(const char *what, const char *video) { return expect_ffmpeg_pixels_opts(what, video, NULL); }

static void test_codecs(void)
{
    static const struct { const char *name, *args; } cases[] = {
        {"h264.mp4", "-c:v libx264 -bf 2 -g 5 -pix_fmt yuv420p"},
        {"hevc.mkv", "-c:v libx265 -x265-params log-level=none -pix_fmt yuv420p"},
        {"mjpeg.avi", "-c:v mjpeg -q:v 3 -pix_fmt yuvj420p"},
        {"vp9.webm", "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -pix_fmt yuv420p"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char args[512];
        snprintf(args, sizeof args, "-vf scale=160:120 %s", cases[i].args);
        if (!make(cases[i].name, "ffmpeg -v error -y -framerate 5 -pattern_type glob -i '" IMAGES "' %s '%s'", args,
                  tmp(cases[i].name)))
            continue;
        CHECK(expect_ffmpeg_pixels(cases[i].name, tmp(cases[i].name)) == N_IMAGES, "%s: not %d frames", cases[i].name,
              N_IMAGES);
    }
    /* --hwaccel cuda: NVDEC where there is a GPU, else the same CPU decoding (with a warning). */
    drt_video_opts o = drt_video_opts_default();
    o.hwaccel = "cuda";
    CHECK(expect_ffmpeg_pixels_opts("h264.mp4 hwaccel=cuda", tmp("h264.mp4"), &o) == N_IMAGES, "hwaccel: not %d frames",
          N_IMAGES);
    /* An image sequence: a printf pattern. */
    if (!make("seq-%03d.png", "ffmpeg -v error -y -pattern_type glob -i '" IMAGES "' -vf scale=96:64 '%s'%s",
              tmp("seq-%03d.png"), ""))
        return;
    CHECK(expect_ffmpeg_pixels("seq-%03d.png", tmp("seq-%03d.png")) == N_IMAGES, "sequence: not %d frames", N_IMAGES);
}

/* pts[i] of every frame, or -1 on failure. */
static int read_pts(const char *what, const char *video, double *pts, int max)
{
    drt_video *v = NULL;
    drt_status s = drt_video_open(video, NULL, &v);
    CHECK(s == DRT_OK, "%s: %s", what, drt_last_error());
    int k = 0;
    for (drt_video_frame f; s == DRT_OK && k < max && (s = drt_video_read(v, &f)) == DRT_OK && f.data; k++) {
        CHECK(f.index == k, "%s: frame %d has index %lld", what, k, (long long)f.index);
        pts[k] = f.pts;
    }
    CHECK(s == DRT_OK, "%s: %s", what, drt_last_error());
    drt_video_free(v);
    return s == DRT_OK ? k : -1;
}

static void test_timestamps(void)
{
    double pts[64];
    /* From the sequence of test_codecs (one size: scale's frame count N restarts at a size change).
     * Variable frame rate: frame i shown at 0.04 * i * i seconds (mkv keeps milliseconds). */
    if (make("vfr.mkv", "ffmpeg -v error -y -i '%s' -vf 'settb=1/1000,setpts=N*N*40' -fps_mode passthrough -c:v libx264 -bf 0 '%s'",
             tmp("seq-%03d.png"), tmp("vfr.mkv"))) {
        int n = read_pts("vfr.mkv", tmp("vfr.mkv"), pts, 64);
        CHECK(n == N_IMAGES, "vfr.mkv: %d frames", n);
        for (int i = 0; i < n; i++) CHECK(fabs(pts[i] - 0.04 * i * i) < 1e-6, "vfr.mkv: frame %d at %.6f, not %.6f", i, pts[i], 0.04 * i * i);
    }
    /* B-frames (decode order differs from display order) at 25 fps: frame i at i / 25 s. */
    if (make("bframes.mp4", "ffmpeg -v error -y -stream_loop 2 -framerate 25 -i '%s' -c:v libx264 -bf 3 -b_strategy 0 -g 12 "
             "-frames:v 20 '%s'", tmp("seq-%03d.png"), tmp("bframes.mp4"))) {
        int n = read_pts("bframes.mp4", tmp("bframes.mp4"), pts, 64);
        CHECK(n == 20, "bframes.mp4: %d frames", n);
        for (int i = 0; i < n; i++) CHECK(fabs(pts[i] - i / 25.0) < 1e-6, "bframes.mp4: frame %d at %.6f", i, pts[i]);
    }
}

static void expect_open_error(const char *what, const char *url, const char *pattern)
{
    drt_video *v = NULL;
    drt_status s = drt_video_open(url, NULL, &v);
    CHECK(s != DRT_OK && !v, "%s: opened", what);
    const char *e = drt_last_error();
    CHECK(strstr(e, url) && strstr(e, pattern) && !strchr(e, '\n'), "%s: message '%s' lacks '%s'", what, e, pattern);
    printf("%s: %s\n", what, e);
}

/* Returns how many frames were read before a failure (-1 when the read succeeded to the end). */
static int frames_before_error(const char *what, const char *url, const char *pattern)
{
    drt_video *v = NULL;
    drt_status s = drt_video_open(url, NULL, &v);
    if (s != DRT_OK) {
        CHECK(strstr(drt_last_error(), pattern), "%s: open: '%s' lacks '%s'", what, drt_last_error(), pattern);
        printf("%s (at open): %s\n", what, drt_last_error());
        return 0;
    }
    int k = 0;
    for (drt_video_frame f; (s = drt_video_read(v, &f)) == DRT_OK && f.data; k++) {}
    const char *e = drt_last_error();
    CHECK(s != DRT_OK, "%s: read to the end without an error", what);
    CHECK(s == DRT_OK || (strstr(e, url) && strstr(e, pattern) && !strchr(e, '\n')), "%s: '%s' lacks '%s'", what, e, pattern);
    if (s != DRT_OK) printf("%s after %d frames: %s\n", what, k, e);
    drt_video_free(v);
    return s == DRT_OK ? -1 : k;
}

static void test_errors(void)
{
    expect_open_error("missing file", tmp("none.mp4"), "No such file");
    expect_open_error("missing camera", "/dev/video97", "cannot open the camera");
    expect_open_error("unreachable url", "rtsp://127.0.0.1:1/live", "cannot open the stream");
    expect_open_error("not a video", "/usr/share/darknet/cfg/yolov3.cfg", "");
    /* Truncated: the mp4's index up front (faststart), its data cut at 60%. */
    if (make("full.mp4", "ffmpeg -v error -y -stream_loop 2 -framerate 10 -i '%s' -c:v libx264 -g 5 -movflags +faststart "
             "-frames:v 20 '%s'", tmp("seq-%03d.png"), tmp("full.mp4"))) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "head -c $(( $(stat -c %%s '%s') * 6 / 10 )) '%s' > '%s'", tmp("full.mp4"),
                 tmp("full.mp4"), tmp("cut.mp4"));
        CHECK(system(cmd) == 0, "cannot cut");
        int k = frames_before_error("truncated mp4", tmp("cut.mp4"), "frame ");
        CHECK(k > 0 && k < 20, "truncated mp4: %d frames before the error", k);
        /* Corrupt: bytes overwritten in the second half (the first frames still decode). */
        size_t n;
        unsigned char *d = read_all(tmp("full.mp4"), &n);
        for (size_t i = n / 2; d && i < n; i += 97) d[i] ^= 0x5a;
        FILE *f = fopen(tmp("bad.mp4"), "wb");
        if (d && f) fwrite(d, 1, n, f);
        if (f) fclose(f);
        free(d);
        k = frames_before_error("corrupt mp4", tmp("bad.mp4"), "frame ");
        CHECK(k >= 0 && k < 20, "corrupt mp4: %d frames before the error", k);
    }
}

int main(void)
{
    if (system("ffmpeg -version >/dev/null 2>&1") != 0) {
        printf("skipped: no ffmpeg CLI to make test videos\n");
        return 77;
    }
    if (missing_encoders()) return DONE(); /* a clip it cannot make: fail, not skip (see the top) */
    if (!mkdtemp(dir)) return 1;
    test_codecs();
    test_timestamps();
    test_errors();
    sh("rm -rf '%s'%s", dir, "");
    return DONE();
}
