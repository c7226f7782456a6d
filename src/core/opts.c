/* Options structs across library versions: copy the smaller of the caller's size and ours. */
#include "core/opts.h"
#include "core/error.h"

#include <string.h>

/* The caller's struct size, its first member; anything smaller than that member is a caller's bug. */
static drt_status their_size_of(const void *theirs, const char *what, size_t *size_out)
{
    memcpy(size_out, theirs, sizeof *size_out);
    if (*size_out < sizeof(size_t))
        return drt_error(DRT_STATUS_INVALID_ARG, "%s: size %zu: must be the struct's sizeof (start from its *_default())",
                         what, *size_out);
    return DRT_OK;
}

drt_status drt_opts_copy(void *ours, size_t our_size, const void *theirs, const char *what)
{
    if (!theirs) return DRT_OK;
    size_t their_size;
    DRT_TRY(their_size_of(theirs, what, &their_size));
    memcpy(ours, theirs, their_size < our_size ? their_size : our_size);
    memcpy(ours, &our_size, sizeof our_size);
    return DRT_OK;
}

drt_status drt_opts_copy_out(void *theirs, const void *ours, size_t our_size, const char *what)
{
    size_t their_size;
    DRT_TRY(their_size_of(theirs, what, &their_size));
    memcpy(theirs, ours, their_size < our_size ? their_size : our_size);
    memcpy(theirs, &their_size, sizeof their_size);
    return DRT_OK;
}
