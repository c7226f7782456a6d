/* A process timeline for the time to the first detection: DRT_TIMELINE=1 (a debug switch) logs
 * each step of loading and of the first batch with its time since the process started. */
#ifndef DRT_CORE_TIMELINE_H
#define DRT_CORE_TIMELINE_H

/* Whether DRT_TIMELINE=1 (read once). */
int drt_timeline_on(void);

/* "timeline: <ms since process start> ms  <what>" to the log (drt_log_file), when on. */
void drt_timeline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
