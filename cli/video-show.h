/* detect --show: a window per source (SDL2) with the drawn frames and their rate. */
#ifndef DRT_CLI_VIDEO_SHOW_H
#define DRT_CLI_VIDEO_SHOW_H

#include <stdint.h>
#include "darkrt.h"

typedef struct show_window show_window;

/* Opens the display for n sources. Without one (no DISPLAY, headless) prints a note, sets *out
 * to NULL and returns DRT_OK: detection goes on without a window. */
drt_status show_open(show_window **out, int n);

/* Shows source src's drawn frame (tight RGB8, w x h) with "N frames, X fps" written on it;
 * elapsed_ms since its first frame. Handles window events. */
void show_frame(show_window *s, int src, unsigned char *rgb, int w, int h, int64_t done, double elapsed_ms);

/* True once the user closed a window or pressed Esc or q. */
int show_closed(const show_window *s);

void show_close(show_window *s);

#endif
