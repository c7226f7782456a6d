# Sourced by the CPU benchmarks after they set ROOT, with their first argument (the build directory):
#   source "$ROOT/bench/cpu-args.sh" "${1:-}"
# sets BUILD (default build; made absolute), DARKRT (its CLI), THREADS (default 2) and SHARED (DRT_SHARED, else ../shared).
BUILD=${1:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
DARKRT="$BUILD/darkrt"
THREADS=${THREADS:-2}
SHARED=${DRT_SHARED:-$ROOT/../shared}
