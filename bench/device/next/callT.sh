#!/usr/bin/env bash
# Device call T (session 15, issue 13; audit gap 8): time to the first detection from a yolov3-416 fp16 batch-32
# CUDA plan (<= 1.0 s; last measured in session 10 at 0.69 s, before sessions 13-14 moved the load and the stages),
# and `darkrt inspect` of that real CUDA plan with the GPU hidden (CUDA_VISIBLE_DEVICES empty; <= 0.1 s, no GPU
# needed: inspect-time.md measured a CPU plan with a CUDA header). bench/device/ttfd.sh, 125 s at most.
# What to read: TTFD_MEDIAN threads=8 (the default), INSPECT gpu_hidden=1 exit=0 s=..., CUDA_PLAN_LOAD exit=0.
# Run: `CALL_COMMIT=<commit> bash bench/device/next/callT.sh` with carry [".devcarry"] (timeout_s 140), or as chain.sh's T.
set -u
source bench/device/call-lib.sh
call_start callT
mkdir -p /tmp/ttfd
OUT=/tmp/ttfd timeout -k 5 125 bash bench/device/ttfd.sh >/tmp/ttfd/ttfd.log 2>&1
el "ttfd.sh rc=$?"; cp /tmp/ttfd/ttfd.txt "$OUT/ttfd.txt"; tail -c 6000 /tmp/ttfd/ttfd.log >"$OUT/ttfd.log"
grep -E '^TTFD_MEDIAN|^INSPECT|^CUDA_PLAN_LOAD' /tmp/ttfd/ttfd.txt | tee -a "$LOG"
el done
