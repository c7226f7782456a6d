/* NV12 to RGB8 exactly as libswscale converts 8-bit 4:2:0 at the frame's own size on x86 (its
 * unscaled yuv2rgb path, libswscale/x86/yuv_2_rgb.asm: 16-bit lanes, pmulhw, saturating adds), one
 * pixel at a time, for the host (C) and the GPU (CUDA) alike; and the frames NVDEC leaves on the GPU.
 * src/video/video-nv12.c takes the coefficients from the frame's own libswscale context and checks
 * this arithmetic against libswscale once per process before any frame stays on the GPU. */
#ifndef DRT_NV12_SWS_H
#define DRT_NV12_SWS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __CUDACC__
#define DRT_HD __host__ __device__ __forceinline__
#else
#define DRT_HD static inline
#endif

/* libswscale's yCoeff, yOffset, vrCoeff, ubCoeff, vgCoeff, ugCoeff (SwsContext, as
 * ff_yuv2rgb_c_init_tables sets them from the colorspace table, range, brightness, contrast and
 * saturation). */
typedef struct drt_nv12_sws {
    int16_t y_coeff, y_offset, vr, ub, vg, ug;
} drt_nv12_sws;

DRT_HD int drt_sws_sat16(int v) { return v < -32768 ? -32768 : v > 32767 ? 32767 : v; }
DRT_HD int drt_sws_mulhi(int a, int b) { return (a * b) >> 16; } /* pmulhw (arithmetic shift: floor) */
DRT_HD uint8_t drt_sws_u8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); } /* packuswb */

/* One pixel: luma Y, its pair's chroma U and V -> R, G, B. */
DRT_HD void drt_nv12_sws_pixel(const drt_nv12_sws *c, int Y, int U, int V, uint8_t *rgb)
{
    int u = drt_sws_sat16((U << 3) - 0x400), v = drt_sws_sat16((V << 3) - 0x400); /* psubsw uOffset, vOffset */
    int y = (int16_t)((Y << 3) - c->y_offset);                                    /* psubw: wraps */
    int yv = drt_sws_mulhi(y, c->y_coeff);
    int g = drt_sws_sat16(drt_sws_mulhi(u, c->ug) + drt_sws_mulhi(v, c->vg));
    rgb[0] = drt_sws_u8(drt_sws_sat16(yv + drt_sws_mulhi(v, c->vr)));
    rgb[1] = drt_sws_u8(drt_sws_sat16(yv + g));
    rgb[2] = drt_sws_u8(drt_sws_sat16(yv + drt_sws_mulhi(u, c->ub)));
}

/* Pixel (x, y) of an NV12 frame: Y plane rows of y_pitch bytes, interleaved UV (U first) rows of
 * uv_pitch bytes, one chroma pair per 2x2 pixels. */
DRT_HD void drt_nv12_sws_at(const drt_nv12_sws *c, const uint8_t *yp, size_t y_pitch, const uint8_t *uvp,
                            size_t uv_pitch, int x, int y, uint8_t *rgb)
{
    const uint8_t *uv = uvp + uv_pitch * (size_t)(y >> 1) + 2 * (size_t)(x >> 1);
    drt_nv12_sws_pixel(c, yp[y_pitch * (size_t)y + (size_t)x], uv[0], uv[1], rgb);
}

/* An NVDEC frame left on the GPU (device pointers in the CUDA primary context of GPU `gpu`, the
 * engine's), and how libswscale would have converted it. `release` hands the frame back to its
 * decoder (any thread, once the device is done reading it); the descriptor is the caller's
 * (malloc'd: released frames' descriptors are freed by drt_frame_release). */
typedef struct drt_nv12_gpu {
    int w, h, gpu;
    const uint8_t *y, *uv;
    size_t y_pitch, uv_pitch;
    drt_nv12_sws sws;
    void (*release)(void *owner);
    void *owner;
} drt_nv12_gpu;

#endif
