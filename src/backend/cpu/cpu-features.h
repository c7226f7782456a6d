/* CPU feature detection (cpuid + XCR0, once) and oneDNN's ISA cap. */
#ifndef DRT_BACKEND_CPU_FEATURES_H
#define DRT_BACKEND_CPU_FEATURES_H

enum drt_cpu_feature {
    DRT_CPU_AVX2 = 1u << 0,       /* AVX2 + FMA, OS saves YMM */
    DRT_CPU_AVX512 = 1u << 1,     /* AVX-512 F/BW/VL/DQ, OS saves ZMM */
    DRT_CPU_AVX512_VNNI = 1u << 2,
    DRT_CPU_AVX512_BF16 = 1u << 3,
    DRT_CPU_AVX_VNNI = 1u << 4
};

/* The features this CPU and OS support, detected once (thread-safe). */
unsigned drt_cpu_features(void);
/* "avx2 avx512 avx512_vnni ..." for the bits set (static buffer per call site: pass one). */
const char *drt_cpu_features_str(unsigned bits, char *buf, int size);
/* Features an oneDNN implementation name ("brgconv:avx512_core_vnni") relies on. */
unsigned drt_cpu_features_of_impl(const char *impl);

/* Applies DRT_CPU_ISA (sse41|avx2|avx512|avx512_vnni|avx512_bf16|all) once per process through
 * dnnl_set_max_cpu_isa, before any primitive exists. Returns the cap's features mask. */
unsigned drt_cpu_apply_isa_cap(void);

/* The largest |code| of int8 conv weights on this CPU (after the cap): 127 with VNNI; 63 without, where oneDNN's
 * int8 convs multiply u8 x s8 pairs with vpmaddubsw, whose 16-bit sums saturate at 2 x 255 x 127 (7-bit weights
 * cannot: heads' relative RMS error on tests/unit/cpu-int8-asym's model 0.119 -> 0.038 under DRT_CPU_ISA=avx2). */
int drt_cpu_int8_weight_max(void);

#endif
