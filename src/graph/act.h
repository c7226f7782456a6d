/* Darknet's activations: the values, and one formula each as AlexeyAB's activations.h and
 * activation_kernels.cu compute them. Included by the host (drt_act_apply) and by the CUDA kernels
 * (k_act), so every engine evaluates the same expression. */
#ifndef DRT_GRAPH_ACT_H
#define DRT_GRAPH_ACT_H

#include <math.h>

/* Append-only (plans store these values). */
typedef enum drt_act {
    DRT_ACT_LINEAR = 0,
    DRT_ACT_LEAKY = 1, /* x > 0 ? x : 0.1 x */
    DRT_ACT_RELU = 2,
    DRT_ACT_LOGISTIC = 3,
    DRT_ACT_MISH = 4,  /* x * tanh(softplus(x)) */
    DRT_ACT_SWISH = 5, /* x * logistic(x) */
    DRT_ACT_HARD_MISH = 6,
    DRT_ACT_RELU6 = 7,
    DRT_ACT_ELU = 8,
    DRT_ACT_SELU = 9,
    DRT_ACT_GELU = 10,
    DRT_ACT_TANH = 11,
    DRT_ACT_HARDTAN = 12,
    DRT_ACT_LHTAN = 13,
    DRT_ACT_LOGGY = 14,
    DRT_ACT_RAMP = 15,
    DRT_ACT_STAIR = 16,
    DRT_ACT_PLSE = 17,
    DRT_ACT_RELIE = 18,
    DRT_ACT_COUNT
} drt_act;

#ifdef __CUDACC__
#define DRT_ACT_FN static inline __host__ __device__
#else
#define DRT_ACT_FN static inline
#endif

/* AlexeyAB's stair: floor(x/2), plus the fraction of x where floor(x) is odd (parity by fmodf,
 * not an int cast that overflows for large x). */
DRT_ACT_FN float drt_act_stair(float x)
{
    float n = floorf(x);
    return fmodf(n, 2.f) == 0.f ? floorf(x / 2.f) : (x - n) + floorf(x / 2.f);
}

/* f(a x) = a f(x) for a > 0: an int8 output scale can be applied before the activation (both engines' int8
 * convs that write int8 for the next one). */
DRT_ACT_FN int drt_act_homogeneous(drt_act a) { return a == DRT_ACT_LINEAR || a == DRT_ACT_LEAKY || a == DRT_ACT_RELU; }

DRT_ACT_FN float drt_act_eval(drt_act a, float x)
{
    switch (a) {
    case DRT_ACT_LEAKY: return x > 0 ? x : .1f * x;
    case DRT_ACT_RELU: return x > 0 ? x : 0.f;
    case DRT_ACT_LOGISTIC: return 1.f / (1.f + expf(-x));
    case DRT_ACT_MISH: { /* softplus with AlexeyAB's threshold 20 */
        float sp = x > 20.f ? x : (x < -20.f ? expf(x) : log1pf(expf(x)));
        return x * tanhf(sp);
    }
    case DRT_ACT_SWISH: return x / (1.f + expf(-x));
    case DRT_ACT_HARD_MISH: return x > 0 ? x : (x > -2.f ? x * x / 2 + x : 0.f); /* hard_mish_yashas */
    /* activation_kernels.cu's relu6: AlexeyAB's CPU activate() has no case for it and returns 0 */
    case DRT_ACT_RELU6: return fminf(fmaxf(x, 0.f), 6.f);
    /* elu, selu: AlexeyAB's (x >= 0) * x + (x < 0) * (expf(x) - 1) is NaN past x = 88 (0 * inf); here x */
    case DRT_ACT_ELU: return x >= 0 ? x : expf(x) - 1;
    case DRT_ACT_SELU: return x >= 0 ? 1.0507f * x : 1.0507f * 1.6732f * (expf(x) - 1);
    case DRT_ACT_GELU: return (float)(0.5 * x * (1 + tanhf((float)(0.797885 * x + 0.035677 * powf(x, 3)))));
    case DRT_ACT_TANH: return 2 / (1 + expf(-2 * x)) - 1;
    case DRT_ACT_HARDTAN: return x < -1 ? -1.f : (x > 1 ? 1.f : x);
    case DRT_ACT_LHTAN: return x < 0 ? .001f * x : (x > 1 ? .001f * (x - 1) + 1 : x);
    case DRT_ACT_LOGGY: return 2.f / (1.f + expf(-x)) - 1;
    case DRT_ACT_RAMP: return x * (x > 0) + .1f * x;
    case DRT_ACT_STAIR: return drt_act_stair(x);
    case DRT_ACT_PLSE: return x < -4 ? .01f * (x + 4) : (x > 4 ? .01f * (x - 4) + 1 : .125f * x + .5f);
    case DRT_ACT_RELIE: return x > 0 ? x : .01f * x;
    default: return x; /* linear */
    }
}

#endif
