#!/usr/bin/env bash
# Next device call H (session 14, issue 13): where yolo-fastest's fixed costs go, and a folder large enough to spread
# them. Session 13's call B (bench/results/e2e-gpu.md) took 2.82 s for 8000 JPEGs: 1.05 s to the first result
# (context 0.25, engine 0.44, waiting for nvJPEG 0.25), 1.31 s detecting (~6100 img/s), 0.46 s of teardown and exit.
# bench/device/e2e-fast.sh with REPS=1, the PyTorch peer, no golden test (call G runs it), every TIMELINE line (the
# CUDA build's steps: which part of the 0.44 s is the stored cuDNN plans, the buffers, the graph), three variants in
# turn: today's defaults (old), DRT_CLI_FAST_EXIT=1 alone (exit), DRT_NVJPEG_NO_WAIT=1 alone (nowait) (session 13
# measured them only all four switches together); round 1's eight rows each, then yolo-fastest --decode gpu on all
# 24000 images (BIG_COUNT: the issue asks for at least 2000; start and end spread over three times as many).
# What to read: SUMMARY lines; per variant wall_s against the TIMELINE's "detect: first result printed" and
# "detect: outputs closed"; the 24000 rows' img_per_s against 8000's.
# Run: `CALL_COMMIT=<main's commit the bundle was built from> bash bench/device/next/callH.sh` with carry
# [".devcarry"] and timeout_s 260 (~200 s of device time; e2e-fast budgets itself to 230 s).
set -u
source bench/device/call-lib.sh
call_start callH
mkdir -p /tmp/e2e
( while sleep 10; do cp /tmp/e2e/results.txt "$OUT/e2e-results.txt" 2>/dev/null; done ) & CP=$!
OUT=/tmp/e2e COUNT=8000 BIG_COUNT=24000 IMAGES_S=120 REPS=1 PEERS=1 GOLDEN=0 FULL_TIMELINE=1 BUDGET_S=230 \
    VARIANTS="old exit nowait" VARIANT_ENV_exit="DRT_CLI_FAST_EXIT=1" VARIANT_ENV_nowait="DRT_NVJPEG_NO_WAIT=1" \
    timeout -k 5 240 bash bench/device/e2e-fast.sh >/tmp/e2e/e2e.log 2>&1
el "e2e-fast.sh rc=$?"
kill $CP 2>/dev/null; cp /tmp/e2e/results.txt "$OUT/e2e-results.txt"
grep '^SUMMARY' /tmp/e2e/results.txt | tee -a "$LOG"
tail -c 30000 /tmp/e2e/e2e.log >"$OUT/e2e.log"
el done
