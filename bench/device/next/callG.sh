#!/usr/bin/env bash
# Next device call G (session 14, issue 13): the CUDA pipeline's second batch in flight on a context of its own
# (DRT_PIPELINE_CONTEXTS=1, off by default) against today's defaults. bench/device/e2e-fast.sh (read its header) with
# VARIANTS="old ctx" and no PyTorch peer (session 13's call B ran it: 339 img/s): 8000 mixed JPEGs, whole process,
# yolo-fastest-1.1 and yolov3-416 fp16 batch 32, --decode gpu and cpu, old and ctx interleaved (round 1: 8 rows with
# TIMELINE lines, round 2: yolo-fastest gpu and yolov3-416 cpu again); last tests/golden/cuda-pipeline, whose checks
# now include DRT_PIPELINE_CONTEXTS=1 (cpu decode every box equal to the host path, from an engine and from a plan;
# nvJPEG decode matched, copies equal, with and without DRT_NVJPEG_PREFETCH=1).
# What to read: PROFILE's batch_stage_ms (session 13: ~1000 of ~2300 ms wall for yolo-fastest --decode gpu) and
# after_first_line_img_per_s (3940-4249), ctx against old; a ctx row's TIMELINE has "pipeline: a context for every
# other batch made (N ms, for batch 3)" (else its stderr says why not) and its PROFILE context_batches=124 of
# batches=250 (every other batch from the fourth); CUDA_PIPELINE ok=N FAIL=0.
# Run: `CALL_COMMIT=<main's commit the bundle was built from> bash bench/device/next/callG.sh` with carry
# [".devcarry"] and timeout_s 240 (~170 s of device time; e2e-fast budgets itself to 195 s).
set -u
source bench/device/call-lib.sh
call_start callG
mkdir -p /tmp/e2e
( while sleep 10; do cp /tmp/e2e/results.txt "$OUT/e2e-results.txt" 2>/dev/null; done ) & CP=$!
OUT=/tmp/e2e VARIANTS="old ctx" PEERS=0 timeout -k 5 210 bash bench/device/e2e-fast.sh >/tmp/e2e/e2e.log 2>&1
el "e2e-fast.sh rc=$?"
kill $CP 2>/dev/null; cp /tmp/e2e/results.txt "$OUT/e2e-results.txt"; cp /tmp/e2e/cuda-pipeline.txt "$OUT/" 2>/dev/null
grep '^SUMMARY\|^CUDA_PIPELINE' /tmp/e2e/results.txt | tee -a "$LOG"
tail -c 30000 /tmp/e2e/e2e.log >"$OUT/e2e.log"
el done
