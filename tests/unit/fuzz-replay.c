/* Replays the fuzz seeds and crash regressions through the fuzz targets' own code in the normal build
 * (gcc + ASan under make test): no libFuzzer needed. The seed tree ({corpus,crashes}/<target>/) is made at
 * test time by tests/fuzz/seeds/make-seeds.sh (tests/prepare-data.sh puts it in $DRT_DATA/fuzz-seeds), and
 * each file's first loader outcome must match its line in tests/fuzz/seeds/expect.txt: a seed that stops
 * reaching its path (a stale plan refused at the header, a regression input no longer reaching its check)
 * fails, and so does a seed missing from the tree or from the list.
 * Usage: fuzz-replay                       the tree in $DRT_FUZZ_SEEDS (default $DRT_DATA/fuzz-seeds)
 *        fuzz-replay --outcomes ROOT       every file of ROOT/{corpus,crashes}/<target>/ and its outcome, unchecked
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
#include <regex.h>
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
    fuzz_outcome[0] = 0;
    drt_error_clear();
    t->run(buf, n);
    free(buf);
    if (!fuzz_outcome[0]) snprintf(fuzz_outcome, sizeof fuzz_outcome, "not loaded"); /* the target skipped it */
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

/* tests/fuzz/seeds/expect.txt: "corpus|crashes/<target>/<file>: <extended regex of its outcome>". */
typedef struct expectation {
    char file[256];
    regex_t re;
    int seen;
} expectation;

static expectation expects[512];
static int n_expects;

static int read_expectations(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        printf("fuzz-replay: cannot read %s\n", path);
        return -1;
    }
    char line[1024];
    int lineno = 0, bad = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        line[strcspn(line, "\n")] = 0;
        char *colon = strstr(line, ": ");
        if (!line[0] || line[0] == '#') continue;
        if (!colon || colon - line >= (long)sizeof expects[0].file || n_expects == 512) {
            printf("%s:%d: expected \"corpus|crashes/<target>/<file>: <regex>\"\n", path, lineno);
            bad = 1;
            continue;
        }
        expectation *e = &expects[n_expects];
        snprintf(e->file, sizeof e->file, "%.*s", (int)(colon - line), line);
        if (regcomp(&e->re, colon + 2, REG_EXTENDED | REG_NOSUB)) {
            printf("%s:%d: bad regex %s\n", path, lineno, colon + 2);
            bad = 1;
            continue;
        }
        n_expects++;
    }
    fclose(fp);
    return bad ? -1 : 0;
}

static int replay_dir_checked(const fuzz_target *t, const char *root, const char *kind, int check, int *count)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s/%s", root, kind, t->name);
    DIR *d = opendir(dir);
    if (!d) return 0; /* a target without regressions */
    struct dirent *de;
    int bad = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[4096], rel[512];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        snprintf(rel, sizeof rel, "%s/%s/%s", kind, t->name, de->d_name);
        if (replay_file(t, path) < 0) return -1;
        (*count)++;
        if (!check || getenv("FUZZ_REPLAY_VERBOSE")) printf("%s: %s\n", rel, fuzz_outcome);
        if (!check) continue;
        expectation *e = NULL;
        for (int i = 0; i < n_expects && !e; i++)
            if (!strcmp(expects[i].file, rel)) e = &expects[i];
        if (!e) {
            printf("%s: not in tests/fuzz/seeds/expect.txt (outcome: %s)\n", rel, fuzz_outcome);
            bad++;
        } else {
            e->seen = 1;
            if (regexec(&e->re, fuzz_outcome, 0, NULL, 0)) {
                printf("%s: outcome \"%s\" does not match expect.txt: it no longer reaches the path it was kept for\n",
                       rel, fuzz_outcome);
                bad++;
            }
        }
    }
    closedir(d);
    return bad;
}

static int replay_all(const char *root, int check)
{
    char plans[4096];
    snprintf(plans, sizeof plans, "%s/corpus/plan", root);
    if (check && check_plan_checksums(plans)) return 1;
    int total = 0, live = 0, bad = 0;
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        const fuzz_target *t = &targets[i];
        int pending = target_pending(t);
        long accepted_before = fuzz_accepted;
        int a = 0, b = 0;
        int ba = replay_dir_checked(t, root, "corpus", check, &a), bb = replay_dir_checked(t, root, "crashes", check, &b);
        if (ba < 0 || bb < 0) return 1;
        bad += ba + bb;
        printf("%-11s %4d corpus files, %3d crash regressions replayed, %4ld accepted%s\n", t->name, a, b,
               fuzz_accepted - accepted_before, pending ? " (loader pending: placeholder only)" : "");
        total += a + b;
        live += !pending;
    }
    for (int i = 0; check && i < n_expects; i++)
        if (!expects[i].seen) {
            printf("%s: listed in expect.txt but not in the seed tree %s (make-seeds.sh did not make it)\n",
                   expects[i].file, root);
            bad++;
        }
    if (!live) {
        printf("every loader is still a placeholder: nothing was really replayed\n");
        return 77;
    }
    if (bad) {
        printf("%d seed(s) broke their expectation\n", bad);
        return 1;
    }
    printf("%d files replayed, no crash, leak or broken contract%s\n", total,
           check ? ", every outcome as tests/fuzz/seeds/expect.txt says" : "");
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 3 && !strcmp(argv[1], "--outcomes")) return replay_all(argv[2], 0);
    if (argc == 1) {
        const char *src = getenv("DRT_ROOT"), *seeds = getenv("DRT_FUZZ_SEEDS"), *data = getenv("DRT_DATA");
        char expect[4096], tree[4096];
        snprintf(expect, sizeof expect, "%s/tests/fuzz/seeds/expect.txt", src && *src ? src : ".");
        if (seeds && *seeds) snprintf(tree, sizeof tree, "%s", seeds);
        else snprintf(tree, sizeof tree, "%s/fuzz-seeds", data && *data ? data : "build-asan/testdata");
        struct stat st;
        if (stat(tree, &st) != 0) {
            printf("fuzz-replay: no seed tree at %s: make it with tests/fuzz/seeds/make-seeds.sh DARKRT %s\n", tree, tree);
            return 1;
        }
        if (read_expectations(expect) < 0) return 1;
        return replay_all(tree, 1);
    }
    const fuzz_target *t = find_target(argv[1]);
    if (!t || argc < 3) {
        fprintf(stderr, "usage: fuzz-replay [--outcomes ROOT | TARGET PATH...]   (targets: cfg weights onnx plan image json coco plan-header)\n");
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
