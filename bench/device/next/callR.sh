#!/usr/bin/env bash
# Next device call R (session 14): run it FIRST. Session 14 moved the CUDA engine's per-batch stage buffers into each
# run state and made every device stage take the run state it works on (12dde28, 9d44940; ctx NULL = the engine's
# own, meant to be today's path exactly) without a GPU: the golden tests of the CUDA path, before any benchmark
# trusts the binaries. Each test alone, 90 s at most (their last runs took 6-60 s): cuda-stages (pre/post stages
# against the host), cuda-frames (8-bit frames, staging), cuda-contexts (contexts of one engine, heads bit for bit),
# cuda-nv12 (NVDEC frames on the GPU), cuda-plan-load (a plan's load, batches 1..8), cuda-pipeline (the pipeline's
# boxes, with DRT_PIPELINE_CONTEXTS=1's checks; call G runs it again after its benchmark). Every line they print
# is kept; a FAIL here means the session-14 refactor broke the default CUDA path: stop and look before G and H.
# Run: `CALL_COMMIT=<main's commit the bundle was built from> bash bench/device/next/callR.sh` with carry
# [".devcarry"] and timeout_s 420 (~100-300 s of device time).
set -u
source bench/device/call-lib.sh
call_start callR
for t in cuda-stages cuda-frames cuda-contexts cuda-nv12 cuda-plan-load cuda-pipeline; do golden_run "$t" 90; done
el done
