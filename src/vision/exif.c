/* The EXIF orientation tag (0x0112) of a JPEG's APP1 segment, read with bounds checks. */
#include "vision/vision.h"

#include <string.h>

static unsigned rd16(const uint8_t *p, int big) { return big ? (p[0] << 8 | p[1]) : (p[1] << 8 | p[0]); }

static unsigned long rd32(const uint8_t *p, int big)
{
    return big ? ((unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3])
               : ((unsigned long)p[3] << 24 | (unsigned long)p[2] << 16 | (unsigned long)p[1] << 8 | p[0]);
}

int drt_exif_orientation(const uint8_t *app1, size_t size)
{
    if (size < 14 || memcmp(app1, "Exif\0\0", 6) != 0) return 1;
    const uint8_t *tiff = app1 + 6;
    size_t n = size - 6;
    int big;
    if (memcmp(tiff, "MM\0*", 4) == 0) big = 1;
    else if (memcmp(tiff, "II*\0", 4) == 0) big = 0;
    else return 1;
    unsigned long ifd = rd32(tiff + 4, big);
    if (ifd > n || n - ifd < 2) return 1;
    unsigned count = rd16(tiff + ifd, big);
    for (unsigned i = 0; i < count; i++) {
        unsigned long e = ifd + 2 + 12ul * i;
        if (e + 12 > n) return 1;
        if (rd16(tiff + e, big) == 0x0112 && rd16(tiff + e + 2, big) == 3) {
            unsigned o = rd16(tiff + e + 8, big);
            return o >= 1 && o <= 8 ? (int)o : 1;
        }
    }
    return 1;
}
