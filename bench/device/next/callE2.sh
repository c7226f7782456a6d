#!/usr/bin/env bash
# Device call E2 (session 21, issue 13): call E once more with the PyTorch peer for both models (PEER_MODELS) and
# every darkrt row twice (variant "again": today's defaults again, DRT_REPEAT_LABEL=1 does nothing), so that
# yolov3-416's ratio to PyTorch and yolo-fastest's 4000 img/s on 24000 JPEGs come from one run, twice.
# Run: `CALL_COMMIT=<commit> LIMIT=585 NEED_E2=280 bash bench/device/chain.sh E2` with carry [".devcarry"].
set -u
source bench/device/call-lib.sh
call_start callE2
e2e_fast_rows "${LIMIT_E:-300}" COUNT=8000 BIG_COUNT=24000 IMAGES_S=120 REPS=1 PEERS=1 GOLDEN=0 \
    PEER_MODELS="yolo-fastest-1.1 yolov3-416" BUDGET_S=$(( ${LIMIT_E:-300} - 10 )) \
    VARIANTS="${E2_VARIANTS:-old again}" VARIANT_ENV_again="DRT_REPEAT_LABEL=1"
el done
