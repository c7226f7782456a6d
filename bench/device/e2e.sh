#!/usr/bin/env bash
# The GPU end-to-end benchmark of record (issue 13) on the device, 420 s at most: bench/e2e-gpu.sh on
# 8000 mixed JPEGs (bench/e2e-gpu-images.py), yolov3-416 and yolo-fastest-1.1 fp16 batch-32 plans,
# two rounds alternating darkrt (the CLI and the pipeline API, JPEG decode on the CPU and on the GPU,
# two batches in flight and one) with the PyTorch peer (bench/peers/torch_e2e.py); whole-process wall
# time; then the pipeline on/off equivalence (every box) and nvJPEG's agreement with libjpeg. First the
# test tests/golden/cuda-pipeline (the same checks on Darknet's samples, 60 s at most).
#   source .devcarry/env.sh && bash bench/device/e2e.sh      (DRT_BIN, DRT_DATA, OUT; python3 with torch)
# Writes $OUT/results.txt (what it prints). COUNT, REPS and the rest of bench/e2e-gpu.sh's variables apply.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/e2e-gpu}
if ! nvidia-smi -L >/dev/null 2>&1; then echo "e2e: skipped: no GPU here"; exit 0; fi
mkdir -p "$OUT"
timeout 60 "$DRT_BIN/cuda-pipeline" 2>&1 | tee "$OUT/cuda-pipeline.txt" # the GPU pipeline's boxes first (tests/golden)
MODELS=${MODELS:-"yolo-fastest-1.1 yolov3-416"} COUNT=${COUNT:-8000} REPS=${REPS:-2} timeout 355 bash "$ROOT/bench/e2e-gpu.sh" "$DRT_BIN" "$DRT_DATA" "$OUT"
echo "e2e: exit $? after $SECONDS s; commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
