/* Image decoding against known pixels: files written here by independent encoders (by hand
 * for PPM/PGM/BMP, libpng and libjpeg for PNG and JPEG) with values chosen in advance; EXIF
 * orientation; PNG round trip; refusals (decompression bomb, truncated, unknown, empty). */
#include "darkrt.h"

#include <jpeglib.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int failures;
static char dir[] = "/tmp/drt-vision-image-XXXXXX";
#define CHECK(cond, ...) do { if (!(cond)) { printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); failures++; } } while (0)

static const char *tmp(const char *name)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
}

/* The expected pixel (x, y) channel k of the 8-bit test pattern of w x h. */
static int pattern(int x, int y, int k) { return (x * 37 + y * 91 + k * 53 + 11) % 256; }

static float px(const drt_image *im, int x, int y, int k) { return im->data[((size_t)k * im->h + y) * im->w + x]; }

/* Every pixel equals pattern (grey: channel 0 of it in all three), exactly. */
static void expect_pattern(const char *what, const char *path, int w, int h, int grey)
{
    drt_image *im = NULL;
    drt_status s = drt_image_load(path, &im);
    CHECK(s == DRT_OK, "%s: %s", what, drt_last_error());
    if (s != DRT_OK) return;
    CHECK(im->w == w && im->h == h && im->c == 3, "%s: %dx%dx%d", what, im->w, im->h, im->c);
    int bad = 0;
    for (int y = 0; y < h && im->w == w && im->h == h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < 3; k++)
                bad += px(im, x, y, k) != (float)(pattern(x, y, grey ? 0 : k) / 255.);
    CHECK(bad == 0, "%s: %d values differ from the pattern", what, bad);
    drt_image_free(im);
}

static void test_pnm_bmp(void)
{
    enum { W = 5, H = 3 };
    unsigned char buf[64 + W * H * 4];
    int n = sprintf((char *)buf, "P6\n# comment\n%d %d\n255\n", W, H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int k = 0; k < 3; k++) buf[n++] = (unsigned char)pattern(x, y, k);
    write_bytes(tmp("a.ppm"), buf, (size_t)n);
    expect_pattern("PPM P6", tmp("a.ppm"), W, H, 0);
    n = sprintf((char *)buf, "P5 %d %d 255\n", W, H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) buf[n++] = (unsigned char)pattern(x, y, 0);
    write_bytes(tmp("a.pgm"), buf, (size_t)n);
    expect_pattern("PGM P5", tmp("a.pgm"), W, H, 1);
    /* BMP: 24-bit BGR, bottom-up rows padded to 4 bytes. */
    int row = (W * 3 + 3) & ~3, size = 54 + row * H;
    unsigned char bmp[54 + 16 * H];
    memset(bmp, 0, sizeof bmp);
    bmp[0] = 'B', bmp[1] = 'M', bmp[2] = (unsigned char)size, bmp[10] = 54, bmp[14] = 40;
    bmp[18] = W, bmp[22] = H, bmp[26] = 1, bmp[28] = 24;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int k = 0; k < 3; k++) bmp[54 + (H - 1 - y) * row + x * 3 + (2 - k)] = (unsigned char)pattern(x, y, k);
    write_bytes(tmp("a.bmp"), bmp, (size_t)size);
    expect_pattern("BMP 24-bit", tmp("a.bmp"), W, H, 0);
    /* The same pixels top-down: a negative height, rows first to last (was refused as W x -H). */
    int32_t neg = -H;
    memcpy(bmp + 22, &neg, 4);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int k = 0; k < 3; k++) bmp[54 + y * row + x * 3 + (2 - k)] = (unsigned char)pattern(x, y, k);
    write_bytes(tmp("td.bmp"), bmp, (size_t)size);
    expect_pattern("BMP 24-bit top-down", tmp("td.bmp"), W, H, 0);
}

/* Writes a PNG with libpng: color type, bit depth, interlace; samples from the pattern. */
static void write_png(const char *path, int w, int h, int type, int depth, int interlace)
{
    FILE *f = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, f);
    png_set_IHDR(png, info, w, h, depth, type, interlace, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_color pal[16];
    if (type == PNG_COLOR_TYPE_PALETTE) {
        for (int i = 0; i < 16; i++) pal[i] = (png_color){(png_byte)pattern(i, 0, 0), (png_byte)pattern(i, 0, 1), (png_byte)pattern(i, 0, 2)};
        png_set_PLTE(png, info, pal, 16);
    }
    png_write_info(png, info);
    int ch = type == PNG_COLOR_TYPE_RGB ? 3 : type == PNG_COLOR_TYPE_RGBA ? 4 : type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
    int bytes = depth == 16 ? 2 : 1;
    png_bytep *rows = malloc(sizeof *rows * h);
    for (int y = 0; y < h; y++) {
        rows[y] = calloc((size_t)w * ch * bytes + 8, 1);
        for (int x = 0; x < w; x++)
            for (int k = 0; k < ch; k++) {
                int v = (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA) && k == 0 ? pattern(x, y, 0)
                        : k < 3 ? pattern(x, y, k) : 77; /* alpha: dropped by the decoder */
                if (type == PNG_COLOR_TYPE_PALETTE) rows[y][x / 2] |= (png_byte)((x % 16) << (x % 2 ? 0 : 4));
                else if (depth == 16) rows[y][(x * ch + k) * 2] = (png_byte)v, rows[y][(x * ch + k) * 2 + 1] = 0xA5;
                else if (depth == 1) rows[y][x / 8] |= (png_byte)((pattern(x, y, 0) >= 128) << (7 - x % 8));
                else rows[y][x * ch + k] = (png_byte)v;
            }
    }
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    for (int y = 0; y < h; y++) free(rows[y]);
    free(rows);
    fclose(f);
}

static void test_png(void)
{
    write_png(tmp("rgb8.png"), 7, 5, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE);
    expect_pattern("PNG RGB 8-bit", tmp("rgb8.png"), 7, 5, 0);
    write_png(tmp("rgba8.png"), 7, 5, PNG_COLOR_TYPE_RGBA, 8, PNG_INTERLACE_NONE);
    expect_pattern("PNG RGBA 8-bit (alpha dropped)", tmp("rgba8.png"), 7, 5, 0);
    write_png(tmp("rgb16.png"), 7, 5, PNG_COLOR_TYPE_RGB, 16, PNG_INTERLACE_NONE);
    expect_pattern("PNG RGB 16-bit (high byte)", tmp("rgb16.png"), 7, 5, 0);
    write_png(tmp("grey8.png"), 7, 5, PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE);
    expect_pattern("PNG grey 8-bit", tmp("grey8.png"), 7, 5, 1);
    write_png(tmp("greya16.png"), 7, 5, PNG_COLOR_TYPE_GRAY_ALPHA, 16, PNG_INTERLACE_NONE);
    expect_pattern("PNG grey+alpha 16-bit", tmp("greya16.png"), 7, 5, 1);
    write_png(tmp("adam7.png"), 13, 11, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_ADAM7);
    expect_pattern("PNG interlaced", tmp("adam7.png"), 13, 11, 0);
    /* Palette (4-bit, 16 entries: entry i = pattern(i, 0)); pixel x uses entry x % 16. */
    write_png(tmp("pal4.png"), 16, 2, PNG_COLOR_TYPE_PALETTE, 4, PNG_INTERLACE_NONE);
    drt_image *im = NULL;
    CHECK(drt_image_load(tmp("pal4.png"), &im) == DRT_OK, "palette: %s", drt_last_error());
    for (int x = 0; im && x < 16; x++)
        CHECK(px(im, x, 1, 1) == (float)(pattern(x, 0, 1) / 255.), "palette pixel %d", x);
    drt_image_free(im);
    /* 1-bit grey: black or white. */
    write_png(tmp("grey1.png"), 9, 3, PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_NONE);
    im = NULL;
    CHECK(drt_image_load(tmp("grey1.png"), &im) == DRT_OK, "1-bit: %s", drt_last_error());
    for (int y = 0; im && y < 3; y++)
        for (int x = 0; x < 9; x++) CHECK(px(im, x, y, 2) == (pattern(x, y, 0) >= 128 ? 1.f : 0.f), "1-bit pixel");
    drt_image_free(im);
}

/* A JPEG of w x h: left half red, right half blue (8-pixel blocks), with an EXIF orientation
 * (0: none), progressive or not, colour or grey. */
static void write_jpeg(const char *path, int w, int h, int orientation, int progressive, int grey)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    FILE *f = fopen(path, "wb");
    jpeg_stdio_dest(&c, f);
    c.image_width = w, c.image_height = h, c.input_components = grey ? 1 : 3;
    c.in_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    if (progressive) jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    if (orientation) {
        /* "Exif\0\0" + little-endian TIFF: one IFD entry, tag 0x0112 SHORT 1 = orientation. */
        unsigned char exif[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0,
                                0x12, 1, 3, 0, 1, 0, 0, 0, (unsigned char)orientation, 0, 0, 0, 0, 0, 0, 0};
        jpeg_write_marker(&c, JPEG_APP0 + 1, exif, sizeof exif);
    }
    unsigned char *row = malloc((size_t)w * 3);
    while (c.next_scanline < c.image_height) {
        for (int x = 0; x < w; x++) {
            int left = x < w / 2;
            if (grey) row[x] = left ? 200 : 40;
            else row[x * 3] = left ? 230 : 20, row[x * 3 + 1] = 20, row[x * 3 + 2] = left ? 20 : 230;
        }
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
    free(row);
}

static int is_red(const drt_image *im, int x, int y) { return px(im, x, y, 0) > .8f && px(im, x, y, 2) < .2f; }
static int is_blue(const drt_image *im, int x, int y) { return px(im, x, y, 2) > .8f && px(im, x, y, 0) < .2f; }

static void test_jpeg(void)
{
    for (int prog = 0; prog < 2; prog++) {
        write_jpeg(tmp("a.jpg"), 32, 16, 0, prog, 0);
        drt_image *im = NULL;
        CHECK(drt_image_load(tmp("a.jpg"), &im) == DRT_OK, "JPEG: %s", drt_last_error());
        CHECK(im && im->w == 32 && im->h == 16 && is_red(im, 4, 8) && is_blue(im, 28, 8), "JPEG (progressive %d)", prog);
        drt_image_free(im);
    }
    write_jpeg(tmp("g.jpg"), 32, 16, 0, 0, 1);
    drt_image *im = NULL;
    CHECK(drt_image_load(tmp("g.jpg"), &im) == DRT_OK, "grey JPEG: %s", drt_last_error());
    CHECK(im && fabsf(px(im, 4, 8, 0) - 200 / 255.f) < .02f && px(im, 4, 8, 0) == px(im, 4, 8, 2) &&
              fabsf(px(im, 28, 8, 1) - 40 / 255.f) < .02f, "grey JPEG values");
    drt_image_free(im);
    /* EXIF: source 32x16, red left. 6 (rotate 90 CW): 16x32, red on top. 8 (CCW): blue on top.
     * 3 (180): blue left. 2 (mirror): blue left, same size. */
    static const struct { int o, w, h, red_x, red_y; } cases[] = {
        {1, 32, 16, 4, 8}, {6, 16, 32, 8, 4}, {8, 16, 32, 8, 28}, {3, 32, 16, 28, 8}, {2, 32, 16, 28, 8}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_jpeg(tmp("o.jpg"), 32, 16, cases[i].o, 0, 0);
        im = NULL;
        CHECK(drt_image_load(tmp("o.jpg"), &im) == DRT_OK, "EXIF %d: %s", cases[i].o, drt_last_error());
        CHECK(im && im->w == cases[i].w && im->h == cases[i].h && is_red(im, cases[i].red_x, cases[i].red_y),
              "EXIF orientation %d: %dx%d, red not at (%d,%d)", cases[i].o, im ? im->w : 0, im ? im->h : 0,
              cases[i].red_x, cases[i].red_y);
        drt_image_free(im);
    }
}

static void expect_refusal(const char *what, const char *path, drt_status want, const char *needle)
{
    drt_image *im = (drt_image *)1;
    drt_status s = drt_image_load(path, &im);
    CHECK(s == want && im == NULL, "%s: status %d (want %d)", what, (int)s, (int)want);
    CHECK(strstr(drt_last_error(), path) && strstr(drt_last_error(), needle), "%s: message '%s' lacks '%s'", what,
          drt_last_error(), needle);
}

static void test_refusals(void)
{
    /* A valid IHDR claiming 100000 x 100000, then nothing: refused from the header, at once. */
    FILE *f = fopen(tmp("bomb.png"), "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, f);
    png_set_IHDR(png, info, 100000, 100000, 8, PNG_COLOR_TYPE_RGB, 0, 0, 0);
    png_write_info(png, info);
    png_destroy_write_struct(&png, &info);
    fclose(f);
    clock_t t0 = clock();
    expect_refusal("PNG bomb", tmp("bomb.png"), DRT_STATUS_OOM, "100000x100000");
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 0.5, "the bomb took %.2f s to refuse", (double)(clock() - t0) / CLOCKS_PER_SEC);
    /* Truncated files. */
    write_png(tmp("full.png"), 64, 64, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE);
    write_jpeg(tmp("full.jpg"), 64, 64, 0, 0, 0);
    for (int j = 0; j < 2; j++) {
        const char *src = tmp(j ? "full.jpg" : "full.png"), *dst = tmp(j ? "cut.jpg" : "cut.png");
        f = fopen(src, "rb");
        unsigned char buf[65536];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        write_bytes(dst, buf, j ? n - 40 : n / 2); /* JPEG: cut in the entropy-coded data */
        expect_refusal(j ? "truncated JPEG" : "truncated PNG", dst, DRT_STATUS_FORMAT, "truncated");
    }
    write_bytes(tmp("text.jpg"), "hello, not an image\n", 20);
    expect_refusal("text", tmp("text.jpg"), DRT_STATUS_FORMAT, "unknown image format");
    write_bytes(tmp("empty.png"), "", 0);
    expect_refusal("empty", tmp("empty.png"), DRT_STATUS_FORMAT, "empty");
    expect_refusal("missing", tmp("missing.png"), DRT_STATUS_IO, "cannot open");
    write_bytes(tmp("big.ppm"), "P6 70000 70000 255\n", 19);
    expect_refusal("PPM bomb", tmp("big.ppm"), DRT_STATUS_OOM, "limit");
}

static void test_save_png(void)
{
    drt_image *im, *back = NULL;
    drt_image_create(6, 4, 3, &im);
    for (int i = 0; i < 6 * 4 * 3; i++) im->data[i] = (float)(((i * 29) % 256) / 255.);
    CHECK(drt_image_save_png(im, tmp("out.png")) == DRT_OK, "save: %s", drt_last_error());
    CHECK(drt_image_load(tmp("out.png"), &back) == DRT_OK, "reload: %s", drt_last_error());
    CHECK(back && memcmp(back->data, im->data, sizeof(float) * 6 * 4 * 3) == 0, "PNG round trip changed values");
    CHECK(drt_image_save_png(im, tmp("no-such-dir/out.png")) != DRT_OK, "saving into a missing directory");
    CHECK(access(tmp("no-such-dir/out.png"), F_OK) != 0, "a file appeared");
    drt_image_free(back);
    drt_image_free(im);
}

int main(void)
{
    if (!mkdtemp(dir)) return printf("cannot create a temporary directory\n"), 1;
    test_pnm_bmp();
    test_png();
    test_jpeg();
    test_refusals();
    test_save_png();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
    printf(failures ? "%d failure(s)\n" : "all checks passed\n", failures);
    return failures ? 1 : 0;
}
