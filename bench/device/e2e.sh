#!/usr/bin/env bash
# The GPU end-to-end benchmark of record (issue 13) on the device, 360 s at most (E2E_QUICK=1: 180 s): bench/e2e-gpu.sh on
# 8000 mixed JPEGs (bench/e2e-gpu-images.py), yolov3-416 and yolo-fastest-1.1 fp16 batch-32 plans,
# two rounds alternating darkrt (the CLI and the pipeline API, JPEG decode on the CPU and on the GPU,
# two batches in flight and one) with the PyTorch peer (bench/peers/torch_e2e.py); whole-process wall
# time; then the pipeline on/off equivalence (every box) and nvJPEG's agreement with libjpeg. First the
# test tests/golden/cuda-pipeline (the same checks on Darknet's samples, and from a plan; 40 s at most).
#   source .devcarry/env.sh && bash bench/device/e2e.sh      (DRT_BIN, DRT_DATA, OUT; python3 with torch)
# Writes $OUT/results.txt (what it prints; a ROWS legend at the top, SUMMARY lines at the end: bench/e2e-summary.sh,
# also after a run the timeout cut short). COUNT, REPS and the rest of bench/e2e-gpu.sh's variables apply.
# E2E_QUICK=1: the diagnostics in at most 3 minutes: the test once, 4000 images, one round, no
# PyTorch, no pipeline on/off, no REPEAT; TTFD (median of 5), PROFILE and the LOAD_ROWS (the engine
# loaded first against loaded while the workers decode, and more items in flight) kept.
# Results reach $OUT as each line is made (results.txt, cuda-pipeline.txt); every step has a timeout.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/e2e-gpu}
if ! nvidia-smi -L >/dev/null 2>&1; then echo "e2e: skipped: no GPU here"; exit 0; fi
mkdir -p "$OUT"
if [ "${E2E_QUICK:-0}" = 1 ]; then
    echo "e2e: E2E_QUICK=1: budget 180 s (the test 35 s, bench/e2e-gpu.sh 140 s)"
    export COUNT=${COUNT:-4000} REPS=${REPS:-1} PEERS=${PEERS:-0} EQUIV=${EQUIV:-0} ONE_IN_FLIGHT=${ONE_IN_FLIGHT:-0} \
        EQ_COUNT=${EQ_COUNT:-300} WORKERS_SWEEP=${WORKERS_SWEEP-} REPEAT=${REPEAT:-0} INFLIGHT_SWEEP=${INFLIGHT_SWEEP-4096}
    timeout -k 5 35 "$DRT_BIN/cuda-pipeline" 2>&1 | tee "$OUT/cuda-pipeline.txt"
    LIMIT=140
else
    echo "e2e: budget 360 s (the test 40 s, bench/e2e-gpu.sh 315 s)"
    timeout -k 5 40 "$DRT_BIN/cuda-pipeline" 2>&1 | tee "$OUT/cuda-pipeline.txt" # the GPU pipeline's boxes first (tests/golden)
    LIMIT=315
fi
# the full run keeps to 6 min: one batch in flight, the worker sweep and REPEAT are left out (set them to have them)
# --decode fast was measured before (bench/results/device-2026-12-04): cpu, gpu and mixed here
DECODES=${DECODES:-"cpu gpu mixed"} ONE_IN_FLIGHT=${ONE_IN_FLIGHT:-0} WORKERS_SWEEP=${WORKERS_SWEEP-} REPEAT=${REPEAT:-0} \
MODELS=${MODELS:-"yolo-fastest-1.1 yolov3-416"} COUNT=${COUNT:-8000} REPS=${REPS:-2} timeout -k 5 $LIMIT bash "$ROOT/bench/e2e-gpu.sh" "$DRT_BIN" "$DRT_DATA" "$OUT"
rc=$?
[ $rc = 0 ] || timeout -k 1 4 bash "$ROOT/bench/e2e-summary.sh" "$OUT/results.txt" # cut short: the SUMMARY lines of what ran
echo "e2e: exit $rc after $SECONDS s; commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
