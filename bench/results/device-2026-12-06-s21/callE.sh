#!/usr/bin/env bash
# Device call E (session 21, issue 13): e2e-fast's whole-process rows with today's defaults only (the int8 hand-off
# does not touch these fp16 plans): yolo-fastest-1.1 and yolov3-416 on 8000 mixed JPEGs (CPU and nvJPEG decode),
# yolo-fastest on all 24000 (the issue's >= 4000 img/s on an H200; an H100 gave 3982-4332), the PyTorch peer, and
# the stall watch (stall-*.txt: threads, kernel waits, ticker lines of any detect still running after 12 s: the
# 24000-image overruns of sessions 16 and 18).
# Run: `CALL_COMMIT=<commit> LIMIT=585 NEED_E=280 bash bench/device/chain.sh E` with carry [".devcarry"].
set -u
source bench/device/call-lib.sh
call_start callE
e2e_fast_rows "${LIMIT_E:-300}" COUNT=8000 BIG_COUNT=24000 IMAGES_S=120 REPS=1 PEERS=1 GOLDEN=0 \
    BUDGET_S=$(( ${LIMIT_E:-300} - 10 )) VARIANTS="old"
el done
