/* The compare report's JSON: an engine entry survives a write and a read (names, escapes, numbers,
 * NaN as null, detections), and the reader refuses broken text with file:line. */
#include "darkrt.h"
#include "eval-check.h"
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

static drt_json *parse(const char *text, drt_status *s)
{
    drt_json *v = NULL;
    *s = drt_json_parse_all(text, strlen(text), "t.json", &v);
    return v;
}

int main(void)
{
    drt_report_engine e;
    drt_report_engine_init(&e);
    e.name = strdup("peer \"q\"\\ \xc3\xa9\n");
    e.kind = strdup("peer");
    e.available = 1;
    e.runs = 7;
    e.inf = (drt_report_stat){12.5, 13.25};
    e.peak_rss_bytes = 123456789;
    e.head_max_abs_diff = 0.5;
    e.head_max_abs_ref = 4;
    e.head_images = 1;
    drt_detection d[2] = {{16, 0.61f, 1.5f, 2, 300.25f, 400}, {1, 0.5f, 0, 0, 10, 10}};
    drt_report_image im = {strdup("dir/dog.jpg"), 768, 576, {2, d}};
    e.images = &im;
    e.n_images = 1;

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    drt_report_engine_write_json(&e, NULL, f, 2);
    fclose(f);
    drt_status s;
    drt_json *all = parse(buf, &s);
    CHECK(s == DRT_OK && all && all->count == 1);
    drt_report_engine back;
    CHECK(drt_report_engine_from_json(&all->items[0], "t.json", &back) == DRT_OK);
    CHECK(!strcmp(back.name, e.name));
    CHECK(back.available && !back.failed && back.runs == 7);
    CHECK_NEAR(back.inf.median, 12.5, 0);
    CHECK_NEAR(back.inf.p90, 13.25, 0);
    CHECK(isnan(back.pre.median)); /* NaN went out as null */
    CHECK_NEAR(back.peak_rss_bytes, 123456789, 0);
    CHECK(isnan(back.device_memory_bytes));
    CHECK_NEAR(back.head_max_abs_diff, 0.5, 0);
    CHECK(back.n_images == 1 && back.images[0].dets.count == 2 && !strcmp(back.images[0].path, "dir/dog.jpg"));
    CHECK(back.images[0].width == 768 && back.images[0].height == 576);
    drt_detection *b = back.images[0].dets.items;
    CHECK(b[0].class_id == 16 && b[1].class_id == 1);
    CHECK_NEAR(b[0].score, 0.61f, 1e-6);
    CHECK_NEAR(b[0].x2, 300.25, 1e-4);
    drt_report_engine_clear(&back);
    drt_json_free(all);
    free(buf);
    im.dets.items = NULL;
    e.images = NULL;
    e.n_images = 0;
    free(im.path);
    drt_report_engine_clear(&e);

    /* \u escapes (with a surrogate pair) decode to UTF-8; several values parse as JSON Lines. */
    all = parse("{\"a\": \"\\u00e9\\ud83d\\ude00\\/\"} [1, -2.5e3, true, null]", &s);
    CHECK(s == DRT_OK && all->count == 2);
    CHECK(!strcmp(drt_json_get_string(&all->items[0], "a"), "\xc3\xa9\xf0\x9f\x98\x80/"));
    CHECK(all->items[1].count == 4 && all->items[1].items[1].number == -2500);
    drt_json_free(all);

    /* Broken text: refused with the line. */
    const char *bad[] = {"{\"a\": 1,\n\"b\": }", "[1, 2", "{\"a\" 1}", "\"abc", "{\"a\": tru}", "", "[1]]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        all = parse(bad[i], &s);
        CHECK(s == DRT_STATUS_FORMAT && all == NULL);
        CHECK(strstr(drt_last_error(), "t.json:") != NULL);
    }
    CHECK(strstr((parse("{\"a\": 1,\n\"b\": }", &s), drt_last_error()), "t.json:2:") != NULL);
    /* Deep nesting is refused, not a stack overflow. */
    char deep[400];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    all = parse(deep, &s);
    CHECK(s == DRT_STATUS_FORMAT && strstr(drt_last_error(), "nested too deeply"));
    return DONE();
}
