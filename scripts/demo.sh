#!/usr/bin/env bash
# make demo: yolo-fastest-1.1 on Darknet's dog.jpg: inspect the model, detect (out/bboxes.png and
# out/bboxes.json), then compare the reference forward pass with the fastest engines available here
# (cuda-fp16 on a GPU, else cpu-fp32; and cpu-int8), with PyTorch and ONNX Runtime as peers when their
# Pythons are installed: the table on stdout, out/report.html and out/report.json.
# Usage: scripts/demo.sh BUILD_DIR   (the build `make` made; default build)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
DARKRT="$BUILD/darkrt"
SHARED=$(cd "${DRT_SHARED:-$ROOT/../shared}" 2>/dev/null && pwd || echo "${DRT_SHARED:-$ROOT/../shared}")
MODEL_DIR="$SHARED/models/yolo-fastest-1.1"
CFG="$MODEL_DIR/yolo-fastest-1.1.cfg"
WEIGHTS="$MODEL_DIR/yolo-fastest-1.1.weights"
NAMES="$MODEL_DIR/coco.names"
IMAGE=${DEMO_IMAGE:-/usr/share/darknet/data/dog.jpg}
OUT="$ROOT/out"
RUNS=${DEMO_RUNS:-20}
status=0

header() { printf '\n\033[1m==== %s ====\033[0m\n' "$*"; }
step() { # step NAME CMD...: runs the command, notes a failure and goes on
    local name=$1; shift
    "$@" || { echo "demo: $name failed (exit $?)" >&2; status=1; }
}

[ -x "$DARKRT" ] || { echo "demo: $DARKRT is not built (run make first)" >&2; exit 1; }
for f in "$CFG" "$WEIGHTS" "$NAMES" "$IMAGE"; do
    [ -f "$f" ] || { echo "demo: $f: missing" >&2; exit 1; }
done
mkdir -p "$OUT"

header "darkrt inspect yolo-fastest-1.1"
step inspect "$DARKRT" inspect "$CFG" --weights "$WEIGHTS" --names "$NAMES"

header "darkrt detect $(basename "$IMAGE") -> out/bboxes.png, out/bboxes.json"
step detect "$DARKRT" detect "$CFG" --weights "$WEIGHTS" --names "$NAMES" "$IMAGE" \
    -o "$OUT/bboxes.png" --json "$OUT/bboxes.json"

# Peers: PyTorch (Debian's python3-torch) and ONNX Runtime (pip) on the same weights and image.
peers=()
header "peers: PyTorch and ONNX Runtime on the same weights"
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    step pytorch /usr/bin/python3 "$ROOT/bench/peers/pytorch_peer.py" --cfg "$CFG" --weights "$WEIGHTS" \
        --names "$NAMES" --runs "$RUNS" --warmup 2 --threads "$(nproc)" "$IMAGE" -o "$OUT/peer-pytorch.json" \
        && peers+=(--peer-json "$OUT/peer-pytorch.json")
else
    echo "demo: no PyTorch for /usr/bin/python3: no PyTorch column"
fi
if python3 -c 'import onnxruntime' 2>/dev/null && "$DARKRT" convert "$CFG" "$WEIGHTS" -o "$OUT/yolo-fastest-1.1.onnx" >/dev/null; then
    step onnxruntime python3 "$ROOT/bench/peers/ort_peer.py" --onnx "$OUT/yolo-fastest-1.1.onnx" --cfg "$CFG" \
        --names "$NAMES" --runs "$RUNS" --warmup 2 --threads "$(nproc)" "$IMAGE" -o "$OUT/peer-ort.json" \
        && peers+=(--peer-json "$OUT/peer-ort.json")
else
    echo "demo: no onnxruntime or no ONNX export: no ONNX Runtime column"
fi

header "darkrt compare: the reference vs the optimized engines available here"
step compare "$DARKRT" compare "$CFG" "$IMAGE" --weights "$WEIGHTS" --names "$NAMES" \
    --engines 'ref,cuda-fp16|cpu-fp32,cpu-int8' --runs "$RUNS" --warmup 2 "${peers[@]}" \
    --json "$OUT/report.json" --html "$OUT/report.html"

header "outputs"
ls -l "$OUT" | sed 1d
exit $status
