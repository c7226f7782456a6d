/* CPU feature detection with cpuid and XCR0 (the OS must save the wider registers) and
 * the DRT_CPU_ISA cap. */
#include "backend/cpu/cpu-features.h"
#include "core/error.h"

#include <cpuid.h>
#include <dnnl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned features;
static pthread_once_t features_once = PTHREAD_ONCE_INIT;

static unsigned long long xgetbv0(void)
{
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static void detect(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    if (!osxsave || !avx) return;
    unsigned long long xcr0 = xgetbv0();
    int ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xe6) == 0xe6;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
    unsigned f = 0;
    if (ymm && fma && ((b >> 5) & 1)) f |= DRT_CPU_AVX2;
    int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);
    if (zmm && avx512 && (f & DRT_CPU_AVX2)) {
        f |= DRT_CPU_AVX512;
        if ((c >> 11) & 1) f |= DRT_CPU_AVX512_VNNI;
    }
    unsigned a1 = 0, b1, c1, d1;
    if (__get_cpuid_count(7, 1, &a1, &b1, &c1, &d1)) {
        if ((f & DRT_CPU_AVX512) && ((a1 >> 5) & 1)) f |= DRT_CPU_AVX512_BF16;
        if ((f & DRT_CPU_AVX2) && ((a1 >> 4) & 1)) f |= DRT_CPU_AVX_VNNI;
    }
    features = f;
}

unsigned drt_cpu_features(void)
{
    pthread_once(&features_once, detect);
    return features;
}

static const char *const names[] = {"avx2", "avx512", "avx512_vnni", "avx512_bf16", "avx_vnni"};

const char *drt_cpu_features_str(unsigned bits, char *buf, int size)
{
    int n = 0;
    buf[0] = '\0';
    for (int i = 0; i < 5; i++)
        if (bits & (1u << i)) n += snprintf(buf + n, n < size ? (size_t)(size - n) : 0, "%s%s", n ? " " : "", names[i]);
    if (!bits) snprintf(buf, (size_t)size, "baseline");
    return buf;
}

unsigned drt_cpu_features_of_impl(const char *impl)
{
    if (strstr(impl, "avx512_core_bf16")) return DRT_CPU_AVX512 | DRT_CPU_AVX512_BF16 | DRT_CPU_AVX2;
    if (strstr(impl, "avx512_core_vnni")) return DRT_CPU_AVX512 | DRT_CPU_AVX512_VNNI | DRT_CPU_AVX2;
    if (strstr(impl, "avx512")) return DRT_CPU_AVX512 | DRT_CPU_AVX2;
    if (strstr(impl, "avx2_vnni")) return DRT_CPU_AVX2 | DRT_CPU_AVX_VNNI;
    if (strstr(impl, "avx2")) return DRT_CPU_AVX2;
    return 0;
}

static unsigned isa_cap = ~0u;
static pthread_once_t isa_once = PTHREAD_ONCE_INIT;

static void apply_cap(void)
{
    const char *v = getenv("DRT_CPU_ISA");
    if (!v || !*v || !strcmp(v, "all")) return;
    static const struct { const char *name; dnnl_cpu_isa_t isa; unsigned mask; } caps[] = {
        {"sse41", dnnl_cpu_isa_sse41, 0},
        {"avx2", dnnl_cpu_isa_avx2, DRT_CPU_AVX2},
        {"avx512", dnnl_cpu_isa_avx512_core, DRT_CPU_AVX2 | DRT_CPU_AVX512},
        {"avx512_vnni", dnnl_cpu_isa_avx512_core_vnni, DRT_CPU_AVX2 | DRT_CPU_AVX512 | DRT_CPU_AVX512_VNNI},
        {"avx512_bf16", dnnl_cpu_isa_avx512_core_bf16,
         DRT_CPU_AVX2 | DRT_CPU_AVX512 | DRT_CPU_AVX512_VNNI | DRT_CPU_AVX512_BF16},
    };
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
        if (!strcmp(v, caps[i].name)) {
            if (dnnl_set_max_cpu_isa(caps[i].isa) != dnnl_success)
                drt_warn("DRT_CPU_ISA=%s: oneDNN was already in use; the cap is ignored", v);
            else isa_cap = caps[i].mask;
            return;
        }
    drt_warn("DRT_CPU_ISA=%s: unknown (sse41|avx2|avx512|avx512_vnni|avx512_bf16|all); ignored", v);
}

unsigned drt_cpu_apply_isa_cap(void)
{
    pthread_once(&isa_once, apply_cap);
    return isa_cap & drt_cpu_features();
}

int drt_cpu_int8_weight_max(void)
{
    return drt_cpu_apply_isa_cap() & (DRT_CPU_AVX512_VNNI | DRT_CPU_AVX_VNNI) ? 127 : 63;
}
