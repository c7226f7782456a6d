/* JPEG decode on the GPU (drt_device_stages.preprocess_jpegs): a batch of JPEG files' bytes
 * decoded by nvJPEG's batched decoder (the GPU's hardware JPEG engines where present, else its
 * GPU hybrid backend) into RGB8 on the device, then letterboxed there like any 8-bit frame.
 * drt_device_stages.decode_jpegs: the same decode on a second decoder of the engine's, with a
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
    cudaStream_t own_stream;  /* decode_jpegs' decoder: its stream; NULL: the engine's (g->own.stream) */
    long long decoded, refused; /* files, for the verbose log */
    int batch;                /* the batch size the state was initialized for */
    /* The batches' RGB8 pixels, two buffers taken in turn: a batch is decoded while the one before
     * may still wait to be letterboxed. out_ev[x]: recorded after the letterboxes that read buffer x;
     * the host waits for it before nvJPEG writes x again (its hardware engines are not ordered
     * after the stream's earlier work). */
    unsigned char *d_out[2];
    size_t out_cap[2];
    cudaEvent_t out_ev[2];
    int out_cur;
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

static void close_nvjpeg(cu_nvjpeg *j)
{
    if (j->stream) j->nvjpegJpegStreamDestroy(j->stream);
    if (j->state) j->nvjpegJpegStateDestroy(j->state);
    if (j->handle) j->nvjpegDestroy(j->handle);
    for (int x = 0; x < 2; x++) {
        if (j->out_ev[x]) cudaEventSynchronize(j->out_ev[x]);
        if (j->own_stream && j->d_out[x]) cudaFreeAsync(j->d_out[x], j->own_stream); /* made by cudaMallocAsync */
        else cudaFree(j->d_out[x]);
        j->d_out[x] = NULL, j->out_cap[x] = 0;
    }
    if (j->own_stream) cudaStreamSynchronize(j->own_stream);
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
static pthread_t early_thread;
static int early_running, early_dev;
static cu_nvjpeg *early;

static void *early_main(void *arg)
{
    (void)arg;
    cu_nvjpeg *j = cudaSetDevice(early_dev) == cudaSuccess ? new_decoder(1) : NULL;
    cudaGetLastError();
    early = j; /* read after the join */
    drt_timeline("cuda: nvJPEG decoder for device %d opened ahead of its engine", early_dev);
    return NULL;
}

void drt_cuda_open_jpeg_decoder(int device_index)
{
    pthread_mutex_lock(&early_lock);
    if (!early_running && !early && device_index >= 0) {
        early_dev = device_index;
        early_running = pthread_create(&early_thread, NULL, early_main, NULL) == 0;
    }
    pthread_mutex_unlock(&early_lock);
}

/* The decoder opened ahead for device dev, waited for; NULL when there is none (for another device:
 * it waits on). */
static cu_nvjpeg *take_early(int dev)
{
    pthread_mutex_lock(&early_lock);
    if (early_running && early_dev == dev) pthread_join(early_thread, NULL), early_running = 0;
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
        if (j && !own_stream && j->own_stream) cudaStreamDestroy(j->own_stream), j->own_stream = NULL;
        if (!j) j = new_decoder(own_stream);
        if (!j) return drt_error(DRT_STATUS_OOM, "nvJPEG: out of memory");
        *slot = j;
        if (g->verbose && !j->why[0])
            fprintf(drt_log_file(), "cuda: nvJPEG with the %s backend%s\n", j->hardware ? "hardware" : "GPU hybrid",
                    own_stream ? " (to host memory, a stream of its own)" : "");
    }
    *out = *slot;
    if ((*slot)->why[0]) return drt_error(DRT_STATUS_UNSUPPORTED, "%s", (*slot)->why);
    return DRT_OK;
}

static void free_decoder(cu_engine *g, cu_nvjpeg *j)
{
    if (!j) return;
    if (g->verbose && !j->why[0])
        fprintf(drt_log_file(), "cuda: nvJPEG (%s backend%s): %lld files decoded on the GPU, %lld left to the host\n",
                j->hardware ? "hardware" : "GPU hybrid", j->own_stream ? ", to host memory" : "", j->decoded, j->refused);
    if (j->handle) close_nvjpeg(j);
    for (int x = 0; x < 2; x++)
        if (j->out_ev[x]) cudaEventDestroy(j->out_ev[x]);
    if (j->own_stream) cudaStreamDestroy(j->own_stream);
    if (j->lib) dlclose(j->lib);
    free(j);
}

void drt_cuda_nvjpeg_free(cu_engine *g)
{
    free_decoder(g, g->nvjpeg);
    free_decoder(g, g->nvjpeg_host);
    g->nvjpeg = g->nvjpeg_host = NULL;
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
 * (j->out_cur), one RGB8 image after another; *failed: nvJPEG's status when it refused the batch. */
static drt_status decode_batch(cu_engine *g, cu_nvjpeg *j, const drt_jpeg_src *jpegs, const int *idx, int k,
                               size_t *offsets, nvjpegStatus_t *failed)
{
    size_t need = 0;
    for (int i = 0; i < k; i++) offsets[i] = need, need += align256((size_t)jpegs[idx[i]].w * jpegs[idx[i]].h * 3);
    int x = j->out_cur ^= 1;
    if (j->out_ev[x]) DRT_CUDA_TRY(cudaEventSynchronize(j->out_ev[x])); /* read by the batch before last */
    else DRT_CUDA_TRY(cudaEventCreateWithFlags(&j->out_ev[x], cudaEventDisableTiming));
    if (need > j->out_cap[x] && j->own_stream) { /* stream-ordered: a cudaFree would synchronize the device, and so
                                                   * break a graph capture the batch thread may be making meanwhile */
        if (j->d_out[x]) DRT_CUDA_TRY(cudaFreeAsync(j->d_out[x], j->own_stream));
        j->d_out[x] = NULL, j->out_cap[x] = 0;
        DRT_CUDA_TRY(cudaMallocAsync((void **)&j->d_out[x], need + need / 2, j->own_stream));
        j->out_cap[x] = need + need / 2;
    } else if (need > j->out_cap[x]) {
        cudaFree(j->d_out[x]);
        j->d_out[x] = NULL, j->out_cap[x] = 0;
        DRT_CUDA_TRY(cudaMalloc((void **)&j->d_out[x], need + need / 2));
        j->out_cap[x] = need + need / 2;
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
    nvjpegStatus_t s = NVJPEG_STATUS_SUCCESS;
    if (j->batch != k) {
        s = j->nvjpegDecodeBatchedInitialize(j->handle, j->state, k, 1, NVJPEG_OUTPUT_RGBI);
        j->batch = s == NVJPEG_STATUS_SUCCESS ? k : 0;
    }
    if (s == NVJPEG_STATUS_SUCCESS)
        s = j->nvjpegDecodeBatched(j->handle, j->state, data, sizes, dst, j->own_stream ? j->own_stream : g->own.stream);
    if (s != NVJPEG_STATUS_SUCCESS) j->batch = 0; /* initialize again: a failed batch leaves the state unusable */
    *failed = s;
    return DRT_OK;
}

/* The files j takes (refused[i] = 1 for the others: left to the host) decoded into its current
 * output buffer at offsets[i]; all of them refused when nvJPEG fails the batch. */
static drt_status decode_files(cu_engine *g, cu_nvjpeg *j, const drt_jpeg_src *jpegs, int n, int *refused, size_t *offsets)
{
    int idx[n], k = 0;
    size_t at[n];
    for (int i = 0; i < n; i++) {
        refused[i] = !j->handle || !accepted(j, &jpegs[i]); /* no handle: both backends failed */
        if (!refused[i]) idx[k++] = i;
    }
    if (k == 0) return DRT_OK;
    nvjpegStatus_t failed;
    DRT_TRY(decode_batch(g, j, jpegs, idx, k, at, &failed));
    if (failed != NVJPEG_STATUS_SUCCESS && j->hardware && !j->decoded) { /* the hardware engines fail from the start: the GPU hybrid backend */
        if (g->verbose)
            fprintf(drt_log_file(), "cuda: nvJPEG's hardware backend failed a batch (%s): the GPU hybrid backend from now on\n",
                    nvjpeg_status_name(failed));
        close_nvjpeg(j);
        if (create_handle(j, NVJPEG_BACKEND_DEFAULT) == NVJPEG_STATUS_SUCCESS)
            DRT_TRY(decode_batch(g, j, jpegs, idx, k, at, &failed));
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

drt_status drt_cuda_preprocess_jpegs(drt_engine *e, const drt_jpeg_src *jpegs, int n, drt_resize mode, int *refused)
{
    cu_engine *g = e->impl;
    cu_nvjpeg *j = NULL;
    DRT_CUDA_TRY(cudaSetDevice(g->dev));
    DRT_TRY(nvjpeg_for(g, &g->nvjpeg, 0, &j));
    if (n <= 0) return DRT_OK; /* the probe: nvJPEG is there */
    if (n > g->max_batch || e->model->channels != 3 || (unsigned)mode >= DRT_RESIZE_COUNT)
        return drt_error(DRT_STATUS_INVALID_ARG, "cuda JPEG decode: %d images (max batch %d), %d model channels, "
                         "resize mode %d", n, g->max_batch, e->model->channels, (int)mode);
    size_t offsets[n];
    DRT_TRY(decode_files(g, j, jpegs, n, refused, offsets));
    int any = 0;
    for (int i = 0; i < n; i++) {
        if (refused[i]) continue;
        const drt_jpeg_src *src = &jpegs[i];
        DRT_TRY(drt_cuda_letterbox_u8(e, g, j->d_out[j->out_cur] + offsets[i], src->w, src->h, 0, src->item, mode));
        any = 1;
    }
    if (any) DRT_CUDA_TRY(cudaEventRecord(j->out_ev[j->out_cur], g->own.stream));
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
    DRT_TRY(decode_files(g, j, jpegs, n, refused, offsets));
    int any = 0;
    for (int i = 0; i < n; i++) {
        if (refused[i]) continue;
        size_t bytes = (size_t)jpegs[i].w * jpegs[i].h * 3;
        DRT_CUDA_TRY(cudaMemcpyAsync(out[i], j->d_out[j->out_cur] + offsets[i], bytes, cudaMemcpyDeviceToHost, j->own_stream));
        any = 1;
    }
    if (any) DRT_CUDA_TRY(cudaEventRecord(j->out_ev[j->out_cur], j->own_stream));
    DRT_CUDA_TRY(cudaStreamSynchronize(j->own_stream)); /* the pixels are the caller's now */
    return DRT_OK;
}
#else
void drt_cuda_nvjpeg_free(cu_engine *g) { (void)g; }

drt_status drt_cuda_preprocess_jpegs(drt_engine *e, const drt_jpeg_src *jpegs, int n, drt_resize mode, int *refused)
{
    (void)e, (void)jpegs, (void)n, (void)mode, (void)refused;
    return drt_error(DRT_STATUS_UNSUPPORTED, "nvJPEG not available: darkrt was built without nvjpeg.h "
                     "(scripts/deps.sh installs it)");
}

void drt_cuda_open_jpeg_decoder(int device_index) { (void)device_index; }

drt_status drt_cuda_decode_jpegs(drt_engine *e, const drt_jpeg_src *jpegs, int n, unsigned char *const *out, int *refused)
{
    (void)e, (void)jpegs, (void)n, (void)out, (void)refused;
    return drt_error(DRT_STATUS_UNSUPPORTED, "nvJPEG not available: darkrt was built without nvjpeg.h "
                     "(scripts/deps.sh installs it)");
}
#endif
