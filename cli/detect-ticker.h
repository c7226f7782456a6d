/* With DRT_TIMELINE: a timeline line every second while detect runs ("detect: N of M results"), so that a
 * run that stalls shows when and where (session 18: device runs killed at their limit said nothing after their
 * first result). */
#ifndef DRT_CLI_DETECT_TICKER_H
#define DRT_CLI_DETECT_TICKER_H

typedef struct detect_ticker detect_ticker;

/* NULL when the timeline is off (or out of memory: no ticker); *done is read each second. */
detect_ticker *detect_ticker_start(const _Atomic int *done, int total);
/* Stops it at once (no wait for its second) and frees it; NULL is a no-op. */
void detect_ticker_stop(detect_ticker *t);

#endif
