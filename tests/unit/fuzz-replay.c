/* Replays the fuzz corpora and crash regressions (tests/fuzz/{corpus,crashes}/<target>/) through the
 * fuzz targets' own code in the normal build (gcc + ASan under make test): no libFuzzer needed.
 * Usage: fuzz-replay                       every target, every file under tests/fuzz (DRT_ROOT or .)
 *        fuzz-replay TARGET PATH...        files or directories through one target (cfg, weights, ...) */
#define FUZZ_NO_MAIN
#include "fuzz/fuzz-cfg.c"
#include "fuzz/fuzz-weights.c"
#include "fuzz/fuzz-onnx.c"
#include "fuzz/fuzz-plan.c"
#include "fuzz/fuzz-image.c"
#include "fuzz/fuzz-json.c"
#include "fuzz/fuzz-coco.c"
#include "fuzz/fuzz-plan-header.c"

#include "core/error.h"

#include <dirent.h>
#include <sys/stat.h>

typedef struct fuzz_target {
    const char *name;
    int (*run)(const uint8_t *data, size_t size);
} fuzz_target;

static const fuzz_target targets[] = {
    {"cfg", fuzz_cfg}, {"weights", fuzz_weights}, {"onnx", fuzz_onnx}, {"plan", fuzz_plan}, {"image", fuzz_image},
    {"json", fuzz_json}, {"coco", fuzz_coco}, {"plan-header", fuzz_plan_header},
};

#define REPLAY_MAX_BYTES (64u << 20)

static int replay_file(const fuzz_target *t, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "fuzz-replay: cannot open %s\n", path);
        return -1;
    }
    uint8_t *buf = malloc(REPLAY_MAX_BYTES);
    size_t n = buf ? fread(buf, 1, REPLAY_MAX_BYTES, fp) : 0;
    fclose(fp);
    if (!buf) return -1;
    fuzz_current_input = path;
    drt_error_clear();
    t->run(buf, n);
    free(buf);
    return 1;
}

/* Returns the number of files replayed, -1 on an unreadable path. */
static int replay_path(const fuzz_target *t, const char *path, int must_exist)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (must_exist) fprintf(stderr, "fuzz-replay: no such file or directory: %s\n", path);
        return must_exist ? -1 : 0;
    }
    if (!S_ISDIR(st.st_mode)) return replay_file(t, path);
    DIR *dir = opendir(path);
    if (!dir) return -1;
    int count = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (de->d_name[0] == '.' || !strcmp(de->d_name, "README.md")) continue;
        char child[4096];
        snprintf(child, sizeof child, "%s/%s", path, de->d_name);
        int k = replay_path(t, child, 1);
        if (k < 0) {
            count = -1;
            break;
        }
        count += k;
    }
    closedir(dir);
    return count;
}

static const fuzz_target *find_target(const char *name)
{
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        if (!strcmp(targets[i].name, name)) return &targets[i];
    return NULL;
}

/* Whether the library still has the placeholder for this target's loader. */
static int target_pending(const fuzz_target *t)
{
    drt_error_clear();
    t->run((const uint8_t *)"", 0);
    return strstr(drt_last_error(), "pending") != NULL;
}

/* fuzz-plan.c rewrites the checksum of mutated plans: its idea of the layout must match plan.c's, which
 * the seeds (written by darkrt) show. Returns the number of seeds that disagree. */
static int check_plan_checksums(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int bad = 0;
    while (d && (de = readdir(d))) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *fp = fopen(path, "rb");
        if (!fp) continue;
        static uint8_t buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, fp);
        fclose(fp);
        if (n < FUZZ_PLAN_HEADER || n == sizeof buf || memcmp(buf, "DRTPLAN", 7)) continue;
        uint64_t stored;
        memcpy(&stored, buf + FUZZ_PLAN_CHECKSUM_AT, 8);
        if (stored != fuzz_plan_checksum(buf, n)) {
            printf("%s: its checksum differs from fuzz-plan.c's: update FUZZ_PLAN_CHECKSUM_AT to src/engine/plan.c "
                   "(or remake the seed)\n", path);
            bad++;
        }
    }
    if (d) closedir(d);
    return bad;
}

static int replay_all(const char *root)
{
    char plans[4096];
    snprintf(plans, sizeof plans, "%s/tests/fuzz/corpus/plan", root);
    if (check_plan_checksums(plans)) return 1;
    int total = 0, live = 0;
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        const fuzz_target *t = &targets[i];
        char corpus[4096], crashes[4096];
        snprintf(corpus, sizeof corpus, "%s/tests/fuzz/corpus/%s", root, t->name);
        snprintf(crashes, sizeof crashes, "%s/tests/fuzz/crashes/%s", root, t->name);
        int pending = target_pending(t);
        long accepted_before = fuzz_accepted;
        int a = replay_path(t, corpus, 1), b = replay_path(t, crashes, 0);
        if (a < 0 || b < 0) return 1;
        printf("%-8s %4d corpus files, %3d crash regressions replayed, %4ld accepted%s\n", t->name, a, b,
               fuzz_accepted - accepted_before, pending ? " (loader pending: placeholder only)" : "");
        total += a + b;
        live += !pending;
    }
    if (!live) {
        printf("every loader is still a placeholder: nothing was really replayed\n");
        return 77;
    }
    printf("%d files replayed, no crash, leak or broken contract\n", total);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 1) {
        const char *root = getenv("DRT_ROOT");
        return replay_all(root && *root ? root : ".");
    }
    const fuzz_target *t = find_target(argv[1]);
    if (!t || argc < 3) {
        fprintf(stderr, "usage: fuzz-replay [cfg|weights|onnx|plan|image PATH...]\n");
        return 2;
    }
    int total = 0;
    for (int i = 2; i < argc; i++) {
        int k = replay_path(t, argv[i], 1);
        if (k < 0) return 1;
        total += k;
    }
    printf("%s: %d files replayed, no crash, leak or broken contract\n", t->name, total);
    return 0;
}
