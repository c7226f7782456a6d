/* darkrt's version and export macros (included by every darkrt header). */
#ifndef DARKRT_API_H
#define DARKRT_API_H

/* The version of these headers. drt_version() and drt_version_number() give the library's:
 * a program can check at run time that it runs against the version it was compiled with.
 * The shared library's SONAME is libdarkrt.so.DRT_VERSION_MAJOR. */
#define DRT_VERSION_MAJOR 0
#define DRT_VERSION_MINOR 1
#define DRT_VERSION_PATCH 0
#define DRT_VERSION_NUMBER (DRT_VERSION_MAJOR * 10000 + DRT_VERSION_MINOR * 100 + DRT_VERSION_PATCH)
#define DRT_VERSION_STR_(x) #x
#define DRT_VERSION_STR(x) DRT_VERSION_STR_(x)
#define DRT_VERSION_STRING \
    DRT_VERSION_STR(DRT_VERSION_MAJOR) "." DRT_VERSION_STR(DRT_VERSION_MINOR) "." DRT_VERSION_STR(DRT_VERSION_PATCH)

/* Marks the public functions: the library is built with -fvisibility=hidden, so libdarkrt.so
 * exports these and nothing else. */
#if defined(__GNUC__) || defined(__clang__)
#define DRT_API __attribute__((visibility("default")))
#else
#define DRT_API
#endif

#endif
