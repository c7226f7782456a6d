/* SDL2 for detect --show, loaded on first use (dlopen) so that darkrt starts without it: these
 * definitions of the SDL functions video-show.c calls forward to libSDL2's. */
#include <SDL2/SDL.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define SDL_CALLS(X)                                                                                   \
    X(SDL_Init) X(SDL_Quit) X(SDL_GetError) X(SDL_CreateWindow) X(SDL_DestroyWindow) X(SDL_CreateRenderer) \
    X(SDL_DestroyRenderer) X(SDL_CreateTexture) X(SDL_DestroyTexture) X(SDL_UpdateTexture) X(SDL_RenderClear) \
    X(SDL_RenderCopy) X(SDL_RenderPresent) X(SDL_PollEvent)

static struct {
#define X(f) __typeof__(f) *f;
    SDL_CALLS(X)
#undef X
} sdl;
static char why[512];
static int loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    void *h = dlopen("libSDL2-2.0.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(why, sizeof why, "SDL2 not available: %s", dlerror());
        return;
    }
#define X(f) \
    if (!(sdl.f = (__typeof__(f) *)dlsym(h, #f))) { snprintf(why, sizeof why, "SDL2 not available: no %s", #f); return; }
    SDL_CALLS(X)
#undef X
    loaded = 1;
}

/* SDL_Init is the first call: the others run only after it succeeded (or, GetError, say why not). */
int SDL_Init(Uint32 flags)
{
    pthread_once(&once, load);
    return loaded ? sdl.SDL_Init(flags) : -1;
}
const char *SDL_GetError(void) { return loaded ? sdl.SDL_GetError() : why; }
void SDL_Quit(void) { sdl.SDL_Quit(); }
SDL_Window *SDL_CreateWindow(const char *title, int x, int y, int w, int h, Uint32 flags)
{
    return sdl.SDL_CreateWindow(title, x, y, w, h, flags);
}
void SDL_DestroyWindow(SDL_Window *w) { sdl.SDL_DestroyWindow(w); }
SDL_Renderer *SDL_CreateRenderer(SDL_Window *w, int index, Uint32 flags) { return sdl.SDL_CreateRenderer(w, index, flags); }
void SDL_DestroyRenderer(SDL_Renderer *r) { sdl.SDL_DestroyRenderer(r); }
SDL_Texture *SDL_CreateTexture(SDL_Renderer *r, Uint32 format, int access, int w, int h)
{
    return sdl.SDL_CreateTexture(r, format, access, w, h);
}
void SDL_DestroyTexture(SDL_Texture *t) { sdl.SDL_DestroyTexture(t); }
int SDL_UpdateTexture(SDL_Texture *t, const SDL_Rect *rect, const void *pixels, int pitch)
{
    return sdl.SDL_UpdateTexture(t, rect, pixels, pitch);
}
int SDL_RenderClear(SDL_Renderer *r) { return sdl.SDL_RenderClear(r); }
int SDL_RenderCopy(SDL_Renderer *r, SDL_Texture *t, const SDL_Rect *src, const SDL_Rect *dst)
{
    return sdl.SDL_RenderCopy(r, t, src, dst);
}
void SDL_RenderPresent(SDL_Renderer *r) { sdl.SDL_RenderPresent(r); }
int SDL_PollEvent(SDL_Event *e) { return sdl.SDL_PollEvent(e); }
