/* A small recursive-descent JSON parser and the writing helpers. */
#include "report/json.h"
#include "core/utf8.h"
#include "core/error.h"
#include "core/fileio.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct parser {
    const char *p, *end, *name;
    int line;
} parser;

static drt_status fail(parser *ps, const char *rule)
{
    return drt_error(DRT_STATUS_FORMAT, "%s:%d: invalid JSON: %s", ps->name, ps->line, rule);
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) {
        if (*ps->p == '\n') ps->line++;
        ps->p++;
    }
}

static drt_status parse_value(parser *ps, drt_json *v, int depth);

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes a string literal at ps->p (the opening quote) into a malloc'd buffer. */
static drt_status parse_string(parser *ps, char **out)
{
    const char *s = ++ps->p;
    size_t n = 0;
    while (s + n < ps->end && s[n] != '"') n += s[n] == '\\' ? 2 : 1;
    if (s + n >= ps->end) return fail(ps, "unterminated string");
    char *o = malloc(n + 1), *w = o;
    if (!o) return drt_error(DRT_STATUS_OOM, "%s: out of memory", ps->name);
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p++;
        if (c < 0x20) { free(o); return fail(ps, "control character in a string"); }
        if (c != '\\') { *w++ = (char)c; continue; }
        char e = *ps->p++;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) { *w++ = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"]; continue; }
        unsigned cp, lo;
        if (e != 'u' || ps->end - ps->p < 4 || !hex4(ps->p, &cp)) { free(o); return fail(ps, "bad escape in a string"); }
        ps->p += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u' &&
            hex4(ps->p + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            ps->p += 6;
        }
        w += put_utf8(w, cp); /* \uXXXX (6 bytes) never decodes to more than 4 */
    }
    ps->p++;
    *w = '\0';
    *out = o;
    return DRT_OK;
}

static drt_status parse_number(parser *ps, drt_json *v)
{
    char buf[64];
    size_t n = 0;
    while (ps->p + n < ps->end && n < sizeof buf - 1 && strchr("+-0123456789.eE", ps->p[n])) n++;
    memcpy(buf, ps->p, n);
    buf[n] = '\0';
    char *end;
    v->number = strtod(buf, &end);
    if (n == 0 || *end) return fail(ps, "bad number");
    v->type = DRT_JSON_NUMBER;
    ps->p += n;
    return DRT_OK;
}

static drt_status push(parser *ps, drt_json *v, size_t *cap)
{
    if (v->count < *cap) return DRT_OK;
    size_t want = *cap ? *cap * 2 : 8;
    drt_json *items = realloc(v->items, want * sizeof *items);
    if (items) v->items = items;
    if (items && v->type == DRT_JSON_OBJECT) {
        char **keys = realloc(v->keys, want * sizeof *keys);
        if (!keys) items = NULL;
        else v->keys = keys;
    }
    if (!items) return drt_error(DRT_STATUS_OOM, "%s: out of memory", ps->name);
    *cap = want;
    return DRT_OK;
}

/* Array or object: items separated by commas up to the closing bracket. */
static drt_status parse_container(parser *ps, drt_json *v, int depth)
{
    int is_obj = *ps->p == '{';
    char close = is_obj ? '}' : ']';
    v->type = is_obj ? DRT_JSON_OBJECT : DRT_JSON_ARRAY;
    size_t cap = 0;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) { ps->p++; return DRT_OK; }
    for (;;) {
        DRT_TRY(push(ps, v, &cap));
        drt_json *item = &v->items[v->count];
        memset(item, 0, sizeof *item);
        if (is_obj) {
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != '"') return fail(ps, "expected a key string");
            v->keys[v->count] = NULL;
            DRT_TRY(parse_string(ps, &v->keys[v->count]));
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') { v->count++; return fail(ps, "expected ':' after a key"); }
            ps->p++;
        }
        v->count++;
        DRT_TRY(parse_value(ps, item, depth + 1));
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
        if (ps->p < ps->end && *ps->p == close) { ps->p++; return DRT_OK; }
        return fail(ps, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static drt_status parse_value(parser *ps, drt_json *v, int depth)
{
    if (depth > MAX_DEPTH) return fail(ps, "nested too deeply");
    skip_ws(ps);
    if (ps->p >= ps->end) return fail(ps, "unexpected end");
    static const struct { const char *word; drt_json_type type; } words[] = {
        {"null", DRT_JSON_NULL}, {"true", DRT_JSON_TRUE}, {"false", DRT_JSON_FALSE}};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i].word);
        if ((size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, words[i].word, n)) {
            v->type = words[i].type;
            ps->p += n;
            return DRT_OK;
        }
    }
    if (*ps->p == '"') {
        v->type = DRT_JSON_STRING;
        return parse_string(ps, &v->string);
    }
    if (*ps->p == '[' || *ps->p == '{') return parse_container(ps, v, depth);
    return parse_number(ps, v);
}

drt_status drt_json_parse_all(const char *text, size_t size, const char *name, drt_json **out)
{
    *out = NULL;
    parser ps = {text, text + size, name, 1};
    drt_json *all = calloc(1, sizeof *all);
    if (!all) return drt_error(DRT_STATUS_OOM, "%s: out of memory", name);
    all->type = DRT_JSON_ARRAY;
    size_t cap = 0;
    drt_status s = DRT_OK;
    for (skip_ws(&ps); s == DRT_OK && ps.p < ps.end; skip_ws(&ps)) {
        s = push(&ps, all, &cap);
        if (s != DRT_OK) break;
        memset(&all->items[all->count], 0, sizeof all->items[0]);
        s = parse_value(&ps, &all->items[all->count++], 1);
    }
    if (s == DRT_OK && all->count == 0) s = fail(&ps, "no value");
    if (s != DRT_OK) {
        drt_json_free(all);
        return s;
    }
    *out = all;
    return DRT_OK;
}

drt_status drt_json_load_file(const char *path, drt_json **out)
{
    unsigned char *data;
    size_t size;
    *out = NULL;
    DRT_TRY(drt_read_file(path, (size_t)1 << 30, &data, &size));
    drt_status s = drt_json_parse_all((const char *)data, size, path, out);
    free(data);
    return s;
}

static void free_inner(drt_json *v)
{
    free(v->string);
    for (size_t i = 0; i < v->count; i++) {
        free_inner(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
}

void drt_json_free(drt_json *v)
{
    if (!v) return;
    free_inner(v);
    free(v);
}

const drt_json *drt_json_get(const drt_json *o, const char *key)
{
    if (!o || o->type != DRT_JSON_OBJECT) return NULL;
    for (size_t i = 0; i < o->count; i++)
        if (!strcmp(o->keys[i], key)) return &o->items[i];
    return NULL;
}

const char *drt_json_get_string(const drt_json *o, const char *key)
{
    const drt_json *v = drt_json_get(o, key);
    return v && v->type == DRT_JSON_STRING ? v->string : NULL;
}

double drt_json_get_number(const drt_json *o, const char *key, double fallback)
{
    const drt_json *v = drt_json_get(o, key);
    return v && v->type == DRT_JSON_NUMBER ? v->number : fallback;
}

int drt_json_get_count(const drt_json *o, const char *key)
{
    double v = drt_json_get_number(o, key, 0);
    return v >= 0 && v <= INT_MAX ? (int)v : 0; /* NaN and out-of-range counts read as "not given" */
}

void drt_json_write_string(FILE *out, const char *s) { drt_utf8_write_json(out, s); }

void drt_json_write_number(FILE *out, double v)
{
    if (!isfinite(v)) fputs("null", out);
    else if (v == floor(v) && fabs(v) < 1e15) fprintf(out, "%.0f", v);
    else fprintf(out, "%.9g", v); /* round-trips a float */
}
