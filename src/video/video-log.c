/* FFmpeg's log: silenced, its last error kept per thread so darkrt's one-line error
 * can carry FFmpeg's own detail ("moov atom not found", "Connection refused"). */
#include "video/video-internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/log.h>

static _Thread_local char last_message[256];

static void keep_message(void *avcl, int level, const char *fmt, va_list args)
{
    (void)avcl;
    if (level > AV_LOG_ERROR) return; /* warnings ("deprecated pixel format") explain no failure */
    char text[256];
    vsnprintf(text, sizeof text, fmt, args);
    text[strcspn(text, "\r\n")] = 0;
    /* FFmpeg's generic follow-up to a failed hwaccel start keeps the cause logged before it */
    if (last_message[0] && !strncmp(text, "Failed setup for format", 23)) return;
    if (text[0]) snprintf(last_message, sizeof last_message, "%s", text);
}

static void install(void) { av_log_set_callback(keep_message); }

void drt_video_log_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install);
}

const char *drt_video_log_take(void)
{
    static _Thread_local char taken[256];
    memcpy(taken, last_message, sizeof taken);
    last_message[0] = 0;
    return taken;
}

const char *drt_video_av_error(int averror, char *buf, size_t n)
{
    char text[128];
    av_strerror(averror, text, sizeof text);
    const char *detail = drt_video_log_take();
    if (detail[0] && !strstr(detail, text))
        snprintf(buf, n, "%s (%s)", text, detail);
    else
        snprintf(buf, n, "%s", text);
    return buf;
}
