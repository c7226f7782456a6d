#!/usr/bin/env bash
# The CUDA backend as a module (issue 17) on a GPU machine, and a yolov3 plan's time to first
# detection (issue 13). At most 120 seconds. From the repository root: bash bench/device/modules.sh
# Env: DRT_BIN (darkrt, libdarkrt-cuda.so, and tests/golden/cuda-* or cuda-* test programs, all from
# one CUDA build), DRT_DATA (cfg/, data/, models/yolo-fastest-1.1/), OUT (results), LD_LIBRARY_PATH.
# Prints MODULE, TEST, DETECT and TTFD lines; writes them to $OUT/modules.txt too.
# 1. darkrt and libdarkrt.so do not link CUDA; the module exports only its entry;
# 2. (run last, in the time left) the GPU tests (tests/golden/cuda-*; DRT_CUDA_TEST_QUICK) through the module;
# 3. darkrt detect with a yolo-fastest-1.1 CUDA fp16 plan: the device used and its detections
#    beside the CPU's (same classes, boxes within 2 px); DRT_MODULE_DIR=/nonexistent: one error line;
# 4. time to first detection (process start to the image's "N objects in" line) of a yolov3-416 fp16
#    batch-32 CUDA plan (weights from darkrt synth), median of 5; issue 13's goal is 1.0 s.
set -u
BIN=${DRT_BIN:?DRT_BIN}; DATA=${DRT_DATA:?DRT_DATA}; OUT=${OUT:-/tmp/modules-out}
T0=$(date +%s.%N)
mkdir -p "$OUT/w"; W=$OUT/w; RES=$OUT/modules.txt; : >"$RES"
log() { echo "$*" | tee -a "$RES"; }
now() { date +%s.%N; }
DARKRT=$BIN/darkrt; DOG=$DATA/data/dog.jpg
FCFG=$DATA/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg; FW=$DATA/models/yolo-fastest-1.1/yolo-fastest-1.1.weights
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
log "# $(date -u '+%Y-%m-%d %H:%M UTC') ${gpu:-no GPU}, $(nproc) CPUs, commit $(git rev-parse --short HEAD 2>/dev/null)"

# 1. what links CUDA
command -v readelf >/dev/null || log "MODULE note: no readelf here: the link checks say nothing"
for f in "$DARKRT" "$BIN/libdarkrt.so"; do
    [ -e "$f" ] || continue
    cu=$(readelf -d "$f" 2>/dev/null | grep -oE 'lib(cudart|cudnn|cublas)[^]]*' | tr '\n' ' ')
    log "MODULE $(basename "$f") links CUDA: ${cu:-no}"
done
[ -f "$BIN/libdarkrt-cuda.so" ] || { log "MODULE FAIL: no $BIN/libdarkrt-cuda.so"; exit 1; }
command -v nm >/dev/null && log "MODULE libdarkrt-cuda.so exports: $(nm -D --defined-only "$BIN/libdarkrt-cuda.so" | awk '{print $3}' | tr '\n' ' ')"
if [ -z "$gpu" ]; then log "SKIP the rest: no GPU (nvidia-smi)"; exit 0; fi

# 3. detect through the module
"$DARKRT" build "$FCFG" -w "$FW" --device cuda --precision fp16 -o "$W/yf.plan" 2>&1 | tail -n 1 | sed 's/^/DETECT build: /' | tee -a "$RES"
"$DARKRT" detect "$W/yf.plan" "$DOG" --no-draw -j "$W/gpu.json" >"$W/gpu.txt" 2>&1; rc=$?
log "DETECT cuda plan rc=$rc: $(grep -m1 -i 'engine\|device' "$W/gpu.txt")"
"$DARKRT" detect "$FCFG" -w "$FW" "$DOG" --no-draw -j "$W/cpu.json" >/dev/null 2>&1
python3 - "$W/gpu.json" "$W/cpu.json" <<'PY' | tee -a "$RES"
import json, sys
g, c = (json.load(open(p))[0]["detections"] for p in sys.argv[1:3])
key = lambda d: (d["class_id"], [d["box"][k] for k in ("x1", "y1", "x2", "y2")])
gs, cs = sorted(map(key, g), key=str), sorted(map(key, c), key=str)
same = len(gs) == len(cs) and all(a[0] == b[0] and max(abs(x - y) for x, y in zip(a[1], b[1])) <= 2 for a, b in zip(gs, cs))
print(f"DETECT cuda fp16 {len(g)} boxes, cpu fp32 {len(c)} boxes: {'same classes, boxes within 2 px' if same else 'DIFFER'}")
PY
DRT_MODULE_DIR=/nonexistent "$DARKRT" detect "$W/yf.plan" "$DOG" --no-draw >/dev/null 2>"$W/nomod.txt"; rc=$?
log "DETECT without the module: rc=$rc, $(wc -l <"$W/nomod.txt") line: $(head -c 200 "$W/nomod.txt")"

# 4. yolov3-416 fp16 batch 32: time to first detection
"$DARKRT" synth "$DATA/cfg/yolov3.cfg" -o "$W/yolov3.weights" >/dev/null 2>&1
s=$(now)
timeout 50 "$DARKRT" build "$DATA/cfg/yolov3.cfg" -w "$W/yolov3.weights" --device cuda --precision fp16 --size 416x416 --batch 32 \
    -o "$W/v3.plan" 2>&1 | tail -n 1 | sed 's/^/TTFD build: /' | tee -a "$RES"
log "TTFD build took $(awk "BEGIN{printf \"%.1f\", $(now) - $s}") s"
ts=()
for i in 1 2 3 4 5 6; do # the first run warms the page cache and is not counted
    t=$(now)
    first=$(timeout 10 stdbuf -oL "$DARKRT" detect "$W/v3.plan" "$DOG" -t 0.01 --no-draw 2>/dev/null | { grep -m1 -q 'objects in' && now; })
    [ -n "$first" ] || { log "TTFD run $i: no detection line"; continue; }
    [ $i -gt 1 ] && ts+=("$(awk "BEGIN{printf \"%.3f\", $first - $t}")")
done
med=$(printf '%s\n' "${ts[@]}" | sort -n | sed -n "$(( (${#ts[@]} + 1) / 2 ))p")
log "TTFD yolov3-416 fp16 batch 32 CUDA plan: median ${med:-none} s of ${#ts[@]} (${ts[*]}); goal <= 1.0 s"

# 2. the GPU tests, last, in the time left (20 s each at most; those that do not fit are listed)
export DRT_SHARED=$DATA DRT_DN_CFG=$DATA/cfg DRT_DN_DATA=$DATA/data DRT_CUDA_TEST_QUICK=1 DRT_DATA=$W
for t in "$BIN"/tests/golden/cuda-* "$BIN"/cuda-*; do
    [ -x "$t" ] && [ -f "$t" ] && [[ "$t" != *.so ]] || continue
    left=$(awk "BEGIN{print int($T0 + 115 - $(now))}")
    [ "$left" -ge 10 ] || { log "TEST $(basename "$t") not run (out of time)"; continue; }
    s=$(now); timeout $((left < 20 ? left : 20)) "$t" >"$W/$(basename "$t").log" 2>&1; rc=$?
    r=$([ $rc = 0 ] && echo PASS || { [ $rc = 77 ] && echo SKIP || echo "FAIL rc=$rc"; })
    log "TEST $(basename "$t") $r $(awk "BEGIN{printf \"%.1f s\", $(now) - $s}") $(tail -n 1 "$W/$(basename "$t").log" | cut -c1-160)"
done
