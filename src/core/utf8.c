/* UTF-8 decoding for text that came from files: JSON escaping and printable copies. */
#include "core/utf8.h"

size_t drt_utf8_decode(const char *s, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    static const uint32_t min_of_len[5] = {0, 0, 0x80, 0x800, 0x10000}; /* overlong forms are invalid */
    size_t len = u[0] < 0x80 ? 1 : (u[0] & 0xe0) == 0xc0 ? 2 : (u[0] & 0xf0) == 0xe0 ? 3 : (u[0] & 0xf8) == 0xf0 ? 4 : 0;
    *cp = DRT_UTF8_BAD;
    if (len == 0) return 1;
    uint32_t v = len == 1 ? u[0] : u[0] & (0x7fu >> len);
    for (size_t k = 1; k < len; k++) {
        if ((u[k] & 0xc0) != 0x80) return 1; /* also stops at the NUL */
        v = v << 6 | (u[k] & 0x3fu);
    }
    if (v < min_of_len[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 1;
    *cp = v;
    return len;
}

static int is_control(uint32_t cp) { return cp < 0x20 || (cp >= 0x7f && cp < 0xa0); }

void drt_utf8_write_json(FILE *out, const char *s)
{
    if (!s) { fputs("null", out); return; }
    fputc('"', out);
    while (*s) {
        uint32_t cp;
        size_t len = drt_utf8_decode(s, &cp);
        if (cp == '"' || cp == '\\') fprintf(out, "\\%c", (char)cp);
        else if (cp == '\n') fputs("\\n", out);
        else if (cp == '\t') fputs("\\t", out);
        else if (cp == DRT_UTF8_BAD) fputs("\\ufffd", out);
        else if (is_control(cp)) fprintf(out, "\\u%04x", (unsigned)cp);
        else fwrite(s, 1, len, out);
        s += len;
    }
    fputc('"', out);
}

void drt_text_printable(const char *s, char *out, size_t n, int ascii_only)
{
    size_t o = 0;
    if (n == 0) return;
    while (s && *s) {
        uint32_t cp;
        size_t len = drt_utf8_decode(s, &cp);
        int keep = cp != DRT_UTF8_BAD && !is_control(cp) && (!ascii_only || cp < 0x80);
        size_t w = keep ? len : 1;
        if (o + w >= n) break;
        for (size_t k = 0; k < w; k++) out[o++] = keep ? s[k] : '?';
        s += len;
    }
    out[o] = 0;
}
