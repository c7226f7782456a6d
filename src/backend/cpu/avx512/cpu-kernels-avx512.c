/* darkrt's own CPU kernels compiled for AVX-512 (the Makefile gives files under avx512/ the
 * -mavx512* flags); chosen at run time by cpu-kernels.c only where cpuid and XCR0 allow. */
#define DRT_K(name) name##_avx512
#include "backend/cpu/cpu-kernels-body.h"
