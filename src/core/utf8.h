/* Text from files (image names, class names) written where bytes matter: JSON (valid UTF-8 always),
 * terminals (no control sequences) and the drawing font (ASCII glyphs only). */
#ifndef DRT_CORE_UTF8_H
#define DRT_CORE_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DRT_UTF8_BAD 0x110000u /* an invalid byte (not a code point) */

/* Decodes the character at s (NUL-terminated, *s != 0): returns its length in bytes (1 for an invalid
 * byte, with *cp = DRT_UTF8_BAD); rejects overlong forms, surrogates and code points past U+10FFFF. */
size_t drt_utf8_decode(const char *s, uint32_t *cp);

/* s as a JSON string literal: quotes, backslashes and control characters escaped, invalid bytes
 * written as U+FFFD. NULL writes null. */
void drt_utf8_write_json(FILE *out, const char *s);

/* Copies s into out (n bytes, NUL-terminated, cut at a character boundary), replacing control
 * characters, invalid bytes and (ascii_only) every non-ASCII character by '?'. */
void drt_text_printable(const char *s, char *out, size_t n, int ascii_only);

#endif
