#!/usr/bin/env bash
# Device call Q (session 19): issue 16: bench/device/int8.sh's yolov3-416 rows (fp16, int8 default rule, --calib,
# --min-map 0.95 searched and confirmed, all staged at batch 32) with int8 convs handing int8 to the next int8 conv
# (DRT_CUDA_INT8_CHAIN=1; CHAIN=0: without; run it after call P has checked the hand-off);
# issue 13: e2e-fast's exact sequence (8 rows, the 24000-image rows, the PyTorch peer) with a stall watch (threads,
# kernel waits and ticker lines of any detect still running after 12 s: the overruns of sessions 16 and 18).
# What to read: int8-cuda.md's yolov3-416 rows; e2e SUMMARY lines and any stall-*.txt.
# Run: `CALL_COMMIT=<commit> LIMIT=585 NEED_Q=560 bash bench/device/chain.sh Q` with carry [".devcarry"], timeout_s 600.
set -u
source bench/device/call-lib.sh
call_start callQ
int8_rows 320 DRT_CUDA_INT8_CHAIN="${CHAIN:-1}" SKIP_YF=1 SYNTH_MODELS="yolov3-416" BUDGET_S=310 V3_SEARCH_S=190
left=$(( 570 - ($(date +%s) - T0) ))
e2e_fast_rows "$left" COUNT=8000 BIG_COUNT=24000 IMAGES_S=120 REPS=1 PEERS=1 GOLDEN=0 BUDGET_S=$(( left - 10 )) \
    VARIANTS="old nowait" VARIANT_ENV_nowait="DRT_NVJPEG_NO_WAIT=1"
el done
