/* BMP and binary PPM/PGM decoding with stb_image (Debian's libstb-dev), size checked first. */
#include "vision/vision.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_BMP
#define STBI_ONLY_PNM
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_FAILURE_USERMSG
/* static stb functions this file does not call are "declared but never defined" at the end of
 * the file, so -Wunused-function stays off for all of it. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

/* Whitespace and comments exactly as stb's stbi__pnm_skip_whitespace sees them: a comment
 * ends at \n or \r, or this check and stb would read different numbers. */
static int pnm_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* The next header number of a PNM, read as stbi__pnm_getinteger does (after whitespace and
 * comments; *pos is left on the byte that ended the number, which stb examines again); -1 when
 * malformed or too long for an int. */
static long pnm_number(const uint8_t *d, size_t n, size_t *pos)
{
    size_t i = *pos;
    for (;;) {
        while (i < n && pnm_space(d[i])) i++;
        if (i < n && d[i] == '#')
            while (i < n && d[i] != '\n' && d[i] != '\r') i++;
        else break;
    }
    long v = 0;
    int digits = 0;
    for (; i < n && d[i] >= '0' && d[i] <= '9'; i++, digits++)
        if (digits < 9) v = v * 10 + (d[i] - '0');
    *pos = i;
    return digits == 0 || digits > 9 ? -1 : v;
}

/* Checks a binary PNM header before stb sees it (stb's parser overflows on long numbers and
 * reads short files as zeros): sizes, maxval and that the pixel data is all there. */
static drt_status check_pnm(const char *path, const uint8_t *d, size_t n)
{
    size_t pos = 2;
    long w = pnm_number(d, n, &pos), h = pnm_number(d, n, &pos), maxval = pnm_number(d, n, &pos);
    pos++; /* stb consumes the one byte after maxval; the pixels follow */
    if (w < 0 || h < 0 || maxval < 0)
        return drt_error(DRT_STATUS_FORMAT, "%s: PNM header: width, height and maxval must be decimal numbers "
                         "of at most 9 digits", path);
    DRT_TRY(drt_image_check_size(path, "PNM", w, h));
    if (maxval < 1 || maxval > 65535)
        return drt_error(DRT_STATUS_FORMAT, "%s: PNM header: maxval %ld: must be 1..65535", path, maxval);
    size_t need = (size_t)w * (size_t)h * (d[1] == '6' ? 3u : 1u) * (maxval > 255 ? 2u : 1u);
    if (pos > n || n - pos < need)
        return drt_error(DRT_STATUS_FORMAT, "%s: PNM: %zu bytes of pixels for %ldx%ld, %zu expected: the file is truncated",
                         path, pos > n ? 0 : n - pos, w, h, need);
    return DRT_OK;
}

/* stb reads past a BMP's end as zeros: the header's file size and pixel offset must fit. */
static drt_status check_bmp(const char *path, const uint8_t *d, size_t n)
{
    if (n < 14) return drt_error(DRT_STATUS_FORMAT, "%s: BMP: %zu bytes: shorter than its 14-byte header", path, n);
    unsigned long file_size = d[2] | d[3] << 8 | (unsigned long)d[4] << 16 | (unsigned long)d[5] << 24;
    unsigned long offset = d[10] | d[11] << 8 | (unsigned long)d[12] << 16 | (unsigned long)d[13] << 24;
    if ((file_size && file_size > n) || offset >= n)
        return drt_error(DRT_STATUS_FORMAT, "%s: BMP: header says %lu bytes with pixels at %lu, the file has %zu: "
                         "the file is truncated", path, file_size, offset, n);
    unsigned long compression = n >= 34 ? (d[30] | d[31] << 8 | d[32] << 16 | (unsigned long)d[33] << 24) : 0;
    unsigned long header_size = n >= 18 ? (d[14] | d[15] << 8 | d[16] << 16 | (unsigned long)d[17] << 24) : 0;
    /* stb reads only uncompressed (0) and bitfield (3) pixels; anything else it may misread at length */
    if (header_size > 12 && compression != 0 && compression != 3)
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: BMP compression %lu: only uncompressed and bitfield BMPs are read",
                         path, compression);
    if (n >= 26) { /* uncompressed rows must all be there (OS/2 headers keep 16-bit sizes) */
        long long w, h;
        unsigned long long bpp;
        if (header_size <= 12) {
            w = d[18] | d[19] << 8;
            h = d[20] | d[21] << 8;
            bpp = d[24] | d[25] << 8;
        } else {
            if (n < 30) return drt_error(DRT_STATUS_FORMAT, "%s: BMP: %zu bytes: shorter than its info header", path, n);
            int32_t w32, h32;
            memcpy(&w32, d + 18, 4);
            memcpy(&h32, d + 22, 4);
            w = w32;
            h = h32;
            bpp = d[28] | d[29] << 8;
        }
        unsigned long long rows = (unsigned long long)(h < 0 ? -h : h);
        unsigned long long need = offset + rows * (((unsigned long long)(w < 0 ? 0 : w) * bpp + 31) / 32 * 4);
        if (need > n)
            return drt_error(DRT_STATUS_FORMAT, "%s: BMP: %lldx%lld pixels need %llu bytes, the file has %zu: the file is truncated",
                             path, w, h, need, n);
    }
    return DRT_OK;
}

/* stb's failure, as a status: its allocation failures are out of memory, not malformed files. */
static drt_status stb_failure(const char *path, const char *format, const char *where)
{
    const char *why = stbi_failure_reason();
    if (why && !strcmp(why, "Out of memory")) return drt_error(DRT_STATUS_OOM, "%s: %s: out of memory", path, format);
    return drt_error(DRT_STATUS_FORMAT, "%s: %s%s: %s", path, format, where, why ? why : "unreadable");
}

drt_status drt_stb_decode_u8(const char *path, const uint8_t *data, size_t size, drt_u8_pixels *out)
{
    *out = (drt_u8_pixels){0};
    const char *format = data[0] == 'B' ? "BMP" : "PNM";
    DRT_TRY(data[0] == 'P' ? check_pnm(path, data, size) : check_bmp(path, data, size));
    if (size > 0x7fffffff) return drt_error(DRT_STATUS_FORMAT, "%s: %s: larger than 2 GB", path, format);
    int w, h, n;
    if (!stbi_info_from_memory(data, (int)size, &w, &h, &n)) return stb_failure(path, format, " header");
    /* a negative BMP height is a top-down BMP: stb's info passes the sign on, its loader flips */
    DRT_TRY(drt_image_check_size(path, format, w, data[0] == 'B' && h < 0 ? -(long long)h : h));
    /* stb's own channels: its 16-bit grey-to-RGB conversion overreads the buffer (Debian's stb 2.27) */
    uint8_t *pixels = stbi_load_from_memory(data, (int)size, &w, &h, &n, 0);
    if (!pixels) return stb_failure(path, format, "");
    /* stb allocates with malloc (STBI_MALLOC is left as it is): the caller frees with free() */
    *out = (drt_u8_pixels){.data = pixels, .w = w, .h = h, .n = n, .orientation = 1};
    return DRT_OK;
}
