#!/usr/bin/env bash
# Device call V (session 21, issue 16): bench/device/int8.sh's yolov3-416 rows alone, with the whole call: fp16,
# int8 default CLI, --calib, and the CUDA --min-map 0.95 search (two folds, the int8 hand-off now the default) with
# up to V3_SEARCH_S (380) s, then every plan's staged speed at batch 32. The CUDA goal: >= 0.95 held out
# and <= 0.90x fp16's time. What to read: int8-cuda.md's yolov3-416 rows and the build's --min-map lines.
# Run: `CALL_COMMIT=<commit> LIMIT=585 NEED_V=560 bash bench/device/chain.sh V` with carry [".devcarry"], timeout_s 600.
set -u
source bench/device/call-lib.sh
call_start callV
int8_rows 570 SKIP_YF=1 SYNTH_MODELS="yolov3-416" BUDGET_S=560 V3_SEARCH_S="${V3_SEARCH_S:-380}"
el done
