#!/usr/bin/env bash
# Next device call A (written in session 11, when no device was lent): correctness on the GPU, at most 330 s.
#   1. tests/golden/cuda-vs-ref's core, layers (now with YOLOv1's tiny-yolo and t1.test, the CUDA refusals of [local]
#      and [crnn] (crnn.cfg), and session 12's xnor=1 kernel: tests/alexeyab/xnor.cfg fp32 within 1e-3, its fp16 ratio
#      printed) and yolov3 parts side by side (bench/device/cuda-vs-ref.sh's way, 120 s each), then its alexeyab part
#      ALONE (cut at 120 s beside the others in session 10; the issue-18 check left);
#   2. bench/device/wsum-cpu.sh (60 s, CPU only: the row-parallel weighted-shortcut kernel on 16 cores).
# Run: `CALL_COMMIT=<the commit the bundle was built from> bash bench/device/next/callA.sh` with carry [".devcarry"].
set -u
source bench/device/call-lib.sh
call_start callA
part() { # NAME TIMEOUT: one cuda-vs-ref part, its log copied to $OUT as it grows
    local s=$(date +%s)
    timeout -k 5 "$2" "$DRT_BIN/cuda-vs-ref" "$1" >"/tmp/vs-$1.log" 2>&1
    echo "CUDA-VS-REF $1 rc=$? ($(( $(date +%s) - s )) s)" >>"/tmp/vs-$1.log"
}
( while sleep 5; do for p in core layers yolov3 alexeyab; do cp "/tmp/vs-$p.log" "$OUT/cuda-vs-ref-$p.log" 2>/dev/null; done; done ) & CP=$!
el "cuda-vs-ref core, layers, yolov3 side by side (120 s each)"
part core 120 & P1=$!; part layers 120 & P2=$!; part yolov3 120 & P3=$!
wait $P1 $P2 $P3
el "cuda-vs-ref alexeyab alone (150 s)"
part alexeyab 150
kill $CP 2>/dev/null
for p in core layers yolov3 alexeyab; do cp "/tmp/vs-$p.log" "$OUT/cuda-vs-ref-$p.log"; tail -n 1 "/tmp/vs-$p.log" | tee -a "$LOG"; done
el "wsum-cpu.sh (65 s)"
OUT=/tmp/wsum timeout -k 3 65 bash bench/device/wsum-cpu.sh >/tmp/wsum.log 2>&1
el "wsum-cpu.sh rc=$?"; tail -c 8000 /tmp/wsum.log >"$OUT/wsum.log"
el done
