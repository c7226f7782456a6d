/* The cfg lexer: comments, blank lines, spaces around '=', CRLF, BOM, repeated keys, and
 * one-line errors that name the line. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darknet/cfg.h"
#include "darkrt.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static drt_status lex(const char *text, drt_cfg *cfg)
{
    return drt_cfg_lex("t.cfg", strdup(text), cfg);
}

static void expect_error(const char *text, const char *want)
{
    drt_cfg cfg;
    drt_status s = lex(text, &cfg);
    if (s == DRT_OK) {
        printf("FAIL: lexing %s: no error, expected '%s'\n", text, want);
        drt_cfg_release(&cfg);
        failures++;
    } else if (!strstr(drt_last_error(), want)) {
        printf("FAIL: lexing %s: got '%s', expected '%s'\n", text, drt_last_error(), want);
        failures++;
    }
}

int main(void)
{
    drt_cfg cfg;
    /* BOM, CRLF, comments of both kinds, spaces and tabs around '=', a trailing comment, no final newline */
    CHECK(lex("\xEF\xBB\xBF# top\r\n[net]\r\n width = 416 \r\n;c\r\n\r\n[ convolutional ]\r\n\tfilters=\t32 # note\r\n"
              "activation=leaky", &cfg) == DRT_OK);
    CHECK(cfg.n_sections == 2);
    if (cfg.n_sections == 2) {
        CHECK(!strcmp(cfg.sections[0].name, "net") && cfg.sections[0].line == 2);
        CHECK(cfg.sections[0].n_entries == 1);
        CHECK(!strcmp(cfg.sections[0].entries[0].key, "width") && !strcmp(cfg.sections[0].entries[0].value, "416"));
        CHECK(cfg.sections[0].entries[0].line == 3);
        CHECK(!strcmp(cfg.sections[1].name, "convolutional") && cfg.sections[1].line == 6);
        CHECK(cfg.sections[1].n_entries == 2);
        CHECK(!strcmp(cfg.sections[1].entries[0].value, "32") && cfg.sections[1].entries[0].line == 7);
        CHECK(!strcmp(cfg.sections[1].entries[1].value, "leaky") && cfg.sections[1].entries[1].line == 8);
    }
    drt_cfg_release(&cfg);

    /* repeated keys are kept in order (the parser uses the first, as Darknet does); many entries grow */
    char big[8192] = "[net]\nbatch=1\nbatch=64\n";
    for (int i = 0; i < 300; i++) snprintf(big + strlen(big), sizeof big - strlen(big), "k%d=%d\n", i, i);
    CHECK(lex(big, &cfg) == DRT_OK);
    CHECK(cfg.n_sections == 1 && cfg.sections[0].n_entries == 302);
    if (cfg.n_sections == 1 && cfg.sections[0].n_entries == 302) {
        CHECK(!strcmp(cfg.sections[0].entries[0].value, "1") && !strcmp(cfg.sections[0].entries[1].value, "64"));
        CHECK(!strcmp(cfg.sections[0].entries[301].key, "k299") && cfg.sections[0].entries[301].line == 303);
    }
    drt_cfg_release(&cfg);

    /* old Mac line ends are not line ends: the whole file is one bad line */
    expect_error("[net]\rwidth=1\r", "t.cfg:1 '[net]?width=1': a section header must end with ']'");
    expect_error("width=1\n[net]\n", "t.cfg:1 width: key outside any section");
    expect_error("[net]\nwidth=1\nfoo bar\n", "t.cfg:3 'foo bar': expected key=value or [section]");
    expect_error("[net]\n\n[net\n", "t.cfg:3 '[net': a section header must end with ']'");
    expect_error("[net]\n[ ]\n", "t.cfg:2 '[]': empty section name");
    expect_error("[net]\n = 5\n", "t.cfg:2 '=5': missing key");
    expect_error("", "t.cfg:1: no sections");
    expect_error("# only a comment\n\n", "t.cfg:2: no sections");
    expect_error("[net]\nx=\x01\x02\x03\xff\n\xfe\xfd\n", "t.cfg:3 '?" "?': expected key=value");

    /* reading from files: missing file, NUL bytes */
    CHECK(drt_cfg_read("/nonexistent/x.cfg", &cfg) == DRT_STATUS_IO);
    CHECK(strstr(drt_last_error(), "/nonexistent/x.cfg: cannot open") != NULL);
    char path[] = "/tmp/darkrt-lexer-XXXXXX";
    int fd = mkstemp(path);
    FILE *fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
    CHECK(fp != NULL);
    if (fp) {
        fwrite("[net]\nwidth=1\n\0x=2\n", 1, 19, fp);
        fclose(fp);
        CHECK(drt_cfg_read(path, &cfg) == DRT_STATUS_PARSE);
        CHECK(strstr(drt_last_error(), ":3: contains a NUL byte") != NULL);
        remove(path);
    }
    printf(failures ? "%d failure(s)\n" : "all passed\n", failures);
    return failures != 0;
}
