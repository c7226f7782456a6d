/* detect --show through SDL2: one window per source, a streaming texture updated per frame. */
#include "video-show.h"

#include <SDL2/SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

typedef struct show_view {
    SDL_Window *window;
    SDL_Renderer *renderer;
    SDL_Texture *texture;
    int w, h;
} show_view;

struct show_window {
    show_view *views;
    int n, closed;
};

drt_status show_open(show_window **out, int n)
{
    *out = NULL;
    const char *driver = getenv("SDL_VIDEODRIVER");
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY") && !(driver && *driver)) {
        fprintf(stderr, "darkrt detect: note: --show: no display (DISPLAY is not set): detecting without a window\n");
        return DRT_OK;
    }
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "darkrt detect: note: --show: no display (%s): detecting without a window\n", SDL_GetError());
        return DRT_OK;
    }
    show_window *s = calloc(1, sizeof *s);
    if (s) s->views = calloc((size_t)n, sizeof *s->views);
    if (!s || !s->views) {
        free(s);
        SDL_Quit();
        fprintf(stderr, "darkrt detect: note: --show: out of memory: detecting without a window\n");
        return DRT_OK;
    }
    s->n = n;
    *out = s;
    return DRT_OK;
}

/* White text on a black band at the top-left of the frame, 2 pixels a font unit. */
static void draw_label(unsigned char *rgb, int w, int h, const char *text)
{
    char vbuf[64 * 270], buf[64];
    snprintf(buf, sizeof buf, "%s", text);
    int quads = stb_easy_font_print(0, 0, buf, NULL, vbuf, sizeof vbuf), s = 2;
    int band_w = stb_easy_font_width(buf) * s + 8, band_h = 12 * s;
    for (int y = 0; y < band_h && y < h; y++) memset(rgb + (size_t)y * w * 3, 0, (size_t)(band_w < w ? band_w : w) * 3);
    for (int q = 0; q < quads; q++) {
        const float *v = (const float *)(vbuf + (size_t)q * 64);
        for (int y = 4 + (int)v[1] * s; y < 4 + (int)v[9] * s && y < h; y++)
            for (int x = 4 + (int)v[0] * s; x < 4 + (int)v[8] * s && x < w; x++)
                memset(rgb + ((size_t)y * w + x) * 3, 255, 3);
    }
}

static int ensure_view(show_view *v, int src, int w, int h)
{
    if (v->window && v->w == w && v->h == h) return 0;
    if (v->texture) SDL_DestroyTexture(v->texture);
    if (!v->window) {
        char title[64];
        snprintf(title, sizeof title, "darkrt: source %d", src + 1);
        int scale = w > 1280 ? (w + 1279) / 1280 : 1; /* fit a 4K stream on a screen */
        v->window = SDL_CreateWindow(title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, w / scale, h / scale, 0);
        v->renderer = v->window ? SDL_CreateRenderer(v->window, -1, 0) : NULL;
    }
    v->texture = v->renderer ? SDL_CreateTexture(v->renderer, SDL_PIXELFORMAT_RGB24, SDL_TEXTUREACCESS_STREAMING, w, h) : NULL;
    v->w = w;
    v->h = h;
    return v->texture ? 0 : -1;
}

void show_frame(show_window *s, int src, unsigned char *rgb, int w, int h, int64_t done, double elapsed_ms)
{
    if (!s || s->closed || src >= s->n) return;
    show_view *v = &s->views[src];
    if (ensure_view(v, src, w, h)) {
        fprintf(stderr, "darkrt detect: note: --show: %s: closing the window\n", SDL_GetError());
        s->closed = 1;
        return;
    }
    char label[64];
    snprintf(label, sizeof label, "%lld frames  %.1f fps", (long long)done,
             elapsed_ms > 0 ? (double)(done - 1) * 1000 / elapsed_ms : 0.0);
    draw_label(rgb, w, h, label);
    SDL_UpdateTexture(v->texture, NULL, rgb, w * 3);
    SDL_RenderClear(v->renderer);
    SDL_RenderCopy(v->renderer, v->texture, NULL, NULL);
    SDL_RenderPresent(v->renderer);
    SDL_Event e;
    while (SDL_PollEvent(&e))
        if (e.type == SDL_QUIT || (e.type == SDL_WINDOWEVENT && e.window.event == SDL_WINDOWEVENT_CLOSE) ||
            (e.type == SDL_KEYDOWN && (e.key.keysym.sym == SDLK_ESCAPE || e.key.keysym.sym == SDLK_q)))
            s->closed = 1;
}

int show_closed(const show_window *s) { return s && s->closed; }

void show_close(show_window *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        if (s->views[i].texture) SDL_DestroyTexture(s->views[i].texture);
        if (s->views[i].renderer) SDL_DestroyRenderer(s->views[i].renderer);
        if (s->views[i].window) SDL_DestroyWindow(s->views[i].window);
    }
    free(s->views);
    free(s);
    SDL_Quit();
}
