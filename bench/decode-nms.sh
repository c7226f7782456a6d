#!/usr/bin/env bash
# Builds bench/decode-nms.c against BUILD/libdarkrt.a (no Makefile change) and runs it on one
# core (taskset -c 0). --record appends the result to bench/results/decode-nms.md.
# usage: bench/decode-nms.sh [BUILD=build] [--record] [iterations] [thresh] [objects]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=build
[ $# -gt 0 ] && [[ "$1" != --* ]] && [[ "$1" != [0-9]* ]] && { BUILD=$1; shift; }
RECORD=0
[ "${1:-}" = --record ] && { RECORD=1; shift; }
LIB="$ROOT/$BUILD/libdarkrt.a"
[ -f "$LIB" ] || { echo "decode-nms: $LIB not found: run make BUILD=$BUILD first" >&2; exit 1; }
BIN="$ROOT/$BUILD/bench/decode-nms"
mkdir -p "$(dirname "$BIN")"
# The libraries the Makefile links darkrt with (the CUDA ones when the archive holds CUDA code).
LIBS=$(make -s -C "$ROOT" BUILD="$BUILD" print-libs)
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
ar t "$LIB" | grep -q '\.cu\.o$' && LIBS="$LIBS -L$CUDA_HOME/lib64 -Wl,-rpath,$CUDA_HOME/lib64 -lcudnn -lcublasLt -lcublas -lcudart -lstdc++"
cc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/include" -I"$ROOT/src" -o "$BIN" "$ROOT/bench/decode-nms.c" "$LIB" $LIBS -pthread
CMD="taskset -c 0 $BIN ${*:-1000 0.25 20}"
OUT=$($CMD)
echo "$OUT"
if [ $RECORD -eq 1 ]; then
    R="$ROOT/bench/results/decode-nms.md"
    [ -f "$R" ] || printf '# decode + NMS of yolov3-608 heads, one core\n\nGoal: under 2 ms (bench/decode-nms.c explains the synthetic heads).\n' >"$R"
    {
        echo
        echo "## $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
        echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
        echo "- command: bench/decode-nms.sh $BUILD --record ${*:-1000 0.25 20} ($CMD)"
        echo '```'
        echo "$OUT"
        echo '```'
    } >>"$R"
    echo "recorded in bench/results/decode-nms.md"
fi
