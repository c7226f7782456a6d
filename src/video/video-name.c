/* Which command-line names are video sources rather than still images. */
#include "darkrt/video.h"
#include "core/error.h"

#include <string.h>
#include <strings.h>

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcasecmp(s + n - k, suffix);
}

int drt_video_is_source(const char *name)
{
    static const char *const ext[] = {".mp4", ".mkv", ".avi", ".mov", ".webm", ".ts", ".m4v", ".mpg",
                                      ".mpeg", ".flv", ".h264", ".264", ".h265", ".hevc", ".mjpeg", ".y4m"};
    DRT_ARG_OR(name, "name", 0);
    if (strstr(name, "://") || !strncmp(name, "/dev/video", 10)) return 1;
    if (strchr(name, '%') || strchr(name, '*')) return 1;
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (has_suffix(name, ext[i])) return 1;
    return 0;
}
