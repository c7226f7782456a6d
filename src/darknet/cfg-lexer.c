/* Splits a Darknet .cfg into sections of key=value entries, keeping line numbers. */
#include "darknet/cfg.h"
#include "core/error.h"
#include "core/fileio.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 10000

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = 0;
    return s;
}

/* A short printable excerpt of a bad line for messages. */
static const char *excerpt(const char *s, char *buf, size_t cap)
{
    size_t i = 0;
    for (; s[i] && i + 4 < cap && i < 40; i++)
        buf[i] = (s[i] >= 32 && s[i] < 127) ? s[i] : '?';
    if (s[i] && i + 4 < cap) { memcpy(buf + i, "...", 3); i += 3; }
    buf[i] = 0;
    return buf;
}

static drt_status add_section(drt_cfg *cfg, int *cap, char *name, int line)
{
    if (cfg->n_sections >= DRT_CFG_MAX_SECTIONS)
        return drt_error(DRT_STATUS_PARSE, "%s:%d: more than %d layers: darkrt's limit for every model (cfg, ONNX, plan)",
                         cfg->path, line, DRT_CFG_MAX_SECTIONS - 1);
    if (cfg->n_sections == *cap) {
        int ncap = *cap ? *cap * 2 : 64;
        drt_cfg_section *s = realloc(cfg->sections, sizeof *s * (size_t)ncap);
        if (!s) return drt_error(DRT_STATUS_OOM, "%s:%d: out of memory", cfg->path, line);
        cfg->sections = s;
        *cap = ncap;
    }
    cfg->sections[cfg->n_sections++] = (drt_cfg_section){.name = name, .line = line};
    return DRT_OK;
}

static drt_status add_entry(drt_cfg *cfg, char *key, char *value, int line)
{
    drt_cfg_section *s = &cfg->sections[cfg->n_sections - 1];
    if (s->n_entries >= MAX_ENTRIES)
        return drt_error(DRT_STATUS_PARSE, "%s:%d [%s]: more than %d keys in one section", cfg->path, line, s->name, MAX_ENTRIES);
    /* grow by powers of two: capacity is implied by the count */
    int n = s->n_entries;
    if (n == 0 || (n & (n - 1)) == 0) {
        drt_cfg_entry *e = realloc(s->entries, sizeof *e * (size_t)(n ? 2 * n : 1));
        if (!e) return drt_error(DRT_STATUS_OOM, "%s:%d: out of memory", cfg->path, line);
        s->entries = e;
    }
    /* duplicates are kept: the parser reads the first, as Darknet does, and warns */
    s->entries[s->n_entries++] = (drt_cfg_entry){.key = key, .value = value, .line = line};
    return DRT_OK;
}

static drt_status lex_line(drt_cfg *cfg, int *cap, char *raw, int line)
{
    char buf[64];
    char *s = trim(raw);
    if (!*s || *s == '#' || *s == ';') return DRT_OK;
    if (*s == '[') {
        size_t n = strlen(s);
        if (s[n - 1] != ']')
            return drt_error(DRT_STATUS_PARSE, "%s:%d '%s': a section header must end with ']'", cfg->path, line, excerpt(s, buf, sizeof buf));
        s[n - 1] = 0;
        char *name = trim(s + 1);
        if (!*name) return drt_error(DRT_STATUS_PARSE, "%s:%d '[]': empty section name", cfg->path, line);
        return add_section(cfg, cap, name, line);
    }
    char *eq = strchr(s, '=');
    if (!eq)
        return drt_error(DRT_STATUS_PARSE, "%s:%d '%s': expected key=value or [section]", cfg->path, line, excerpt(s, buf, sizeof buf));
    *eq = 0;
    char *comment = strpbrk(eq + 1, "#;"); /* a trailing comment after the value */
    if (comment) *comment = 0;
    char *key = trim(s), *value = trim(eq + 1);
    if (!*key) return drt_error(DRT_STATUS_PARSE, "%s:%d '=%s': missing key", cfg->path, line, excerpt(value, buf, sizeof buf));
    if (cfg->n_sections == 0)
        return drt_error(DRT_STATUS_PARSE, "%s:%d %s: key outside any section (the file must start with [net])", cfg->path, line, excerpt(key, buf, sizeof buf));
    return add_entry(cfg, key, value, line);
}

drt_status drt_cfg_lex(const char *path, char *text, drt_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->path = path;
    cfg->text = text;
    int cap = 0, line = 0;
    char *p = text;
    if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3;
    while (*p) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        drt_status s = lex_line(cfg, &cap, p, ++line);
        if (s != DRT_OK) {
            drt_cfg_release(cfg);
            return s;
        }
        if (!nl) break;
        p = nl + 1;
    }
    if (cfg->n_sections == 0) {
        drt_cfg_release(cfg);
        return drt_error(DRT_STATUS_PARSE, "%s:%d: no sections: not a Darknet cfg (it must start with [net])", path, line > 0 ? line : 1);
    }
    return DRT_OK;
}

drt_status drt_cfg_read(const char *path, drt_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    unsigned char *data;
    size_t size;
    DRT_TRY(drt_read_file(path, DRT_CFG_MAX_BYTES, &data, &size));
    const unsigned char *nul = memchr(data, 0, size);
    if (nul) {
        int line = 1;
        for (const unsigned char *q = data; q < nul; q++) line += *q == '\n';
        free(data);
        return drt_error(DRT_STATUS_PARSE, "%s:%d: contains a NUL byte: not a text cfg", path, line);
    }
    return drt_cfg_lex(path, (char *)data, cfg);
}

void drt_cfg_release(drt_cfg *cfg)
{
    for (int i = 0; i < cfg->n_sections; i++) free(cfg->sections[i].entries);
    free(cfg->sections);
    free(cfg->text);
    memset(cfg, 0, sizeof *cfg);
}
