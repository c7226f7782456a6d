#!/usr/bin/env bash
# Device check (issues 18, 13; at most 125 s): tests/golden/cuda-vs-ref in its four parts side by side, one process
# each (core: yolo-fastest-1.1 heads, fp16 detections on Darknet's 7 images with every unmatched box and its
# near-tie verdict, plan round trip, yolov3-tiny; layers: tests/alexeyab/*.cfg fp32 + fp16, YOLOv1's tiny-yolo and
# t1.test at 256, yolov1.cfg's [local] refused; alexeyab: enet-coco and
# yolov4-sam-mish-csp-reorg-bfm at 256; yolov3: yolov3-416), each cut at 120 s. Each part's log goes to
# $OUT/cuda-vs-ref/PART.log while it runs (copied every 5 s) and when it ends; each prints "part PART: T s, N failure(s)".
#   bash bench/device/cuda-vs-ref.sh      (from the repo root, after source .devcarry/env.sh)
# Env: DRT_BIN (the cuda-vs-ref program), OUT; DRT_SHARED, DRT_DN_CFG, DRT_DN_DATA from env.sh.
# Prints one "CUDA-VS-REF PART rc=N (T s)" line per part, then "cuda-vs-ref: N part(s) failed".
set -u
echo "cuda-vs-ref: time budget 125 s (4 parts in parallel, each at most 120 s)"
BIN=${DRT_BIN:?DRT_BIN}; OUT=${OUT:?OUT}
W="$OUT/cuda-vs-ref"
mkdir -p "$W"
T=$(mktemp -d)
PARTS=(core layers alexeyab yolov3)
for p in "${PARTS[@]}"; do
    ( s=$SECONDS; timeout -k 5 120 "$BIN/cuda-vs-ref" "$p" >"$T/$p.log" 2>&1; rc=$?
      echo "CUDA-VS-REF $p rc=$rc ($((SECONDS - s)) s)" >>"$T/$p.log"; cp "$T/$p.log" "$W/$p.log" ) &
done
( while sleep 5; do for p in "${PARTS[@]}"; do cp "$T/$p.log" "$W/$p.log" 2>/dev/null; done; done ) & COPIER=$!
wait $(jobs -p | grep -vx "$COPIER")
kill "$COPIER" 2>/dev/null
fails=0
for p in "${PARTS[@]}"; do
    cp "$T/$p.log" "$W/$p.log"
    grep -E "^(FAIL|part |    )|excused in all" "$T/$p.log"
    line=$(tail -n 1 "$T/$p.log")
    echo "$line" | tee -a "$W/results.txt"
    case "$line" in *" rc=0 "*) ;; *) fails=$((fails + 1)) ;; esac
done
echo "cuda-vs-ref: $fails part(s) failed" | tee -a "$W/results.txt"
rm -rf "$T"
