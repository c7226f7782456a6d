#!/usr/bin/env bash
# Device call W (session 22, issue 16): calls A and V in one: bench/device/int8.sh's yolov3-416 rows on
# bench/int8-models.sh's judgeable weights (--head-shift -5 --box-scale 0.1, dense views left out): fp16, int8
# --calib sym, int8 --calib --int8-activations asym (zero points: their first GPU run), then the CUDA --min-map 0.95
# search (two folds, sym with the hand-off) with up to V3_SEARCH_S s, then every plan's staged speed at batch 32.
# The default CLI row is left out for time (DEFAULT_ROW=0). The CUDA goal: >= 0.95 held out and <= 0.90x
# fp16's time. What to read: int8-cuda.md's rows, the build's --min-map lines, int8-logs.txt.gz.
# Run: `CALL_COMMIT=<commit> LIMIT=590 NEED_W=560 bash bench/device/chain.sh W` with carry [".devcarry"], timeout_s 600.
set -u
source bench/device/call-lib.sh
call_start callW
int8_rows 575 SKIP_YF=1 SYNTH_MODELS="yolov3-416" BUDGET_S=565 V3_SEARCH_S="${V3_SEARCH_S:-330}" DEFAULT_ROW=0 \
    ASYM_ROW=1 GOLDEN=0
el done
