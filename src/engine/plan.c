/* Plans: an engine serialized to one file. Layout (little endian, fixed-width fields):
 *   header (plan_header): magic, format version, darkrt version, device, precision, batch,
 *   section offsets and sizes, and a 64-bit checksum (xxh64) of the whole file with the
 *   checksum field read as zero;
 *   the model section: n_layers, width, height, channels, batch, bn, resize, has_weights, n_names (uint32),
 *   n_params (uint64), the source (string: uint32 length or 0xffffffff for none, then its bytes), one record
 *   per layer (uint32 byte length, then LAYER_FIELDS one by one), the parameters (float32), the names (strings);
 *   the backend's own section (backend->serialize), 64-byte aligned.
 * Loading maps the file (mmap), checks everything before use, and asks the backend to refuse
 * a plan made for another machine; a bad plan gives one error, never a crash. An engine's load reads
 * the parameters into their buffer with pread and hashes them there, the rest from the mapping, and
 * checks the checksum before the model is used (hashed_read). */
#include "engine/engine.h"
#include "backend/registry.h"
#include "core/error.h"
#include "core/opts.h"
#include "core/fileio.h"
#include "core/timeline.h"
#include "engine/plan.h"
#include "engine/plan-layer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PLAN_MAGIC "DRTPLAN1"
#define PLAN_FORMAT 5u /* 1: layers as raw drt_layer structs (refused: rebuild); 2: layer records field by field;
                          3: + connected, detection, det_sqrt, det_softmax (YOLOv1); 4: + xnor; 5: + state_from ([crnn]) */

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "plans are little endian: the header, backend sections and parameters are copied as the host stores them"
#endif

typedef struct plan_header {
    char magic[8];
    uint32_t format, header_size;
    char version[16];
    uint32_t device, device_index, precision, max_batch, threads, passes_off;
    uint32_t reserved[2]; /* format 1: drt_layer's size; 0 */
    uint64_t model_off, model_size, backend_off, backend_size, file_size;
    uint64_t checksum;
} plan_header;
_Static_assert(sizeof(plan_header) == 112, "plan_header: fixed-width fields, no padding (the file's first 112 bytes)");

/* xxh64 (Yann Collet's XXH64), with an optional zeroed window (the checksum field). */
static const uint64_t P1 = 11400714785074694791ull, P2 = 14029467366897019727ull, P3 = 1609587929392839161ull,
                      P4 = 9650029242287828579ull, P5 = 2870177450012600261ull;
static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t round1(uint64_t acc, uint64_t in) { return rotl(acc + in * P2, 31) * P1; }
static inline uint64_t merge(uint64_t acc, uint64_t v) { return (acc ^ round1(0, v)) * P1 + P4; }
static inline uint64_t rd64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint32_t rd32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* xxh64 fed in pieces (the plan's parameters are hashed as they are read, from the buffer they land in):
 * the same value as one call over the concatenated bytes. */
typedef struct xxh_state { uint64_t v[4], total, seed; unsigned char mem[32]; size_t mem_n; } xxh_state;

static void xxh_init(xxh_state *s, uint64_t seed)
{
    *s = (xxh_state){.v = {seed + P1 + P2, seed + P2, seed, seed - P1}, .seed = seed};
}

static void xxh_stripe(xxh_state *s, const unsigned char *p)
{
    s->v[0] = round1(s->v[0], rd64(p)); s->v[1] = round1(s->v[1], rd64(p + 8));
    s->v[2] = round1(s->v[2], rd64(p + 16)); s->v[3] = round1(s->v[3], rd64(p + 24));
}

static void xxh_update(xxh_state *s, const unsigned char *p, size_t n)
{
    s->total += n;
    if (s->mem_n + n < 32) {
        if (n) memcpy(s->mem + s->mem_n, p, n);
        s->mem_n += n;
        return;
    }
    if (s->mem_n) {
        size_t k = 32 - s->mem_n;
        memcpy(s->mem + s->mem_n, p, k);
        xxh_stripe(s, s->mem);
        p += k, n -= k;
        s->mem_n = 0;
    }
    uint64_t v0 = s->v[0], v1 = s->v[1], v2 = s->v[2], v3 = s->v[3]; /* in registers */
    for (; n >= 32; p += 32, n -= 32) {
        v0 = round1(v0, rd64(p)); v1 = round1(v1, rd64(p + 8));
        v2 = round1(v2, rd64(p + 16)); v3 = round1(v3, rd64(p + 24));
    }
    s->v[0] = v0, s->v[1] = v1, s->v[2] = v2, s->v[3] = v3;
    if (n) memcpy(s->mem, p, n);
    s->mem_n = n;
}

static uint64_t xxh_digest(const xxh_state *s)
{
    const uint64_t *v = s->v;
    uint64_t h;
    if (s->total >= 32) {
        h = rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18);
        h = merge(merge(merge(merge(h, v[0]), v[1]), v[2]), v[3]);
    } else h = s->seed + P5;
    h += s->total;
    const unsigned char *p = s->mem, *end = s->mem + s->mem_n;
    for (; p + 8 <= end; p += 8) h = rotl(h ^ round1(0, rd64(p)), 27) * P1 + P4;
    if (p + 4 <= end) { h = rotl(h ^ (rd32(p) * P1), 23) * P2 + P3; p += 4; }
    for (; p < end; p++) h = rotl(h ^ (*p * P5), 11) * P1;
    h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32;
    return h;
}

static uint64_t xxh64(const unsigned char *p, size_t n, uint64_t seed)
{
    xxh_state s;
    xxh_init(&s, seed);
    xxh_update(&s, p, n);
    return xxh_digest(&s);
}

/* Drops already-read pages of the mapping so a large plan never stays resident twice. */
static void release(const unsigned char *base, const unsigned char *from, const unsigned char *to)
{
    uintptr_t a = ((uintptr_t)from + 4095) & ~(uintptr_t)4095, b = (uintptr_t)to & ~(uintptr_t)4095;
    if (b > a && a >= (uintptr_t)base) madvise((void *)a, b - a, MADV_DONTNEED);
}

#define CHUNK ((size_t)16 << 20)

/* The checksum: xxh64 of the header up to its checksum field (seed 0), then of what follows the field,
 * chained per 16 MiB chunk (each chunk's seed: the hash so far). plan_hash takes those bytes in pieces. */
typedef struct plan_hash { xxh_state s; uint64_t h; size_t left; } plan_hash;

static void hash_start(plan_hash *ph, const unsigned char *file)
{
    ph->h = xxh64(file, offsetof(plan_header, checksum), 0);
    xxh_init(&ph->s, ph->h);
    ph->left = CHUNK;
}

static void hash_feed(plan_hash *ph, const unsigned char *p, size_t n)
{
    while (n) {
        size_t k = n < ph->left ? n : ph->left;
        xxh_update(&ph->s, p, k);
        p += k, n -= k, ph->left -= k;
        if (!ph->left) {
            ph->h = xxh_digest(&ph->s);
            xxh_init(&ph->s, ph->h);
            ph->left = CHUNK;
        }
    }
}

static uint64_t hash_end(const plan_hash *ph) { return ph->left < CHUNK ? xxh_digest(&ph->s) : ph->h; }

#define HASH_FROM (offsetof(plan_header, checksum) + 8)

static uint64_t plan_checksum(const unsigned char *file, size_t size, int mapped)
{
    plan_hash ph;
    hash_start(&ph, file);
    for (size_t off = HASH_FROM; off < size; off += CHUNK) { /* releasing each chunk after hashing */
        size_t n = size - off < CHUNK ? size - off : CHUNK;
        hash_feed(&ph, file + off, n);
        if (mapped) release(file, file + off, file + off + n);
    }
    return hash_end(&ph);
}

uint64_t drt_plan_checksum(const void *file, size_t size) { return plan_checksum(file, size, 0); }
size_t drt_plan_checksum_offset(void) { return offsetof(plan_header, checksum); }

typedef struct wbuf { unsigned char *p; size_t n, cap; int oom; } wbuf;

static void put(wbuf *w, const void *d, size_t n)
{
    if (w->oom) return;
    if (w->n + n > w->cap) {
        size_t cap = (w->cap ? w->cap * 2 : 4096);
        while (cap < w->n + n) cap *= 2;
        unsigned char *p = realloc(w->p, cap);
        if (!p) { w->oom = 1; return; }
        w->p = p;
        w->cap = cap;
    }
    if (n) memcpy(w->p + w->n, d, n);
    w->n += n;
}
static void put_u32(wbuf *w, uint32_t v) { put(w, &v, 4); }
static void put_str(wbuf *w, const char *s)
{
    uint32_t n = s ? (uint32_t)strlen(s) : 0xffffffffu;
    put_u32(w, n);
    if (s) put(w, s, n);
}

static void write_model(wbuf *w, const drt_model *m)
{
    uint32_t f[] = {(uint32_t)m->n_layers, (uint32_t)m->width, (uint32_t)m->height, (uint32_t)m->channels,
                    (uint32_t)m->batch, (uint32_t)m->bn, (uint32_t)m->resize, (uint32_t)m->has_weights, (uint32_t)m->n_names};
    put(w, f, sizeof f);
    uint64_t np = m->n_params;
    put(w, &np, 8);
    put_str(w, m->source);
    for (int i = 0; i < m->n_layers; i++) {
        unsigned char rec[4096]; /* the largest record is about 600 bytes (plan-layer.c) */
        size_t n = drt_plan_layer_size(&m->layers[i]);
        DRT_ASSERT(n <= sizeof rec);
        drt_plan_layer_write(&m->layers[i], rec);
        put(w, rec, n);
    }
    put(w, m->params, sizeof(float) * m->n_params);
    for (int i = 0; i < m->n_names; i++) put_str(w, m->names[i]);
}

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

drt_status drt_engine_save_plan(const drt_engine *e, const char *path)
{
    DRT_ARG(e, "engine");
    DRT_ARG(path, "plan_path");
    void *blob = NULL;
    size_t blob_size = 0;
    if (e->backend->serialize) DRT_TRY(e->backend->serialize(e, &blob, &blob_size));
    wbuf w = {0};
    plan_header h = {.format = PLAN_FORMAT, .header_size = sizeof h, .device = (uint32_t)e->opts.device,
                     .device_index = (uint32_t)e->opts.device_index, .precision = (uint32_t)e->opts.precision,
                     .max_batch = (uint32_t)e->opts.max_batch, .threads = (uint32_t)e->opts.threads,
                     .passes_off = e->opts.passes_off};
    memcpy(h.magic, PLAN_MAGIC, 8);
    snprintf(h.version, sizeof h.version, "%s", drt_version());
    put(&w, &h, sizeof h);
    h.model_off = w.n;
    write_model(&w, e->model);
    h.model_size = w.n - h.model_off;
    static const unsigned char zeros[64];
    put(&w, zeros, align64(w.n) - w.n);
    h.backend_off = w.n;
    h.backend_size = blob_size;
    put(&w, blob, blob_size);
    free(blob);
    h.file_size = w.n;
    if (w.oom) {
        free(w.p);
        return drt_error(DRT_STATUS_OOM, "%s: out of memory while writing the plan", path);
    }
    memcpy(w.p, &h, sizeof h);
    h.checksum = plan_checksum(w.p, w.n, 0);
    memcpy(w.p, &h, sizeof h);
    drt_status s = drt_write_file_atomic(path, w.p, w.n);
    free(w.p);
    return s;
}

/* An engine's load: the parameters read (pread) straight into the model's buffer and hashed there block
 * by block while in the cache, the rest of the checksum from the mapping; not the whole mapping hashed
 * first and copied after (page faults on both sides: 330 ms for 238 MiB). */
typedef struct hashed_read {
    int fd;
    const unsigned char *file; /* the mapping */
    size_t hashed;             /* the file's bytes hashed so far */
    plan_hash ph;
    int err;                   /* errno of a failed read, or EIO at an early end */
} hashed_read;

#define READ_BLOCK ((size_t)512 << 10) /* read, then hashed while in the cache */

static void hash_upto(hashed_read *hr, size_t off)
{
    if (off <= hr->hashed) return;
    hash_feed(&hr->ph, hr->file + hr->hashed, off - hr->hashed);
    hr->hashed = off;
}

/* n bytes of the file at `at` into d, hashed after what precedes them. (Transparent huge pages for d,
 * MADV_HUGEPAGE, cost 2-10x more here, on a VM: the kernel zeroes and compacts them.) */
static int read_hashed(hashed_read *hr, size_t at, unsigned char *d, size_t n)
{
    hash_upto(hr, at);
    for (size_t k = 0; k < n;) {
        size_t want = n - k < READ_BLOCK ? n - k : READ_BLOCK;
        ssize_t got = pread(hr->fd, d + k, want, (off_t)(at + k));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            hr->err = got < 0 ? errno : EIO;
            return 0;
        }
        hash_feed(&hr->ph, d + k, (size_t)got);
        k += (size_t)got;
    }
    hr->hashed = at + n;
    return 1;
}

/* hr, base: an engine's load (the section starts at byte base of the file); NULL: from the mapping */
typedef struct rbuf { const unsigned char *p; size_t n, off; int bad, oom; hashed_read *hr; size_t base; } rbuf; /* oom: a string allocation failed */

static void get_big(rbuf *r, void *d, size_t n)
{
    if (r->bad || n > r->n - r->off) { r->bad = 1; return; }
    if (r->hr) {
        r->bad = !read_hashed(r->hr, r->base + r->off, d, n);
        r->off += n;
        return;
    }
    for (size_t k = 0; k < n; k += CHUNK) {
        size_t c = n - k < CHUNK ? n - k : CHUNK;
        memcpy((char *)d + k, r->p + r->off + k, c);
        release(r->p, r->p + r->off + k, r->p + r->off + k + c);
    }
    r->off += n;
}

static void get(rbuf *r, void *d, size_t n)
{
    if (r->bad || n > r->n - r->off) { r->bad = 1; memset(d, 0, n); return; }
    memcpy(d, r->p + r->off, n);
    r->off += n;
}

static char *get_str(rbuf *r)
{
    uint32_t n;
    get(r, &n, 4);
    if (r->bad || n == 0xffffffffu) return NULL;
    if (n > r->n - r->off) { r->bad = 1; return NULL; }
    char *s = malloc((size_t)n + 1);
    if (!s) { r->bad = r->oom = 1; return NULL; }
    memcpy(s, r->p + r->off, n);
    s[n] = '\0';
    r->off += n;
    return s;
}

/* A model-section error: malformed, or out of memory when a string could not be copied. */
#define BAD(...)                                                                                                  \
    do {                                                                                                          \
        s = r.oom ? drt_error(DRT_STATUS_OOM, "%s: model section: out of memory", path)                           \
                  : drt_error(DRT_STATUS_FORMAT, __VA_ARGS__);                                                    \
        goto done;                                                                                                \
    } while (0)

/* with_params 0: the layers and names only (m->params stays NULL; the bytes are skipped). hr: an engine's
 * load, base: the section's offset in the file (read_hashed). */
static drt_status read_model(const char *path, const unsigned char *p, size_t n, int with_params, hashed_read *hr,
                             size_t base, drt_model **out)
{
    rbuf r = {p, n, 0, 0, 0, hr, base};
    uint32_t f[9];
    uint64_t np;
    drt_model *m = NULL;
    drt_status s = DRT_OK;
    get(&r, f, sizeof f);
    get(&r, &np, 8);
    if (r.bad || f[0] > DRT_MAX_LAYERS || f[5] >= DRT_BN_COUNT || f[6] >= DRT_RESIZE_COUNT || f[8] > 100000)
        BAD("%s: model section: header out of range", path);
    if ((size_t)f[0] > (r.n - r.off) / drt_plan_layer_min_size())
        BAD("%s: model section: %u layers announced, only %zu bytes left", path, f[0], r.n - r.off);
    if ((s = drt_model_alloc((int)f[0], &m)) != DRT_OK) goto done;
    m->width = (int)f[1]; m->height = (int)f[2]; m->channels = (int)f[3]; m->batch = (int)f[4];
    m->bn = (drt_bn_formula)f[5]; m->resize = (drt_resize)f[6]; m->has_weights = (int)f[7];
    m->source = get_str(&r);
    for (int i = 0; i < m->n_layers && !r.bad; i++) {
        drt_layer *l = &m->layers[i];
        size_t used;
        if ((s = drt_plan_layer_read(path, i, r.p + r.off, r.n - r.off, l, &used)) != DRT_OK) goto done;
        r.off += used;
        if (l->nms_kind == DRT_NMS_DIOU && !(l->beta_nms > 0 && l->beta_nms <= 100))
            BAD("%s: model section: layer %d: NMS kind %d, beta_nms %g out of range", path, i, (int)l->nms_kind, l->beta_nms);
    }
    if (r.bad) BAD("%s: model section: truncated in the layers", path);
    if ((s = drt_model_infer_shapes(m)) != DRT_OK) {
        drt_error_prefix("%s: model section", path);
        goto done;
    }
    /* Check the parameter count against the layers and the bytes present before allocating. */
    size_t need = 0;
    for (int i = 0; i < m->n_layers; i++) need += drt_layer_param_count(m, &m->layers[i]);
    if (need != np) BAD("%s: model section: %llu parameters stored, the layers need %zu", path, (unsigned long long)np, need);
    if (np > (r.n - r.off) / sizeof(float))
        BAD("%s: model section: %llu parameters announced, only %zu bytes left", path, (unsigned long long)np, r.n - r.off);
    if (!with_params) {
        r.off += sizeof(float) * np;
        m->n_params = (size_t)np;
    } else {
        if ((s = drt_model_alloc_params(m)) != DRT_OK) {
            drt_error_prefix("%s: model section", path);
            goto done;
        }
        get_big(&r, m->params, sizeof(float) * m->n_params);
        if (r.bad) BAD("%s: model section: truncated in the parameters", path);
        if ((s = drt_model_check_params(m, path)) != DRT_OK) goto done;
    }
    if (f[8] && (s = drt_model_check_names(m, path, (int)f[8])) != DRT_OK) goto done;
    if (f[8]) {
        if (!(m->names = calloc(f[8], sizeof *m->names))) { s = drt_error(DRT_STATUS_OOM, "%s: out of memory", path); goto done; }
        for (uint32_t i = 0; i < f[8] && !r.bad; i++) {
            m->names[i] = get_str(&r);
            m->n_names = (int)i + 1;
            if (!m->names[i]) r.bad = 1;
        }
    }
    if (r.bad || r.off != n) BAD("%s: model section: %zu bytes do not hold the model they describe", path, n);
done:
    if (s != DRT_OK) { drt_model_free(m); m = NULL; }
    *out = m;
    return s;
}

static drt_status check_header(const char *path, const plan_header *h, size_t size)
{
    if (memcmp(h->magic, PLAN_MAGIC, 8)) return drt_error(DRT_STATUS_FORMAT, "%s: not a darkrt plan (bad magic)", path);
    if (h->format != PLAN_FORMAT)
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: plan format %u: this darkrt reads format %u: rebuild the plan", path, h->format, PLAN_FORMAT);
    if (strncmp(h->version, drt_version(), sizeof h->version)) {
        char v[sizeof h->version + 1] = {0}; /* the file's bytes: printable ones only, the message stays one line */
        for (size_t i = 0; i < sizeof h->version && h->version[i]; i++) v[i] = h->version[i] >= ' ' && h->version[i] < 127 ? h->version[i] : '?';
        return drt_error(DRT_STATUS_UNSUPPORTED, "%s: built by darkrt %s, this is darkrt %s: rebuild the plan", path, v, drt_version());
    }
    if (h->header_size != sizeof *h)
        return drt_error(DRT_STATUS_FORMAT, "%s: header size %u differs from this darkrt's: rebuild the plan", path, h->header_size);
    if (h->file_size != size)
        return drt_error(DRT_STATUS_FORMAT, "%s: %zu bytes but the header says %llu: truncated or padded", path, size, (unsigned long long)h->file_size);
    if (h->model_off < sizeof *h || h->model_off > size || h->model_size > size - h->model_off || h->backend_off > size ||
        h->backend_size > size - h->backend_off || h->backend_off < h->model_off + h->model_size)
        return drt_error(DRT_STATUS_FORMAT, "%s: section offsets out of range", path);
    if (!drt_backend_entry_of((drt_device)h->device) || h->precision >= DRT_PREC_COUNT || h->max_batch < 1 || h->max_batch > 4096)
        return drt_error(DRT_STATUS_FORMAT, "%s: device %u, precision %u or batch %u out of range", path, h->device, h->precision, h->max_batch);
    /* every field is input: the checksum is no signature (anyone can write a plan) */
    if (h->threads > DRT_MAX_THREADS || h->device_index > 1023 || (h->passes_off & ~DRT_PASS_ALL))
        return drt_error(DRT_STATUS_FORMAT, "%s: threads %u, device index %u or passes-off bits 0x%x out of range (0..%d, 0..1023, 0x%x)",
                         path, h->threads, h->device_index, h->passes_off, DRT_MAX_THREADS, DRT_PASS_ALL);
    return DRT_OK;
}

/* The device's slow one-time setup started in the background (drt_backend.warm_up) as soon as the
 * header names it, to overlap the checksum and the model's reading; the checksum still decides
 * whether the plan is read (errors here are dropped: the load reports its own). */
static void warm_device(const plan_header *h, const drt_engine_opts *opts)
{
    const drt_backend *b;
    if (drt_backend_get((drt_device)h->device, &b) != DRT_OK) {
        drt_error_clear();
        return;
    }
    if (b->warm_up) b->warm_up(opts ? opts->device_index : (int)h->device_index);
}

enum map_mode { MAP_READ, MAP_ENGINE, MAP_UNCHECKED };

/* Maps a plan and checks its header and, for MAP_READ, its checksum; the mapping comes back in map_out,
 * size_out (munmap it). MAP_ENGINE, opts: for an engine (drt_engine_load_plan's; NULL: its defaults):
 * its device is warmed up first, the file stays open (*fd_out) and the caller checks the checksum
 * while it reads (hashed_read). */
static drt_status map_plan(const char *path, unsigned char **map_out, size_t *size_out, plan_header *h,
                           enum map_mode mode, const drt_engine_opts *opts, int *fd_out)
{
    *map_out = NULL;
    int fd;
    size_t size;
    DRT_TRY(drt_open_input(path, &fd, &size));
    if (size < sizeof(plan_header)) {
        close(fd);
        return drt_error(DRT_STATUS_FORMAT, "%s: %zu bytes: too short for a darkrt plan (truncated?)", path, size);
    }
    unsigned char *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        drt_status e = drt_error_errno(DRT_STATUS_IO, "%s: cannot map the plan", path);
        close(fd);
        return e;
    }
    memcpy(h, p, sizeof *h);
    drt_status s = check_header(path, h, size);
    if (s == DRT_OK && mode == MAP_ENGINE) warm_device(h, opts);
    if (s == DRT_OK && mode == MAP_READ && plan_checksum(p, size, 1) != h->checksum)
        s = drt_error(DRT_STATUS_FORMAT, "%s: checksum mismatch: the plan is corrupt", path);
    if (s != DRT_OK || !fd_out) close(fd);
    if (s != DRT_OK) {
        munmap(p, size);
        return s;
    }
    if (fd_out) *fd_out = fd;
    *map_out = p;
    *size_out = size;
    return DRT_OK;
}

/* An engine's model: read with its checksum checked on the way (hashed_read). A model section that does
 * not parse in a plan whose checksum is wrong is reported as corrupt, as a checked mapping would. */
static drt_status read_engine_model(const char *path, int fd, const unsigned char *p, size_t size, const plan_header *h,
                                    drt_model **out)
{
    hashed_read hr = {.fd = fd, .file = p, .hashed = HASH_FROM};
    hash_start(&hr.ph, p);
    drt_status s = read_model(path, p + h->model_off, h->model_size, 1, &hr, h->model_off, out);
    if (s == DRT_OK) {
        hash_upto(&hr, size);
        if (hash_end(&hr.ph) == h->checksum) return DRT_OK;
        drt_model_free(*out);
        *out = NULL;
    } else if (hr.err)
        return drt_error(DRT_STATUS_IO, "%s: cannot read the parameters: %s", path, strerror(hr.err));
    else if (plan_checksum(p, size, 1) == h->checksum)
        return s;
    return drt_error(DRT_STATUS_FORMAT, "%s: checksum mismatch: the plan is corrupt", path);
}

drt_status drt_plan_read_model(const char *path, int with_params, drt_model **model_out, drt_plan_info *info_out)
{
    *model_out = NULL;
    if (!path) return drt_error(DRT_STATUS_INVALID_ARG, "read plan: no path");
    unsigned char *p;
    size_t size;
    plan_header h;
    DRT_TRY(map_plan(path, &p, &size, &h, MAP_READ, NULL, NULL));
    drt_status s = read_model(path, p + h.model_off, h.model_size, with_params, NULL, 0, model_out);
    if (s == DRT_OK && info_out)
        *info_out = (drt_plan_info){.device = (drt_device)h.device, .device_index = (int)h.device_index,
                                    .precision = (drt_precision)h.precision, .max_batch = (int)h.max_batch,
                                    .backend_bytes = (size_t)h.backend_size, .file_bytes = size};
    munmap(p, size);
    return s;
}

drt_status drt_plan_read_shapes(const char *path, drt_model **model_out)
{
    *model_out = NULL;
    if (!path) return drt_error(DRT_STATUS_INVALID_ARG, "read plan: no path");
    unsigned char *p;
    size_t size;
    plan_header h;
    DRT_TRY(map_plan(path, &p, &size, &h, MAP_UNCHECKED, NULL, NULL));
    drt_status s = read_model(path, p + h.model_off, h.model_size, 0, NULL, 0, model_out); /* checks what it reads */
    munmap(p, size);
    return s;
}

drt_status drt_plan_peek(const char *path, drt_plan_info *info_out, int *w_out, int *h_out, int *c_out)
{
    int fd;
    size_t size;
    plan_header h;
    uint32_t f[4];
    DRT_TRY(drt_open_input(path, &fd, &size));
    drt_status s = DRT_OK;
    if (size < sizeof h || pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
        s = drt_error(DRT_STATUS_FORMAT, "%s: %zu bytes: too short for a darkrt plan (truncated?)", path, size);
    if (s == DRT_OK) s = check_header(path, &h, size);
    if (s == DRT_OK && (h.model_size < sizeof f || pread(fd, f, sizeof f, (off_t)h.model_off) != (ssize_t)sizeof f))
        s = drt_error(DRT_STATUS_FORMAT, "%s: model section: too short", path);
    close(fd);
    if (s == DRT_OK && (f[1] < 1 || f[1] > 65536 || f[2] < 1 || f[2] > 65536 || f[3] < 1 || f[3] > 4096))
        s = drt_error(DRT_STATUS_FORMAT, "%s: model section: input %ux%ux%u out of range", path, f[1], f[2], f[3]);
    if (s != DRT_OK) return s;
    *info_out = (drt_plan_info){.device = (drt_device)h.device, .device_index = (int)h.device_index,
                                .precision = (drt_precision)h.precision, .max_batch = (int)h.max_batch,
                                .backend_bytes = (size_t)h.backend_size, .file_bytes = size};
    *w_out = (int)f[1], *h_out = (int)f[2], *c_out = (int)f[3];
    return DRT_OK;
}

int drt_plan_engine_batch(const drt_plan_info *info, const drt_engine_opts *o)
{
    /* A CUDA plan holds graphs up to its batch; the CPU and reference engines loop per image
     * and take the caller's batch, whatever the plan was built with. */
    int want = o->max_batch > 0 ? o->max_batch : 1;
    return drt_backend_entry_of(info->device)->flags & DRT_BACKEND_PLAN_BATCH ? info->max_batch : want;
}

drt_status drt_engine_load_plan(const char *path, const drt_engine_opts *opts, drt_engine **out)
{
    DRT_ARG(out, "engine_out");
    *out = NULL;
    DRT_ARG(path, "plan_path");
    drt_engine_opts o = drt_engine_opts_default();
    DRT_TRY(drt_opts_copy(&o, sizeof o, opts, "load plan: drt_engine_opts"));
    unsigned char *p;
    size_t size;
    plan_header h;
    int fd;
    drt_timeline("plan: load %s", path);
    DRT_TRY(map_plan(path, &p, &size, &h, MAP_ENGINE, opts ? &o : NULL, &fd));
    drt_timeline("plan: header checked, device warming up");
    drt_model *m = NULL;
    const drt_backend *b;
    const void *blob = p + h.backend_off; /* offsets are checked by now */
    drt_status s = read_engine_model(path, fd, p, size, &h, &m);
    close(fd);
    drt_timeline("plan: model read, checksum checked (%.1f MiB file)", size / 1048576.0);
    /* after the read: a GPU backend's check waits for the driver, which the warm-up starts meanwhile */
    if (s == DRT_OK && (s = drt_backend_get((drt_device)h.device, &b)) != DRT_OK)
        drt_error_prefix("%s: a %s plan", path, drt_device_name((drt_device)h.device));
    if (s == DRT_OK && b->check_plan && h.backend_size) s = b->check_plan(blob, h.backend_size, path);
    drt_timeline("plan: backend section checked");
    if (s != DRT_OK) drt_model_free(m);
    else {
        o.device = (drt_device)h.device;
        if (!opts) o.device_index = (int)h.device_index;
        o.precision = (drt_precision)h.precision;
        o.passes_off = h.passes_off;
        o.calib_dir = NULL;
        o.max_batch = drt_plan_engine_batch(&(drt_plan_info){.device = o.device, .max_batch = (int)h.max_batch}, &o);
        if (o.threads <= 0) o.threads = (int)h.threads;
        s = drt_engine_create_owned(m, &o, h.backend_size ? blob : NULL, h.backend_size, out);
        drt_timeline("plan: engine built");
        if (s != DRT_OK) drt_error_prefix("%s", path);
    }
    munmap(p, size);
    return s;
}
