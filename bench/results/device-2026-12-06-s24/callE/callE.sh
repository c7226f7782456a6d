#!/usr/bin/env bash
# Device call E (session 24, issue 16): what plain `--min-map 0.95` (the CUDA default, sym) gives today beside
# `--int8-activations asym` again. On the rule's convs (3x3, >= 128 channels: all padded) the two build the same
# CUDA engine (zero points go only into convs that pad nothing); the searches differ in their CPU ranking (asym there
# with zero points) and in where the validation's noise falls: session 22's sym search passed keep-none at bound
# 0.977 (target 0.975) and held out 0.944; call C's asym search failed keep-none (bound 0.886), kept 8, held out 0.991.
# Run: `CALL_COMMIT=<commit> LIMIT=585 bash bench/device/next/callE.sh` with carry [".devcarry"], timeout_s 600.
set -u
source bench/device/call-lib.sh
call_start callE
rows=$(( ${LIMIT:-585} - 10 ))
int8_rows "$rows" SKIP_YF=1 SYNTH_MODELS="yolov3-416" BUDGET_S=$(( rows - 5 )) V3_SEARCH_S=${V3_SEARCH_S:-250} \
    DEFAULT_ROW=0 CALIB_ROW=0 ASYM_ROW=0 SEARCH=1 ASYM_SEARCH=1 GOLDEN=0
grep -h 'no plan ran\|CUDA error\|^min-map: cuda\|int8 activations\|^darkrt build' /tmp/i8/int8-logs.txt 2>/dev/null | cut -c1-220 | head -60 | tee -a "$LOG"
el done
