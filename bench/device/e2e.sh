#!/usr/bin/env bash
# The GPU end-to-end benchmark of record (issue 13) on the device, 420 s at most: bench/e2e-gpu.sh on
# 8000 mixed JPEGs (bench/e2e-gpu-images.py), yolov3-416 and yolo-fastest-1.1 fp16 batch-32 plans,
# two rounds alternating darkrt (the CLI and the pipeline API, JPEG decode on the CPU and on the GPU,
# two batches in flight and one) with the PyTorch peer (bench/peers/torch_e2e.py); whole-process wall
# time; then the pipeline on/off equivalence (every box) and nvJPEG's agreement with libjpeg. First the
# test tests/golden/cuda-pipeline (the same checks on Darknet's samples, 60 s at most).
#   source .devcarry/env.sh && bash bench/device/e2e.sh      (DRT_BIN, DRT_DATA, OUT; python3 with torch)
# Writes $OUT/results.txt (what it prints). COUNT, REPS and the rest of bench/e2e-gpu.sh's variables apply.
# E2E_QUICK=1: the diagnostics in about 3 minutes: the test twice (is nvJPEG's output the same each
# run?), 4000 images, one round, no PyTorch, no pipeline on/off; TTFD, PROFILE and REPEAT lines kept.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/e2e-gpu}
if ! nvidia-smi -L >/dev/null 2>&1; then echo "e2e: skipped: no GPU here"; exit 0; fi
mkdir -p "$OUT"
if [ "${E2E_QUICK:-0}" = 1 ]; then
    export COUNT=${COUNT:-4000} REPS=${REPS:-1} PEERS=${PEERS:-0} EQUIV=${EQUIV:-0} ONE_IN_FLIGHT=${ONE_IN_FLIGHT:-0} \
        EQ_COUNT=${EQ_COUNT:-300} WORKERS_SWEEP=${WORKERS_SWEEP-"12 24"}
    for i in 1 2; do timeout 40 "$DRT_BIN/cuda-pipeline" 2>&1 | sed "s/^/TEST run $i: /" | tee -a "$OUT/cuda-pipeline.txt"; done
else
    timeout 60 "$DRT_BIN/cuda-pipeline" 2>&1 | tee "$OUT/cuda-pipeline.txt" # the GPU pipeline's boxes first (tests/golden)
fi
# the full run keeps to 6 min: one batch in flight and the worker sweep are E2E_QUICK's (or set them)
ONE_IN_FLIGHT=${ONE_IN_FLIGHT:-0} WORKERS_SWEEP=${WORKERS_SWEEP-} \
MODELS=${MODELS:-"yolo-fastest-1.1 yolov3-416"} COUNT=${COUNT:-8000} REPS=${REPS:-2} timeout 355 bash "$ROOT/bench/e2e-gpu.sh" "$DRT_BIN" "$DRT_DATA" "$OUT"
echo "e2e: exit $? after $SECONDS s; commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
