/* Internal logging: every message of the library goes through here (drt_set_log_callback). */
#ifndef DRT_CORE_LOG_H
#define DRT_CORE_LOG_H

#include <stdio.h>
#include "darkrt/status.h"

/* One message, without its newline. */
void drt_log_line(drt_log_level level, const char *line);

/* A stream for verbose output (fprintf(drt_log_file(), "...\n")): each complete line becomes one
 * DRT_LOG_INFO message. */
FILE *drt_log_file(void);

/* In a module (core/module.h): every line goes to fn, the host's drt_log_line, instead. */
void drt_log_forward(void (*fn)(drt_log_level level, const char *line));

#endif
