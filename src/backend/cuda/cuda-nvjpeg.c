/* JPEG decode on the GPU (drt_device_stages.preprocess_jpegs): a batch of JPEG files' bytes
 * decoded by nvJPEG's batched decoder (the GPU's hardware JPEG engines where present, else its
 * GPU hybrid backend) into RGB8 on the device, then letterboxed there like any 8-bit frame;
 * prefetch_jpegs starts the decode of the next batch from another thread, on the decoder's own
 * stream, so that preprocess_jpegs only letterboxes it. One decoder serves every run state of the
 * engine (the GPU has one set of JPEG engines): preprocess_jpegs decodes on the stream of the run
 * state it stages (the engine's own or a context's), and a decode on another stream than the last
 * one waits for that one first (its state's buffers). drt_device_stages.decode_jpegs: the same decode on a second decoder of the engine's, with a
 * stream of its own, to RGB8 pixels in host memory (the pipeline's JPEG thread, MIXED decode:
 * beside the CPU workers and the running engine, not on the batch thread).
 * libnvjpeg is loaded with dlopen on first use, so darkrt neither links nor needs it elsewhere.
 * nvJPEG's IDCT and chroma upsampling differ slightly from libjpeg's: the pixels (so the boxes)
 * are close to the host decode's, not equal. */
#include "backend/cuda/cuda-internal.h"

#if __has_include(<nvjpeg.h>)
#include "core/log.h"

#include "core/timeline.h"

#include <dlfcn.h>
#include <nvjpeg.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NVJPEG_FUNCS(X) \
    X(nvjpegCreateEx) X(nvjpegDestroy) X(nvjpegJpegStateCreate) X(nvjpegJpegStateDestroy) \
    X(nvjpegJpegStreamCreate) X(nvjpegJpegStreamDestroy) X(nvjpegJpegStreamParseHeader) \
    X(nvjpegDecodeBatchedSupported) X(nvjpegDecodeBatchedInitialize) X(nvjpegDecodeBatched)

struct cu_nvjpeg {
    void *lib;
#define DECLARE(f) __typeof__(f) *f;
    NVJPEG_FUNCS(DECLARE)
#undef DECLARE
    nvjpegHandle_t handle;
    nvjpegJpegState_t state;
    nvjpegJpegStream_t stream;
    int hardware;             /* NVJPEG_BACKEND_HARDWARE (else the default, GPU hybrid) */
    cudaStream_t own_stream;  /* its stream (decode_jpegs, prefetch_jpegs), or NULL (made by prefetch_jpegs) */
    long long decoded, refused; /* files, for the verbose log */
    int batch;                /* the batch size the state was initialized for */
    int to_host;              /* decode_jpegs' decoder: each call waits for its copies to the host, so one
                               * buffer (d_out[0]) and no events */
    /* preprocess_jpegs' batches' RGB8 pixels, two buffers taken in turn: a batch is decoded while the
     * one before may still wait to be letterboxed. out_ev[x]: recorded after the letterboxes that
     * read buffer x; the host waits for it before nvJPEG writes x again (its hardware engines are not
     * ordered after the stream's earlier work). */
    unsigned char *d_out[2];
    size_t out_cap[2];
    int out_async[2];         /* d_out[x] made by cudaMallocAsync on own_stream (freed the same way) */
    cudaEvent_t out_ev[2];
    int out_cur;
    /* prefetch_jpegs' batch, decoded on own_stream into d_out[out_cur] for the next preprocess_jpegs
     * of the same files (matched by their bytes' addresses): n files (0: none), done after the decode */
    int ahead_n, ahead_cap;
    const unsigned char **ahead_data;
    int *ahead_refused;
    size_t *ahead_offsets;
    cudaEvent_t ahead_done;
    /* the last decode: its stream, and an event after it; a decode on another stream waits for it on the
     * host before it uses the state again (nvJPEG orders a state's reuse on one stream only) */
    cudaStream_t last_st;
    cudaEvent_t last_ev;
    char why[512];            /* why nvJPEG is not available ("" when it is) */
};

static const char *nvjpeg_status_name(nvjpegStatus_t s)
{
    static const char *const names[] = {"success", "not initialized", "invalid parameter", "bad JPEG",
                                        "JPEG not supported", "allocator failure", "execution failed",
                                        "architecture mismatch", "internal error", "implementation not supported",
                                        "incomplete bitstream"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown status";
}

/* Output buffer x freed as it was made (with its stream's order, or synchronizing). */
static void free_out(cu_nvjpeg *j, int x)
{
    if (j->d_out[x] && j->out_async[x]) cudaFreeAsync(j->d_out[x], j->own_stream);
    else cudaFree(j->d_out[x]);
    j->d_out[x] = NULL, j->out_cap[x] = 0, j->out_async[x] = 0;
}

static void close_nvjpeg(cu_nvjpeg *j)
{
    if (j->stream) j->nvjpegJpegStreamDestroy(j->stream);
    if (j->state) j->nvjpegJpegStateDestroy(j->state);
    if (j->handle) j->nvjpegDestroy(j->handle);
    for (int x = 0; x < 2; x++) {
        if (j->out_ev[x]) cudaEventSynchronize(j->out_ev[x]);
        free_out(j, x);
    }
    if (j->own_stream) cudaStreamSynchronize(j->own_stream);
    j->ahead_n = 0;
    j->stream = NULL, j->state = NULL, j->handle = NULL;
}

/* The handle, state and stream for one backend. */
static nvjpegStatus_t create_handle(cu_nvjpeg *j, nvjpegBackend_t backend)
{
    nvjpegStatus_t s = j->nvjpegCreateEx(backend, NULL, NULL, 0, &j->handle);
    if (s == NVJPEG_STATUS_SUCCESS) s = j->nvjpegJpegStateCreate(j->handle, &j->state);
    if (s == NVJPEG_STATUS_SUCCESS) s = j->nvjpegJpegStreamCreate(j->handle, &j->stream);
    if (s != NVJPEG_STATUS_SUCCESS && j->handle) close_nvjpeg(j);
    j->hardware = s == NVJPEG_STATUS_SUCCESS && backend == NVJPEG_BACKEND_HARDWARE;
    j->batch = 0;
    return s;
}

/* dlopen + the handle: the hardware backend first (DRT_NVJPEG_BACKEND=hybrid: the GPU hybrid one
 * only, a diagnostic); on failure j->why says why. */
static void open_nvjpeg(cu_nvjpeg *j)
{
    j->lib = dlopen("libnvjpeg.so.13", RTLD_NOW | RTLD_LOCAL);
    if (!j->lib) j->lib = dlopen("libnvjpeg.so", RTLD_NOW | RTLD_LOCAL);
    if (!j->lib) {
        snprintf(j->why, sizeof j->why, "nvJPEG not available: %s", dlerror());
        return;
    }
#define RESOLVE(f) \
    if (!(j->f = (__typeof__(f) *)dlsym(j->lib, #f))) { \
        snprintf(j->why, sizeof j->why, "nvJPEG not available: libnvjpeg has no %s", #f); \
        return; \
    }
    NVJPEG_FUNCS(RESOLVE)
#undef RESOLVE
    const char *want = getenv("DRT_NVJPEG_BACKEND");
    nvjpegStatus_t s = NVJPEG_STATUS_NOT_INITIALIZED;
    if (!want || strcmp(want, "hybrid")) s = create_handle(j, NVJPEG_BACKEND_HARDWARE);
    if (s != NVJPEG_STATUS_SUCCESS) s = create_handle(j, NVJPEG_BACKEND_DEFAULT);
    if (s != NVJPEG_STATUS_SUCCESS)
        snprintf(j->why, sizeof j->why, "nvJPEG not available: its handle: %s", nvjpeg_status_name(s));
}

/* A decoder (own_stream: with a stream of its own, on the current device); NULL when out of memory. */
static cu_nvjpeg *new_decoder(int own_stream)
{
    cu_nvjpeg *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    if (own_stream && cudaStreamCreateWithFlags(&j->own_stream, cudaStreamNonBlocking) != cudaSuccess) {
        snprintf(j->why, sizeof j->why, "nvJPEG: its stream: %s", cudaGetErrorString(cudaGetLastError()));
        j->own_stream = NULL;
    } else {
        open_nvjpeg(j);
    }
    return j;
}

/* decode_jpegs' decoder opened ahead of its engine (drt_device_stages.open_jpeg_decoder) by a
 * thread of its own; taken by the first engine on that device that wants one. */
static pthread_mutex_t early_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t early_cond = PTHREAD_COND_INITIALIZER;
static pthread_t early_thread;
static int early_running, early_done, early_dev; /* early_done: the thread has finished (join: no wait) */
static cu_nvjpeg *early;

static void *early_main(void *arg)
{
    (void)arg;
    cu_nvjpeg *j = cudaSetDevice(early_dev) == cudaSuccess ? new_decoder(1) : NULL;
    cudaGetLastError();
    drt_timeline("cuda: nvJPEG decoder for device %d opened ahead of its engine", early_dev);
    pthread_mutex_lock(&early_lock);
    early = j;
    early_done = 1;
    pthread_cond_broadcast(&early_cond);
    pthread_mutex_unlock(&early_lock);
    return NULL;
}

/* The opening thread waited for and joined (under early_lock, which it takes to finish). */
static void early_wait(void)
{
    while (early_running && !early_done) pthread_cond_wait(&early_cond, &early_lock);
    if (early_running) pthread_join(early_thread, NULL), early_running = 0;
}

void drt_cuda_open_jpeg_decoder(int device_index)
{
    pthread_mutex_lock(&early_lock);
    if (!early_running && !early && device_index >= 0) {
        early_dev = device_index;
        early_done = 0;
        early_running = pthread_create(&early_thread, NULL, early_main, NULL) == 0;
    }
    pthread_mutex_unlock(&early_lock);
}

/* The decoder opened ahead for device dev, waited for; NULL when there is none (for another device:
 * it waits on). */
static cu_nvjpeg *take_early(int dev)
{
    pthread_mutex_lock(&early_lock);
    if (early_running && early_dev == dev) early_wait();
    cu_nvjpeg *j = !early_running && early_dev == dev ? early : NULL;
    if (j) early = NULL;
    pthread_mutex_unlock(&early_lock);
    return j;
}

/* The decoder in *slot, made on first use (own_stream: with a stream of its own, else it decodes on the
 * engine's; open_jpeg_decoder's when there is one). */
static drt_status nvjpeg_for(cu_engine *g, cu_nvjpeg **slot, int own_stream, cu_nvjpeg **out)
{
    if (!*slot) {
        cu_nvjpeg *j = take_early(g->dev);
        if (!j) j = new_decoder(own_stream);
        if (!j) return drt_error(DRT_STATUS_OOM, "nvJPEG: out of memory");
        *slot = j;
        j->to_host = slot == &g->nvjpeg_host;
        if (g->verbose && !j->why[0])
            fprintf(drt_log_file(), "cuda: nvJPEG with the %s backend%s\n", j->hardware ? "hardware" : "GPU hybrid",
                    own_stream ? " (to host memory, a stream of its own)" : "");
    }
    *out = *slot;
    if ((*slot)->why[0]) return drt_error(DRT_STATUS_UNSUPPORTED, "%s", (*slot)->why);
    return DRT_OK;
}

static void free_decoder(cu_nvjpeg *j, int verbose)
{
    if (!j) return;
    if (verbose && !j->why[0])
        fprintf(drt_log_file(), "cuda: nvJPEG (%s backend%s): %lld files decoded on the GPU, %lld left to the host\n",
                j->hardware ? "hardware" : "GPU hybrid", j->to_host ? ", to host memory" : "", j->decoded, j->refused);
    if (j->handle) close_nvjpeg(j);
    for (int x = 0; x < 2; x++)
        if (j->out_ev[x]) cudaEventDestroy(j->out_ev[x]);
    if (j->ahead_done) cudaEventDestroy(j->ahead_done);
    if (j->last_ev) cudaEventDestroy(j->last_ev);
    free(j->ahead_data);
    free(j->ahead_refused);
    free(j->ahead_offsets);
    if (j->own_stream) cudaStreamDestroy(j->own_stream);
    if (j->lib) dlclose(j->lib);
    free(j);
}

void drt_cuda_nvjpeg_free(cu_engine *g)
{
    free_decoder(g->nvjpeg, g->verbose);
    free_decoder(g->nvjpeg_host, g->verbose);
    g->nvjpeg = g->nvjpeg_host = NULL;
}

void drt_cuda_close_jpeg_decoder(void)
{
    pthread_mutex_lock(&early_lock);
    early_wait();
    cu_nvjpeg *j = early;
    early = NULL;
    pthread_mutex_unlock(&early_lock);
    free_decoder(j, 0);
}

drt_status drt_cuda_jpeg_decoder_ready(drt_engine *e, int *ready)
{
    cu_engine *g = e->impl;
    *ready = 0;
    if (!g->nvjpeg) {
        pthread_mutex_lock(&early_lock);
        int opening = early_running && !early_done && early_dev == g->dev;
        pthread_mutex_unlock(&early_lock);
        if (opening) return DRT_OK;
    }
    *ready = 1;
    return drt_cuda_preprocess_jpegs(e, NULL, NULL, 0, DRT_RESIZE_LETTERBOX, NULL); /* takes it (no wait), or opens one */
}

/* Whether the decoder takes this file (the hardware engines: baseline, no 4:1:0 or 4:1:1). */
static int accepted(cu_nvjpeg *j, const drt_jpeg_src *src)
{
    if (!j->hardware) return 1;
    int unsupported = 1;
    return j->nvjpegJpegStreamParseHeader(j->handle, src->data, src->size, j->stream) == NVJPEG_STATUS_SUCCESS &&
           j->nvjpegDecodeBatchedSupported(j->handle, j->stream, &unsupported) == NVJPEG_STATUS_SUCCESS && !unsupported;
}

static size_t align256(size_t n) { return (n + 255) & ~(size_t)255; }

/* Decodes the k accepted files (idx into jpegs) into the next of the two output buffers
 * (j->out_cur), one RGB8 image after another, on stream st (the engine's, or own_stream);
 * *failed: nvJPEG's status when it refused the batch. */
static drt_status decode_batch(cudaStream_t st, cu_nvjpeg *j, const drt_jpeg_src *jpegs, const int *idx, int k,
                               size_t *offsets, nvjpegStatus_t *failed)
{
    size_t need = 0;
    for (int i = 0; i < k; i++) offsets[i] = need, need += align256((size_t)jpegs[idx[i]].w * jpegs[idx[i]].h * 3);
    int x = j->to_host ? 0 : (j->out_cur ^= 1); /* to_host: the last call's copies are done, d_out[0] free */
    if (!j->to_host) {
        if (j->out_ev[x]) DRT_CUDA_TRY(cudaEventSynchronize(j->out_ev[x])); /* read by the batch before last */
        else DRT_CUDA_TRY(cudaEventCreateWithFlags(&j->out_ev[x], cudaEventDisableTiming));
    }
    if (need > j->out_cap[x]) { /* on the decoder's own stream (another thread than the batch thread's), in its
                                  * order: a cudaFree would synchronize the device, and so break a graph capture
                                  * the batch thread may be making meanwhile */
        int async = st == j->own_stream;
        free_out(j, x);
        if (async) DRT_CUDA_TRY(cudaMallocAsync((void **)&j->d_out[x], need + need / 2, st));
        else DRT_CUDA_TRY(cudaMalloc((void **)&j->d_out[x], need + need / 2));
        j->out_cap[x] = need + need / 2, j->out_async[x] = async;
    }
    const unsigned char *data[k];
    size_t sizes[k];
    nvjpegImage_t dst[k];
    for (int i = 0; i < k; i++) {
        data[i] = jpegs[idx[i]].data, sizes[i] = jpegs[idx[i]].size;
        memset(&dst[i], 0, sizeof dst[i]);
        dst[i].channel[0] = j->d_out[x] + offsets[i];
        dst[i].pitch[0] = (size_t)jpegs[idx[i]].w * 3;
    }
    if (st != j->last_st && j->last_ev) DRT_CUDA_TRY(cudaEventSynchronize(j->last_ev)); /* the state, used on another stream */
    nvjpegStatus_t s = NVJPEG_STATUS_SUCCESS;
    if (j->batch != k) {
        s = j->nvjpegDecodeBatchedInitialize(j->handle, j->state, k, 1, NVJPEG_OUTPUT_RGBI);
        j->batch = s == NVJPEG_STATUS_SUCCESS ? k : 0;
    }
    if (s == NVJPEG_STATUS_SUCCESS)
        s = j->nvjpegDecodeBatched(j->handle, j->state, data, sizes, dst, st);
    if (s != NVJPEG_STATUS_SUCCESS) j->batch = 0; /* initialize again: a failed batch leaves the state unusable */
    *failed = s;
    if (!j->last_ev) DRT_CUDA_TRY(cudaEventCreateWithFlags(&j->last_ev, cudaEventDisableTiming));
    DRT_CUDA_TRY(cudaEventRecord(j->last_ev, st));
    j->last_st = st;
    return DRT_OK;
}

/* The files j takes (refused[i] = 1 for the others: left to the host) decoded on stream st into its
 * current output buffer at offsets[i]; all of them refused when nvJPEG fails the batch. */
static drt_status decode_files(cu_engine *g, cu_nvjpeg *j, cudaStream_t st, const drt_jpeg_src *jpegs, int n, int *refused,
                               size_t *offsets)
{
    int idx[n], k = 0;
    size_t at[n];
    for (int i = 0; i < n; i++) {
        refused[i] = !j->handle || !accepted(j, &jpegs[i]); /* no handle: both backends failed */
        if (!refused[i]) idx[k++] = i;
    }
    if (k == 0) return DRT_OK;
    nvjpegStatus_t failed;
    DRT_TRY(decode_batch(st, j, jpegs, idx, k, at, &failed));
    if (failed != NVJPEG_STATUS_SUCCESS && j->hardware && !j->decoded) { /* the hardware engines fail from the start: the GPU hybrid backend */
        if (g->verbose)
            fprintf(drt_log_file(), "cuda: nvJPEG's hardware backend failed a batch (%s): the GPU hybrid backend from now on\n",
                    nvjpeg_status_name(failed));
        close_nvjpeg(j);
        if (create_handle(j, NVJPEG_BACKEND_DEFAULT) == NVJPEG_STATUS_SUCCESS)
            DRT_TRY(decode_batch(st, j, jpegs, idx, k, at, &failed));
    }
    if (failed != NVJPEG_STATUS_SUCCESS || !j->handle) { /* every file of the batch to the host decoder */
        if (g->verbose) fprintf(drt_log_file(), "cuda: nvJPEG failed a batch of %d (first %s): %s: decoded on the host\n",
                                k, jpegs[idx[0]].name, nvjpeg_status_name(failed));
        for (int i = 0; i < k; i++) refused[idx[i]] = 1;
        j->refused += k;
        return DRT_OK;
    }
    j->decoded += k;
    j->refused += n - k;
    for (int i = 0; i < k; i++) offsets[idx[i]] = at[i];
    return DRT_OK;
}

/* Whether the batch decoded ahead is these files. */
static int ahead_is(const cu_nvjpeg *j, const drt_jpeg_src *jpegs, int n)
{
    if (j->ahead_n != n) return 0;
    for (int i = 0; i < n; i++)
        if (j->ahead_data[i] != jpegs[i].data) return 0;
    return n > 0;
}

/* A batch decoded ahead that its preprocess_jpegs did not take (the caller changed its mind): its
 * decode finished before its buffer is written again. */
static drt_status drop_ahead(cu_nvjpeg *j)
{
    if (!j->ahead_n) return DRT_OK;
    j->ahead_n = 0;
    DRT_CUDA_TRY(cudaStreamSynchronize(j->own_stream));
    return DRT_OK;
}

drt_status drt_cuda_prefetch_jpegs(drt_engine *e, const drt_jpeg_src *jpegs, int n)
{
    cu_engine *g = e->impl;
    cu_nvjpeg *j = NULL;
    DRT_CUDA_TRY(cudaSetDevice(g->dev));
    DRT_TRY(nvjpeg_for(g, &g->nvjpeg, 0, &j));
    DRT_TRY(drop_ahead(j));
    if (n <= 0 || n > g->max_batch) return DRT_OK; /* nothing ahead: preprocess_jpegs decodes (and checks) them */
    if (!j->own_stream) DRT_CUDA_TRY(cudaStreamCreateWithFlags(&j->own_stream, cudaStreamNonBlocking));
    if (!j->ahead_done) DRT_CUDA_TRY(cudaEventCreateWithFlags(&j->ahead_done, cudaEventDisableTiming));
    if (j->ahead_cap < n) {
        free(j->ahead_data), free(j->ahead_refused), free(j->ahead_offsets);
        j->ahead_data = malloc((size_t)g->max_batch * sizeof *j->ahead_data);
        j->ahead_refused = malloc((size_t)g->max_batch * sizeof *j->ahead_refused);
        j->ahead_offsets = malloc((size_t)g->max_batch * sizeof *j->ahead_offsets);
        j->ahead_cap = j->ahead_data && j->ahead_refused && j->ahead_offsets ? g->max_batch : 0;
        if (!j->ahead_cap) return drt_error(DRT_STATUS_OOM, "nvJPEG: out of memory");
    }
    DRT_TRY(decode_files(g, j, j->own_stream, jpegs, n, j->ahead_refused, j->ahead_offsets));
    DRT_CUDA_TRY(cudaEventRecord(j->ahead_done, j->own_stream));
    for (int i = 0; i < n; i++) j->ahead_data[i] = jpegs[i].data;
    j->ahead_n = n;
    return DRT_OK;
}

drt_status drt_cuda_preprocess_jpegs(drt_engine *e, drt_context *ctx, const drt_jpeg_src *jpegs, int n, drt_resize mode,
                                     int *refused)
{
    cu_engine *g = e->impl;
    cu_run *r = drt_cuda_run_of(g, ctx);
    cu_nvjpeg *j = NULL;
    DRT_CUDA_TRY(cudaSetDevice(g->dev));
    DRT_TRY(nvjpeg_for(g, &g->nvjpeg, 0, &j));
    if (n <= 0) return DRT_OK; /* the probe: nvJPEG is there */
    if (n > g->max_batch || e->model->channels != 3 || (unsigned)mode >= DRT_RESIZE_COUNT)
        return drt_error(DRT_STATUS_INVALID_ARG, "cuda JPEG decode: %d images (max batch %d), %d model channels, "
                         "resize mode %d", n, g->max_batch, e->model->channels, (int)mode);
    size_t offsets[n];
    if (ahead_is(j, jpegs, n)) { /* decoded by prefetch_jpegs: letterboxed once that decode is done */
        memcpy(refused, j->ahead_refused, (size_t)n * sizeof *refused);
        memcpy(offsets, j->ahead_offsets, (size_t)n * sizeof *offsets);
        DRT_CUDA_TRY(cudaStreamWaitEvent(r->stream, j->ahead_done, 0));
        j->ahead_n = 0;
    } else {
        DRT_TRY(drop_ahead(j));
        DRT_TRY(decode_files(g, j, r->stream, jpegs, n, refused, offsets));
    }
    int any = 0;
    for (int i = 0; i < n; i++) {
        if (refused[i]) continue;
        const drt_jpeg_src *src = &jpegs[i];
        DRT_TRY(drt_cuda_letterbox_u8(e, r, j->d_out[j->out_cur] + offsets[i], src->w, src->h, 0, src->item, mode));
        any = 1;
    }
    if (any) DRT_CUDA_TRY(cudaEventRecord(j->out_ev[j->out_cur], r->stream)); /* the letterboxes that read it, on r's stream */
    return DRT_OK;
}

drt_status drt_cuda_decode_jpegs(drt_engine *e, const drt_jpeg_src *jpegs, int n, unsigned char *const *out, int *refused)
{
    cu_engine *g = e->impl;
    cu_nvjpeg *j = NULL;
    DRT_CUDA_TRY(cudaSetDevice(g->dev));
    DRT_TRY(nvjpeg_for(g, &g->nvjpeg_host, 1, &j));
    if (n <= 0) return DRT_OK; /* the probe */
    if (n > g->max_batch)
        return drt_error(DRT_STATUS_INVALID_ARG, "cuda JPEG decode: %d images (max batch %d)", n, g->max_batch);
    size_t offsets[n];
    DRT_TRY(decode_files(g, j, j->own_stream, jpegs, n, refused, offsets));
    for (int i = 0; i < n; i++) {
        if (refused[i]) continue;
        size_t bytes = (size_t)jpegs[i].w * jpegs[i].h * 3;
        DRT_CUDA_TRY(cudaMemcpyAsync(out[i], j->d_out[0] + offsets[i], bytes, cudaMemcpyDeviceToHost, j->own_stream));
    }
    DRT_CUDA_TRY(cudaStreamSynchronize(j->own_stream)); /* the pixels are the caller's now (and d_out[0] free again) */
    return DRT_OK;
}
#else
void drt_cuda_nvjpeg_free(cu_engine *g) { (void)g; }

drt_status drt_cuda_preprocess_jpegs(drt_engine *e, drt_context *ctx, const drt_jpeg_src *jpegs, int n, drt_resize mode,
                                     int *refused)
{
    (void)e, (void)ctx, (void)jpegs, (void)n, (void)mode, (void)refused;
    return drt_error(DRT_STATUS_UNSUPPORTED, "nvJPEG not available: darkrt was built without nvjpeg.h "
                     "(scripts/deps.sh installs it)");
}

void drt_cuda_open_jpeg_decoder(int device_index) { (void)device_index; }

void drt_cuda_close_jpeg_decoder(void) {}

drt_status drt_cuda_prefetch_jpegs(drt_engine *e, const drt_jpeg_src *jpegs, int n)
{
    (void)e, (void)jpegs, (void)n;
    return DRT_OK;
}

drt_status drt_cuda_jpeg_decoder_ready(drt_engine *e, int *ready)
{
    *ready = 1;
    return drt_cuda_preprocess_jpegs(e, NULL, NULL, 0, DRT_RESIZE_LETTERBOX, NULL);
}

drt_status drt_cuda_decode_jpegs(drt_engine *e, const drt_jpeg_src *jpegs, int n, unsigned char *const *out, int *refused)
{
    (void)e, (void)jpegs, (void)n, (void)out, (void)refused;
    return drt_error(DRT_STATUS_UNSUPPORTED, "nvJPEG not available: darkrt was built without nvjpeg.h "
                     "(scripts/deps.sh installs it)");
}
#endif
