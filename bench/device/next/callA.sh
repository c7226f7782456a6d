#!/usr/bin/env bash
# Device call A (session 25, issue 16): does an int8 plan make what users run faster? yolov3-416 (synthesised
# weights, seed 1) as fp16 and as int8 plans (batch 32, calibrated on Darknet's sample images), each timed by
# `darkrt bench` (staged batch 32: the engine alone) and through `darkrt detect PLAN DIR --pre gpu --post gpu`
# on bench/e2e-gpu-images.py's 8000 mixed JPEGs, whole process (bench/device/e2e-fast.sh), CPU and nvJPEG decode,
# two rounds in alternating order, with the PyTorch peer in the same run.
# Run: `CALL_COMMIT=<commit> LIMIT=300 bash bench/device/next/callA.sh` with carry [".devcarry"], timeout_s 330.
set -u
source bench/device/call-lib.sh
call_start callA
rows=$(( ${LIMIT:-300} - 70 ))
e2e_fast_rows "$rows" BUDGET_S=$(( rows - 5 )) VARIANTS=old PLANS="yolov3-416 yolov3-416-int8" KEEP_PLANS=/tmp/plans \
    ROUND1="yolov3-416:cpu yolov3-416-int8:cpu yolov3-416:gpu yolov3-416-int8:gpu" \
    ROUND2="yolov3-416-int8:cpu yolov3-416:cpu yolov3-416-int8:gpu yolov3-416:gpu" PEER_MODELS=yolov3-416 GOLDEN=0
grep -h '^BUILD\|^TIME ' "$OUT/e2e-results.txt" | cut -c1-260 | tee -a "$LOG"
for round in 1 2; do # the engines alone, staged batch 32 (the plans e2e-fast.sh kept)
    for p in yolov3-416 yolov3-416-int8; do
        [ -f /tmp/plans/$p.plan ] || continue
        timeout -k 5 30 "$DRT_BIN/darkrt" bench /tmp/plans/$p.plan --batch 32 --runs 20 >"$OUT/bench-$p-$round.txt" 2>&1
        el "BENCH $p round $round rc=$? $(grep -i 'staged\|batch 32' "$OUT/bench-$p-$round.txt" | tr '\n' ' ' | cut -c1-240)"
    done
done
el done
