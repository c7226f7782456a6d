/* Class names files: one name a line, CR and spaces trimmed, trailing blank lines ignored,
 * errors naming file:line; one name per class of the model's heads. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darkrt.h"

static int failures;
static char dir[] = "/tmp/darkrt-names-XXXXXX";
#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static const char *put(const char *name, const char *text)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "wb");
    if (!fp) { perror(p); exit(1); }
    fputs(text, fp);
    fclose(fp);
    return p;
}

static void expect_error(drt_model *m, const char *name, const char *text, const char *want)
{
    drt_status s = drt_model_set_names_file(m, put(name, text));
    if (s == DRT_OK) { printf("FAIL %s: accepted, expected '%s'\n", name, want); failures++; }
    else if (!strstr(drt_last_error(), want)) { printf("FAIL %s: got '%s', expected '%s'\n", name, drt_last_error(), want); failures++; }
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    const char *cfg = put("three.cfg", "[net]\nwidth=32\nheight=32\nchannels=3\n"
                                       "[convolutional]\nfilters=24\nsize=1\nactivation=linear\n"
                                       "[yolo]\nclasses=3\nnum=3\nanchors=1,1,2,2,3,3\n");
    drt_model *m = NULL;
    if (drt_model_load_darknet(cfg, NULL, NULL, &m) != DRT_OK) { printf("FAIL: %s\n", drt_last_error()); return 1; }
    CHECK(drt_model_class_name(m, 0) == NULL);
    CHECK(drt_model_set_names_file(m, put("ok.names", "person\r\n  traffic light \r\n\tdog\n\n \r\n")) == DRT_OK);
    CHECK(drt_model_class_name(m, 0) && !strcmp(drt_model_class_name(m, 0), "person"));
    CHECK(drt_model_class_name(m, 1) && !strcmp(drt_model_class_name(m, 1), "traffic light"));
    CHECK(drt_model_class_name(m, 2) && !strcmp(drt_model_class_name(m, 2), "dog"));
    CHECK(drt_model_class_name(m, 3) == NULL && drt_model_class_name(m, -1) == NULL);
    /* no final newline; replacing names frees the old ones */
    CHECK(drt_model_set_names_file(m, put("ok2.names", "a\nb\nc")) == DRT_OK);
    CHECK(drt_model_class_name(m, 2) && !strcmp(drt_model_class_name(m, 2), "c"));
    expect_error(m, "gap.names", "a\n\nc\n", "gap.names:2: empty name (class 1)");
    expect_error(m, "four.names", "a\nb\nc\nd\n", "four.names: 4 names, but the [yolo] layer 1 has classes=3");
    expect_error(m, "empty.names", "\n \n", "empty.names:1: no names");
    CHECK(drt_model_set_names_file(m, "/nonexistent/x.names") == DRT_STATUS_IO);
    /* a failed read keeps the names it had */
    CHECK(drt_model_class_name(m, 0) && !strcmp(drt_model_class_name(m, 0), "a"));
    char *p = (char *)put("bin.names", "x");
    FILE *fp = fopen(p, "wb");
    if (fp) { fwrite("a\0b\nc\n", 1, 6, fp); fclose(fp); }
    CHECK(drt_model_set_names_file(m, p) == DRT_STATUS_PARSE && strstr(drt_last_error(), "NUL byte"));
    drt_model_free(m);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
    printf(failures ? "%d failure(s)\n" : "all passed\n", failures);
    return failures != 0;
}
