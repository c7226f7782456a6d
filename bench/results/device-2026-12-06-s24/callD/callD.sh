#!/usr/bin/env bash
# Device call D (session 24, issue 16): does handing int8 from conv to conv (the CUDA default since session 20) cost
# held-out mAP on judgeable weights? golden/cuda-int8-map's sym hand-off line failed once in session 23's call B
# (heads 0.110 from fp32 with it, 0.088 without). int8.sh's yolov3-416 `--calib` row (sym, the default rule) with the
# hand-off, then with DRT_CUDA_INT8_CHAIN=0, each with its speed rows.
# Run: `CALL_COMMIT=<commit> LIMIT=400 bash bench/device/next/callD.sh` with carry [".devcarry"], timeout_s 420.
set -u
source bench/device/call-lib.sh
call_start callD
half=$(( (${LIMIT:-400} - 10) / 2 ))
for chain in 1 0; do
    el "DRT_CUDA_INT8_CHAIN=$chain"
    int8_rows "$half" DRT_CUDA_INT8_CHAIN=$chain SKIP_YF=1 SYNTH_MODELS="yolov3-416" BUDGET_S=$(( half - 5 )) \
        DEFAULT_ROW=0 CALIB_ROW=1 ASYM_ROW=0 SEARCH=0 ASYM_SEARCH=0 GOLDEN=0
    mv "$OUT/int8-cuda.md" "$OUT/int8-cuda-chain$chain.md"; mv "$OUT/int8-logs.txt.gz" "$OUT/int8-logs-chain$chain.txt.gz"
    mv "$OUT/int8.log" "$OUT/int8-chain$chain.log"
done
el done
