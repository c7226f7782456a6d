/* Class names files (coco.names): one name a line. */
#define _POSIX_C_SOURCE 200809L
#include "graph/model.h"
#include "core/error.h"
#include "core/fileio.h"

#include <stdlib.h>
#include <string.h>

#define MAX_NAMES_BYTES (16u << 20)
#define MAX_NAME_LEN 1024

static void free_names(char **names, int n)
{
    for (int i = 0; names && i < n; i++) free(names[i]);
    free(names);
}

/* Number of names: lines up to the last non-blank one. */
static int count_lines(const char *text, int *n_out)
{
    int lines = 0, last = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lines++;
        for (size_t k = 0; k < len; k++)
            if (p[k] != ' ' && p[k] != '\t' && p[k] != '\r') { last = lines; break; }
        if (!nl) break;
        p = nl + 1;
    }
    *n_out = last;
    return lines;
}

drt_status drt_model_check_names(const drt_model *m, const char *path, int n)
{
    for (int i = 0; i < m->n_layers; i++) {
        const drt_layer *l = &m->layers[i];
        if (l->type == DRT_LAYER_YOLO && l->classes != n)
            return drt_error(DRT_STATUS_PARSE, "%s: %d names, but the [yolo] layer %d has classes=%d: one name per class",
                             path, n, i, l->classes);
    }
    return DRT_OK;
}

drt_status drt_model_set_names_file(drt_model *m, const char *path)
{
    DRT_ARG(m, "model");
    DRT_ARG(path, "names_path");
    unsigned char *data;
    size_t size;
    DRT_TRY(drt_read_file(path, MAX_NAMES_BYTES, &data, &size));
    char *text = (char *)data, **names = NULL;
    int n = 0, i = 0;
    drt_status s = DRT_OK;
    if (memchr(text, 0, size)) { s = drt_error(DRT_STATUS_PARSE, "%s: contains a NUL byte: not a names file", path); goto done; }
    count_lines(text, &n);
    if (n == 0) { s = drt_error(DRT_STATUS_PARSE, "%s:1: no names: one class name a line expected", path); goto done; }
    if ((s = drt_model_check_names(m, path, n)) != DRT_OK) goto done;
    if (!(names = calloc((size_t)n, sizeof *names))) { s = drt_error(DRT_STATUS_OOM, "%s: out of memory", path); goto done; }
    for (char *p = text; i < n; i++) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        char *end = p + strlen(p);
        while (*p == ' ' || *p == '\t') p++;
        while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) *--end = 0;
        if (!*p) { s = drt_error(DRT_STATUS_PARSE, "%s:%d: empty name (class %d)", path, i + 1, i); goto done; }
        if (end - p > MAX_NAME_LEN) { s = drt_error(DRT_STATUS_PARSE, "%s:%d: name longer than %d bytes", path, i + 1, MAX_NAME_LEN); goto done; }
        if (!(names[i] = strdup(p))) { s = drt_error(DRT_STATUS_OOM, "%s: out of memory", path); goto done; }
        p = nl ? nl + 1 : end;
    }
    free_names(m->names, m->n_names);
    m->names = names;
    m->n_names = n;
    names = NULL;
done:
    free_names(names, n);
    free(text);
    return s;
}
