/* YOLO decode and per-class NMS on the GPU, with the arithmetic of src/vision/yolo-decode.c and
 * nms.c: double where the C code uses double, and each float product or sum rounded on its own
 * (__fmul_rn, __fadd_rn: no FMA contraction), so the boxes and scores are the host's. */
#include "backend/cuda/cuda-kernels.h"
#include "backend/cuda/cuda-common.cuh"

#include <math_constants.h>

/* Darknet's logistic_activate in double, stored as float. */
__device__ __forceinline__ float k_logistic(float x) { return (float)(1. / (1. + exp(-(double)x))); }

/* yolo-decode.c's logit_floor. */
__device__ __forceinline__ float k_logit_floor(double p)
{
    if (p <= 0) return -CUDART_INF_F;
    if (p >= 1) return CUDART_INF_F;
    return (float)(log(p / (1 - p)) - 1e-4);
}

/* One thread per cell-anchor of one image (blockIdx.y); cells whose objectness passes decode their
 * box and append each class above thresh. */
__global__ void decode_kernel(drt_k_yolo_head hd, int net_w, int net_h, float thresh, float obj_cut,
                              const drt_k_box_map *__restrict__ maps, drt_k_cands *cands)
{
    int item = blockIdx.y;
    long cells = (long)hd.w * hd.h;
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= cells * hd.n) return;
    int a = (int)(t / cells);
    long i = t - a * cells;
    const float *base = hd.data + item * hd.item_floats + (long)a * (5 + hd.classes) * cells + i;
    float o = base[4 * cells];
    if (o <= obj_cut) return;
    float obj = hd.new_coords ? o : k_logistic(o);
    if (obj <= thresh) return;

    const drt_k_box_map m = maps[item];
    int col = (int)(i % hd.w), row = (int)(i / hd.w);
    float tx = base[0], ty = base[cells], tw = base[2 * cells], th = base[3 * cells];
    float s = hd.scale_x_y, bx, by, bw, bh;
    if (!hd.new_coords) {
        tx = k_logistic(tx);
        ty = k_logistic(ty);
    }
    if (s != 1) {
        tx = __fadd_rn(__fmul_rn(tx, s), hd.xy_bias);
        ty = __fadd_rn(__fmul_rn(ty, s), hd.xy_bias);
    }
    bx = __fdiv_rn(__fadd_rn((float)col, tx), (float)hd.w);
    by = __fdiv_rn(__fadd_rn((float)row, ty), (float)hd.h);
    float aw = hd.anchors[2 * a], ah = hd.anchors[2 * a + 1];
    if (hd.new_coords) {
        bw = __fdiv_rn(__fmul_rn(__fmul_rn(__fmul_rn(tw, tw), 4.f), aw), (float)net_w);
        bh = __fdiv_rn(__fmul_rn(__fmul_rn(__fmul_rn(th, th), 4.f), ah), (float)net_h);
    } else {
        bw = (float)(exp((double)tw) * (double)aw / (double)net_w);
        bh = (float)(exp((double)th) * (double)ah / (double)net_h);
    }
    bx = (float)(((double)bx - m.off_x) / (double)m.div_x);
    by = (float)(((double)by - m.off_y) / (double)m.div_y);
    bw = __fmul_rn(bw, m.mul_w);
    bh = __fmul_rn(bh, m.mul_h);
    float hw = __fdiv_rn(bw, 2.f), hh = __fdiv_rn(bh, 2.f);
    float x1 = __fmul_rn(__fsub_rn(bx, hw), (float)m.img_w), y1 = __fmul_rn(__fsub_rn(by, hh), (float)m.img_h);
    float x2 = __fmul_rn(__fadd_rn(bx, hw), (float)m.img_w), y2 = __fmul_rn(__fadd_rn(by, hh), (float)m.img_h);
    if (isnan(x1) || isnan(y1) || isnan(x2) || isnan(y2)) return; /* as the host: NaN heads give no box */

    float ratio = __fdiv_rn(thresh, obj);
    float cut = hd.new_coords ? __fsub_rn(ratio, 1e-6f) : k_logit_floor(ratio);
    const float *cls = base + 5 * cells;
    drt_k_cands *out = cands + item;
    for (int j = 0; j < hd.classes; j++) {
        float v = cls[(long)j * cells];
        if (v <= cut) continue;
        float prob = __fmul_rn(obj, hd.new_coords ? v : k_logistic(v));
        if (!(prob > thresh)) continue;
        int at = atomicAdd(&out->count, 1);
        if (at >= DRT_K_CAND_CAP) continue; /* counted: the host sees the overflow and decodes itself */
        out->items[at] = drt_k_cand{x1, y1, x2, y2, prob, j, (unsigned)(hd.id_base + t)};
    }
}

extern "C" cudaError_t drt_k_yolo_decode(const drt_k_yolo_head *head, int n, int net_w, int net_h, float thresh,
                                         float obj_cut, const drt_k_box_map *maps, drt_k_cands *cands, cudaStream_t st)
{
    long threads = (long)head->w * head->h * head->n;
    dim3 grid(k_blocks(threads, 128), (unsigned)n);
    decode_kernel<<<grid, 128, 0, st>>>(*head, net_w, net_h, thresh, obj_cut, maps, cands);
    return cudaGetLastError();
}

/* nms.c's drt_box_iou, operation by operation. */
__device__ __forceinline__ float k_iou(const drt_k_cand &a, const drt_k_cand &b)
{
    float iw = __fsub_rn(a.x2 < b.x2 ? a.x2 : b.x2, a.x1 > b.x1 ? a.x1 : b.x1);
    float ih = __fsub_rn(a.y2 < b.y2 ? a.y2 : b.y2, a.y1 > b.y1 ? a.y1 : b.y1);
    if (iw <= 0 || ih <= 0) return 0;
    float inter = __fmul_rn(iw, ih);
    float uni = __fsub_rn(__fadd_rn(__fmul_rn(__fsub_rn(a.x2, a.x1), __fsub_rn(a.y2, a.y1)),
                                    __fmul_rn(__fsub_rn(b.x2, b.x1), __fsub_rn(b.y2, b.y1))),
                          inter);
    return uni > 0 ? __fdiv_rn(inter, uni) : 0;
}

#define NMS_THREADS 1024
#define ID_BITS 20    /* cell-anchor ids below 2^20 (yolov3 at 1280 pixels has 100,800) */
#define CLASS_BITS 12 /* classes below 4096 */

/* Ascending bitonic sort of n2 (a power of two) keys with their values, in shared memory. */
__device__ void bitonic_sort(unsigned long long *key, unsigned short *val, int n2)
{
    for (int k = 2; k <= n2; k <<= 1)
        for (int j = k >> 1; j > 0; j >>= 1) {
            for (int i = threadIdx.x; i < n2; i += blockDim.x) {
                int p = i ^ j;
                if (p > i && ((key[i] > key[p]) == ((i & k) == 0))) {
                    unsigned long long tk = key[i];
                    key[i] = key[p];
                    key[p] = tk;
                    unsigned short tv = val[i];
                    val[i] = val[p];
                    val[p] = tv;
                }
            }
            __syncthreads();
        }
}

/* A positive float's bits order as the float does; inverted, larger scores sort first. */
__device__ __forceinline__ unsigned long long k_score_desc(float s) { return (unsigned)~__float_as_uint(s); }

/* Sort by (class, falling score, id); greedy suppression within each class, each kept box tested
 * against the later ones by all threads at once; survivors sorted by (falling score, class, id). */
__global__ void __launch_bounds__(NMS_THREADS) nms_kernel(const drt_k_cands *__restrict__ cands, float nms,
                                                          drt_k_cands *__restrict__ outs)
{
    __shared__ unsigned long long key[DRT_K_CAND_CAP];
    __shared__ unsigned short val[DRT_K_CAND_CAP];
    __shared__ unsigned char removed[DRT_K_CAND_CAP];
    const drt_k_cands *in = cands + blockIdx.x;
    drt_k_cands *out = outs + blockIdx.x;
    int n = in->count;
    if (n > DRT_K_CAND_CAP) { /* the host decodes this image from its heads */
        if (threadIdx.x == 0) {
            out->count = n;
            out->status = 1;
        }
        return;
    }
    __shared__ int packable;
    if (threadIdx.x == 0) packable = 1;
    __syncthreads();
    for (int i = threadIdx.x; i < n; i += blockDim.x)
        if (in->items[i].class_id >= (1 << CLASS_BITS) || in->items[i].id >= (1u << ID_BITS)) packable = 0;
    __syncthreads();
    if (!packable) { /* keys would not be exact: hand the candidates to the host's NMS */
        for (int i = threadIdx.x; i < n; i += blockDim.x) out->items[i] = in->items[i];
        if (threadIdx.x == 0) {
            out->count = n;
            out->status = 2;
        }
        return;
    }
    int n2 = 1;
    while (n2 < n) n2 <<= 1;
    for (int i = threadIdx.x; i < n2; i += blockDim.x) {
        key[i] = i < n ? (unsigned long long)in->items[i].class_id << (64 - CLASS_BITS) |
                             k_score_desc(in->items[i].score) << ID_BITS | in->items[i].id
                       : ~0ull;
        val[i] = (unsigned short)i;
        removed[i] = 0;
    }
    __syncthreads();
    bitonic_sort(key, val, n2);
    for (int i = 0; i < n; i++) {
        if (removed[i]) continue; /* uniform: written before the last barrier */
        drt_k_cand kept = in->items[val[i]];
        unsigned long long cls = key[i] >> (64 - CLASS_BITS);
        for (int j = i + 1 + threadIdx.x; j < n; j += blockDim.x) {
            if (key[j] >> (64 - CLASS_BITS) != cls) break; /* sorted by class: the rest are other classes */
            if (!removed[j] && k_iou(kept, in->items[val[j]]) > nms) removed[j] = 1;
        }
        __syncthreads();
    }
    /* survivors: re-key by falling score, then class, then id; the removed sort last */
    for (int i = threadIdx.x; i < n2; i += blockDim.x) {
        if (i < n && !removed[i]) {
            const drt_k_cand &c = in->items[val[i]];
            key[i] = k_score_desc(c.score) << 32 | (unsigned long long)c.class_id << ID_BITS | c.id;
        } else {
            key[i] = ~0ull;
        }
    }
    __syncthreads();
    bitonic_sort(key, val, n2);
    __shared__ int kept_count;
    if (threadIdx.x == 0) kept_count = 0;
    __syncthreads();
    for (int i = threadIdx.x; i < n; i += blockDim.x)
        if (!removed[i]) atomicAdd(&kept_count, 1);
    __syncthreads();
    for (int i = threadIdx.x; i < kept_count; i += blockDim.x) out->items[i] = in->items[val[i]];
    if (threadIdx.x == 0) {
        out->count = kept_count;
        out->status = 0;
    }
}

extern "C" cudaError_t drt_k_nms(const drt_k_cands *cands, int n, float nms, drt_k_cands *out, cudaStream_t st)
{
    nms_kernel<<<n, NMS_THREADS, 0, st>>>(cands, nms, out);
    return cudaGetLastError();
}
