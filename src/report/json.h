/* A small JSON reader (a DOM of values) and writing helpers, for reports and peer results. */
#ifndef DRT_REPORT_JSON_H
#define DRT_REPORT_JSON_H

#include <stddef.h>
#include <stdio.h>
#include "darkrt/status.h"

typedef enum drt_json_type {
    DRT_JSON_NULL, DRT_JSON_FALSE, DRT_JSON_TRUE, DRT_JSON_NUMBER, DRT_JSON_STRING,
    DRT_JSON_ARRAY, DRT_JSON_OBJECT
} drt_json_type;

typedef struct drt_json drt_json;
struct drt_json {
    drt_json_type type;
    double number;
    char *string;    /* STRING: the decoded text (NUL-terminated) */
    size_t count;    /* ARRAY, OBJECT: number of items */
    drt_json *items; /* ARRAY, OBJECT: the values */
    char **keys;     /* OBJECT: the key of each item */
};

/* Parses every JSON value in text (one value, or several separated by whitespace, as in JSON
 * Lines) into an array value holding them. Errors name `name`, the line and the rule. */
drt_status drt_json_parse_all(const char *text, size_t size, const char *name, drt_json **out);
/* Reads and parses a file (up to 1 GiB) with drt_json_parse_all. */
drt_status drt_json_load_file(const char *path, drt_json **out);
void drt_json_free(drt_json *value);

/* Lookups: NULL when missing or of another type. */
const drt_json *drt_json_get(const drt_json *object, const char *key);
const char *drt_json_get_string(const drt_json *object, const char *key);
/* The number at key, or fallback when missing, null or not a number. */
double drt_json_get_number(const drt_json *object, const char *key, double fallback);
/* A count at key: its whole part when in 0..INT_MAX, else 0 (missing, not a number, out of range). */
int drt_json_get_count(const drt_json *object, const char *key);

/* Writes s as a JSON string literal (quoted, escaped; NULL writes null). */
void drt_json_write_string(FILE *out, const char *s);
/* Writes a number with enough digits; NaN and infinities write null. */
void drt_json_write_number(FILE *out, double v);

#endif
