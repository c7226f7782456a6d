/* Darknet's dataset layout: the .data file (valid=, names=, classes=), image lists, and the
 * YOLO label file of each image where AlexeyAB's replace_image_to_label looks for it. */
#include "darknet/data-file.h"
#include "core/error.h"
#include "core/fileio.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_TEXT (256u << 20)

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

/* A path from the .data file: as given when it exists from here (Darknet's way: relative to
 * the working directory), else relative to the .data file's directory. */
static char *resolve(const char *data_path, const char *value)
{
    struct stat st;
    const char *slash = strrchr(data_path, '/');
    if (value[0] == '/' || !slash || stat(value, &st) == 0) return strdup(value);
    size_t n = (size_t)(slash - data_path) + 1 + strlen(value) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%.*s%s", (int)(slash - data_path + 1), data_path, value);
    return p;
}

static drt_status parse_line(char *line, int lineno, const char *path, drt_data_file *out)
{
    char *s = trim(line);
    if (!*s || *s == '#' || *s == ';') return DRT_OK;
    char *eq = strchr(s, '=');
    if (!eq) return drt_error(DRT_STATUS_PARSE, "%s:%d: \"%s\": expected key=value", path, lineno, s);
    *eq = '\0';
    char *key = trim(s), *value = trim(eq + 1);
    char **slot = !strcmp(key, "valid") ? &out->valid : !strcmp(key, "names") ? &out->names : NULL;
    if (!strcmp(key, "classes")) {
        char *end;
        long v = strtol(value, &end, 10);
        if (*end || v < 1 || v > 100000)
            return drt_error(DRT_STATUS_PARSE, "%s:%d: classes=%s: must be a whole number 1..100000", path, lineno,
                             value);
        out->classes = (int)v;
    }
    if (!slot) return DRT_OK; /* train=, backup=, eval=...: not needed to score */
    if (!*value) return drt_error(DRT_STATUS_PARSE, "%s:%d: %s= is empty: it names a file", path, lineno, key);
    free(*slot);
    if (!(*slot = resolve(path, value))) return drt_error(DRT_STATUS_OOM, "%s: out of memory", path);
    return DRT_OK;
}

drt_status drt_data_file_read(const char *path, drt_data_file *out)
{
    memset(out, 0, sizeof *out);
    unsigned char *text = NULL;
    size_t size = 0;
    DRT_TRY(drt_read_file(path, 1u << 20, &text, &size));
    drt_status s = DRT_OK;
    char *line = (char *)text;
    for (int lineno = 1; s == DRT_OK && line; lineno++) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        s = parse_line(line, lineno, path, out);
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    if (s != DRT_OK) drt_data_file_clear(out);
    return s;
}

void drt_data_file_clear(drt_data_file *d)
{
    free(d->valid);
    free(d->names);
    memset(d, 0, sizeof *d);
}

drt_status drt_read_path_list(const char *path, char ***paths_out, int *n_out)
{
    unsigned char *text = NULL;
    size_t size = 0;
    *paths_out = NULL;
    *n_out = 0;
    DRT_TRY(drt_read_file(path, MAX_TEXT, &text, &size));
    size_t lines = 1;
    for (size_t i = 0; i < size; i++) lines += text[i] == '\n';
    char **paths = calloc(lines, sizeof *paths);
    int n = 0;
    drt_status s = paths ? DRT_OK : drt_error(DRT_STATUS_OOM, "%s: out of memory", path);
    for (char *line = (char *)text; s == DRT_OK && line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        char *p = trim(line);
        if (*p && !(paths[n++] = strdup(p))) s = drt_error(DRT_STATUS_OOM, "%s: out of memory", path);
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    if (s == DRT_OK && n == 0) s = drt_error(DRT_STATUS_PARSE, "%s: lists no images", path);
    if (s != DRT_OK) {
        for (int i = 0; i < n; i++) free(paths[i]);
        free(paths);
        return s;
    }
    *paths_out = paths;
    *n_out = n;
    return DRT_OK;
}

/* find_replace: the first occurrence of from becomes to. */
static void replace_first(char *s, size_t size, const char *from, const char *to)
{
    char *p = strstr(s, from);
    if (!p) return;
    char tail[4096];
    snprintf(tail, sizeof tail, "%s", p + strlen(from));
    snprintf(p, size - (size_t)(p - s), "%s%s", to, tail);
}

void drt_darknet_label_path(const char *image_path, char *out, size_t size)
{
    static const char *const dirs[][2] = {
        {"/images/train2017/", "/labels/train2017/"}, {"/images/val2017/", "/labels/val2017/"},
        {"/JPEGImages/", "/labels/"}, {"/images/train2014/", "/labels/train2014/"},
        {"/images/val2014/", "/labels/val2014/"}};
    static const char *const exts[] = {".jpg", ".JPG", ".jpeg", ".JPEG", ".png", ".PNG",
                                       ".bmp", ".BMP", ".ppm", ".PPM", ".tiff", ".TIFF"};
    snprintf(out, size, "%s", image_path);
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) replace_first(out, size, dirs[i][0], dirs[i][1]);
    size_t n = strlen(out);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t e = strlen(exts[i]);
        if (n > e && !strcmp(out + n - e, exts[i])) {
            snprintf(out + n - e, size - (n - e), ".txt");
            break;
        }
    }
}

drt_status drt_darknet_read_labels(const char *path, drt_dn_box **boxes_out, int *n_out, int *found_out)
{
    unsigned char *text = NULL;
    size_t size = 0;
    struct stat st;
    *boxes_out = NULL;
    *n_out = 0;
    *found_out = stat(path, &st) == 0;
    if (!*found_out) return DRT_OK; /* Darknet: no labels for this image */
    DRT_TRY(drt_read_file(path, MAX_TEXT, &text, &size));
    size_t lines = 1;
    for (size_t i = 0; i < size; i++) lines += text[i] == '\n';
    drt_dn_box *b = malloc(lines * sizeof *b);
    drt_status s = b ? DRT_OK : drt_error(DRT_STATUS_OOM, "%s: out of memory", path);
    int n = 0, lineno = 0;
    for (char *line = (char *)text; s == DRT_OK && line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        lineno++;
        char *p = trim(line), extra;
        drt_dn_box x = {0};
        if (*p && sscanf(p, "%d %f %f %f %f %c", &x.class_id, &x.x, &x.y, &x.w, &x.h, &extra) != 5)
            s = drt_error(DRT_STATUS_PARSE, "%s:%d: \"%s\": expected \"class x y w h\"", path, lineno, p);
        else if (*p)
            b[n++] = x;
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    if (s != DRT_OK) {
        free(b);
        return s;
    }
    *boxes_out = b;
    *n_out = n;
    return DRT_OK;
}
