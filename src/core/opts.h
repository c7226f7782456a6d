/* Options structs across library versions: each starts with `size_t size`, the caller's sizeof. */
#ifndef DRT_CORE_OPTS_H
#define DRT_CORE_OPTS_H

#include <stddef.h>
#include "darkrt/status.h"

/* Copies the caller's options (theirs, may be NULL) over ours, which holds the defaults: the
 * smaller of the two sizes, so an older caller's shorter struct is never read past its end and
 * the fields it does not know keep their defaults; a newer caller's extra fields are ignored.
 * ours->size becomes our_size. Refuses a size smaller than the size field itself (a struct not
 * started from the *_default() function). what: the struct's name, for the message. */
drt_status drt_opts_copy(void *ours, size_t our_size, const void *theirs, const char *what);

/* The other way: ours into the caller's struct, at most its size bytes; its size field is kept. */
drt_status drt_opts_copy_out(void *theirs, const void *ours, size_t our_size, const char *what);

/* 1 when the caller's struct (its size field) holds `member`. */
#define DRT_OPTS_HAS(opts, type, member) \
    ((opts)->size >= offsetof(type, member) + sizeof((opts)->member))

#endif
