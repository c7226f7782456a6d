/* Drawing detections: a box per detection and a filled tag with "label score%" in a bitmap
 * font (stb_easy_font's quads, scaled), colours per class; line width and font scale grow
 * with the image so the result reads the same at any size. */
#include "vision/vision.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "core/utf8.h"
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

/* 20 colours that stay apart from each other (Sasha Trubetskoy's list). */
static const float palette[20][3] = {
    {.90f, .10f, .29f}, {.24f, .71f, .29f}, {1.f, .88f, .10f}, {0.f, .51f, .78f}, {.96f, .51f, .19f},
    {.57f, .12f, .71f}, {.27f, .94f, .94f}, {.94f, .20f, .90f}, {.82f, .96f, .24f}, {.98f, .75f, .83f},
    {0.f, .50f, .50f},  {.86f, .75f, 1.f},  {.67f, .43f, .16f}, {1.f, .98f, .78f}, {.50f, 0.f, 0.f},
    {.67f, 1.f, .76f},  {.50f, .50f, 0.f},  {1.f, .84f, .71f},  {0.f, 0.f, .50f},  {.50f, .50f, .50f},
};

static const float *class_color(int class_id)
{
    return palette[(class_id < 0 ? -class_id : class_id) % 20];
}

static void fill_rect(drt_image *im, int x0, int y0, int x1, int y1, const float rgb[3])
{
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > im->w) x1 = im->w;
    if (y1 > im->h) y1 = im->h;
    size_t plane = (size_t)im->w * (size_t)im->h;
    for (int k = 0; k < im->c && k < 3; k++)
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) im->data[k * plane + (size_t)y * im->w + x] = rgb[k];
}

/* A frame of width lw whose outer edge is the rectangle [x0, x1) x [y0, y1). */
static void draw_frame(drt_image *im, int x0, int y0, int x1, int y1, int lw, const float rgb[3])
{
    fill_rect(im, x0, y0, x1, y0 + lw, rgb);
    fill_rect(im, x0, y1 - lw, x1, y1, rgb);
    fill_rect(im, x0, y0, x0 + lw, y1, rgb);
    fill_rect(im, x1 - lw, y0, x1, y1, rgb);
}

/* Renders text with its top-left at (x, y), each font unit s pixels. */
static void draw_text(drt_image *im, int x, int y, int s, const char *text, const float rgb[3])
{
    char vbuf[64 * 300];
    char buf[64]; /* stb_easy_font takes char *, not const char * */
    snprintf(buf, sizeof buf, "%s", text);
    int quads = stb_easy_font_print(0, 0, buf, NULL, vbuf, sizeof vbuf);
    for (int q = 0; q < quads; q++) {
        const float *v = (const float *)(vbuf + (size_t)q * 4 * 16);
        float qx0 = v[0], qy0 = v[1], qx1 = v[8], qy1 = v[9]; /* vertices 0 and 2: opposite corners */
        fill_rect(im, x + (int)lroundf(qx0 * s), y + (int)lroundf(qy0 * s), x + (int)lroundf(qx1 * s),
                  y + (int)lroundf(qy1 * s), rgb);
    }
}

/* Text height in font units: stb_easy_font's capitals span 0..7, descenders reach 9. */
#define FONT_TOP 0
#define FONT_BOTTOM 9

typedef struct tag_rect {
    int x, y, w, h;
} tag_rect;

/* A box's pixel edges, [x1, x2) x [y1, y2), within the image: boxes from `unclipped` detection (--no-clip)
 * reach past its edges, as far as a float goes, and are drawn as their clipped twins. */
static void box_pixels(const drt_image *im, const drt_detection *d, int *x1, int *y1, int *x2, int *y2)
{
    float w = (float)im->w, h = (float)im->h;
    *x1 = (int)fminf(fmaxf(d->x1, 0), w), *y1 = (int)fminf(fmaxf(d->y1, 0), h);
    *x2 = (int)ceilf(fminf(fmaxf(d->x2, 0), w)), *y2 = (int)ceilf(fminf(fmaxf(d->y2, 0), h));
}

static int rects_overlap(const tag_rect *a, const tag_rect *b)
{
    return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

/* Where a tag of tw x th goes: the first of above-left, above-right, inside-top-left,
 * inside-top-right, below-left that stays in the image and clear of placed tags. */
static tag_rect place_tag(const drt_image *im, const drt_detection *d, int tw, int th, const tag_rect *placed,
                          int n_placed)
{
    int x1, y1, x2, y2;
    box_pixels(im, d, &x1, &y1, &x2, &y2);
    const int spots[5][2] = {{x1, y1 - th}, {x2 - tw, y1 - th}, {x1, y1}, {x2 - tw, y1}, {x1, y2}};
    tag_rect first = {x1 < 0 ? 0 : x1, y1 < 0 ? 0 : y1, tw, th}; /* when nothing fits: inside, top */
    int have_first = 0;
    for (int k = 0; k < 5; k++) {
        tag_rect r = {spots[k][0], spots[k][1], tw, th};
        if (r.x + tw > im->w) r.x = im->w - tw;
        if (r.x < 0) r.x = 0;
        if (r.y < 0 || r.y + th > im->h) continue;
        if (!have_first) first = r, have_first = 1;
        int clear = 1;
        for (int i = 0; i < n_placed && clear; i++) clear = !rects_overlap(&r, &placed[i]);
        if (clear) return r;
    }
    return first;
}

static void draw_tag(drt_image *im, const tag_rect *r, int pad, int s, const char *text, const float rgb[3])
{
    fill_rect(im, r->x, r->y, r->x + r->w, r->y + r->h, rgb);
    float lum = .299f * rgb[0] + .587f * rgb[1] + .114f * rgb[2];
    static const float black[3] = {0, 0, 0}, white[3] = {1, 1, 1};
    draw_text(im, r->x + pad, r->y + pad - FONT_TOP * s, s, text, lum > .5f ? black : white);
}

static void tag_text(const drt_detection *d, const drt_model *model, char *text, size_t n)
{
    const char *name = model ? drt_model_class_name(model, d->class_id) : NULL;
    char glyphs[49]; /* the font draws ASCII 32..126 only (a byte past it indexes out of its tables) */
    drt_text_printable(name, glyphs, sizeof glyphs, 1);
    if (name) snprintf(text, n, "%s %.0f%%", glyphs, d->score * 100);
    else snprintf(text, n, "class %d %.0f%%", d->class_id, d->score * 100);
}

/* Tags of the best 256 boxes, placed best first so they get the best spots, drawn last first. */
static void draw_tags(drt_image *im, const drt_detections *dets, const drt_model *model, int lw, int s)
{
    enum { MAX_TAGS = 256 };
    tag_rect placed[MAX_TAGS];
    int n = dets->count < MAX_TAGS ? dets->count : MAX_TAGS, pad = s + lw / 2;
    char text[64];
    for (int i = 0; i < n; i++) {
        tag_text(&dets->items[i], model, text, sizeof text);
        int tw = stb_easy_font_width(text) * s + 2 * pad, th = (FONT_BOTTOM - FONT_TOP) * s + 2 * pad;
        placed[i] = place_tag(im, &dets->items[i], tw, th, placed, i);
    }
    for (int i = n - 1; i >= 0; i--) {
        tag_text(&dets->items[i], model, text, sizeof text);
        draw_tag(im, &placed[i], pad, s, text, class_color(dets->items[i].class_id));
    }
}

void drt_detections_draw(drt_image *image, const drt_detections *dets, const drt_model *model)
{
    if (!image || !dets || image->c < 3) return;
    double side = sqrt((double)image->w * image->h); /* tall or wide images get a size too */
    int lw = (int)lround(side / 320.0), s = (int)lround(side / 330.0);
    if (lw < 1) lw = 1;
    if (s < 1) s = 1;
    /* Lowest score first so the best boxes and tags end up on top; all boxes before tags. */
    for (int i = dets->count - 1; i >= 0; i--) {
        const drt_detection *d = &dets->items[i];
        int x1, y1, x2, y2;
        box_pixels(image, d, &x1, &y1, &x2, &y2);
        draw_frame(image, x1, y1, x2, y2, lw, class_color(d->class_id));
    }
    draw_tags(image, dets, model, lw, s);
}
