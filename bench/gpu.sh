#!/usr/bin/env bash
# darkrt's CUDA engine against PyTorch on the same GPU and the same weights, in one run:
# yolov3 at 416 and 608 and yolov3-tiny-416 (weights from `darkrt synth`), yolo-fastest-1.1 (its
# real weights; yolo-fastest-1.1-t0.01: the same at score threshold 0.01, thousands of boxes into NMS);
# batch 1, 8, 32; darkrt fp16 and int8 (and fp32 for yolov3-416 at batch 1 and 32), PyTorch
# eager fp32, fp16 channels_last +
# CUDA graph, and torch.compile (yolov3-416 only: it takes minutes per shape).
#   bench/gpu.sh BIN_DIR DATA_DIR OUT_DIR
# BIN_DIR: darkrt and gpu-bench (build: see below); DATA_DIR: cfg/ (Debian's darknet cfgs),
# models/yolo-fastest-1.1/, data/dog.jpg. Writes OUT_DIR/results.txt (RESULT lines), profiles
# and OUT_DIR/gpu.md (the tables). darkrt's end to end is timed with letterbox, decode and NMS on the
# host and on the GPU (gpu-bench, drt_detect_batch). Subsets: MODELS="yolov3-416 ..." BATCHES="1 8 32" PRECS="fp16 int8 fp32"
# COMPILE=0 PEERS=0 (darkrt only). int8 calibrates on dog.jpg's directory (DATA/data).
# gpu-bench is built from bench/gpu-bench.c against a CUDA build of libdarkrt, with the CUDA backend
# linked in (it times the backend's internals; darkrt itself loads libdarkrt-cuda.so):
#   make BUILD=build-cuda && cc -Iinclude -Isrc -I/usr/local/cuda/include -D_GNU_SOURCE -O2 \
#     -o build-cuda/gpu-bench bench/gpu-bench.c build-cuda/libdarkrt-cuda.a build-cuda/libdarkrt.a \
#     -pthread $(make -s print-libs print-cuda-libs)
set -u
BIN=${1:?BIN_DIR}; DATA=${2:?DATA_DIR}; OUT=${3:?OUT_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT/w"
MODELS=${MODELS:-"yolov3-416 yolov3-608 yolov3-tiny-416 yolo-fastest-1.1"}
BATCHES=${BATCHES:-"1 8 32"}
COMPILE=${COMPILE:-1}
PEERS=${PEERS:-1}
PRECS=${PRECS:-"fp16 int8 fp32"}
PY=${PYTHON:-python3}
RES="$OUT/results.txt"
: >"$RES"
IMG="$DATA/data/dog.jpg"

model_args() { # cfg weights size thresh for a model name
    case $1 in
    yolov3-416) echo "$DATA/cfg/yolov3.cfg $OUT/w/yolov3.weights 416 1.0" ;;
    yolov3-608) echo "$DATA/cfg/yolov3.cfg $OUT/w/yolov3.weights 608 1.0" ;;
    yolov3-tiny-416) echo "$DATA/cfg/yolov3-tiny.cfg $OUT/w/yolov3-tiny.weights 416 1.0" ;;
    yolo-fastest-1.1) echo "$DATA/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg $DATA/models/yolo-fastest-1.1/yolo-fastest-1.1.weights 320 0.25" ;;
    yolo-fastest-1.1-t0.01) echo "$DATA/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg $DATA/models/yolo-fastest-1.1/yolo-fastest-1.1.weights 320 0.01" ;;
    esac
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC') $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)" | tee -a "$RES"
for m in yolov3 yolov3-tiny; do # synthesised weights (their heads saturate the logistic: thresh 1.0 keeps NMS out of their timings)
    "$BIN/darkrt" synth "$DATA/cfg/$m.cfg" -o "$OUT/w/$m.weights" --seed 1 >/dev/null || echo "# synth $m failed" | tee -a "$RES"
done

# Same weights on both sides: darkrt CUDA fp32 heads vs PyTorch fp32 on darkrt's --random input.
"$BIN/darkrt" run "$DATA/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg" -w "$DATA/models/yolo-fastest-1.1/yolo-fastest-1.1.weights" \
    --device cuda --random 1 -o "$OUT/w/fastest-heads.f32" >/dev/null &&
    $PY "$ROOT/bench/peers/torch_gpu.py" --cfg "$DATA/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg" \
        --weights "$DATA/models/yolo-fastest-1.1/yolo-fastest-1.1.weights" --label yolo-fastest-1.1 \
        --check "$OUT/w/fastest-heads.f32" --modes none --batches 1 2>&1 | grep -E 'CHECK|#|Error' | tee -a "$RES"

for name in $MODELS; do
    read -r cfg w size thresh <<<"$(model_args "$name")"
    for b in $BATCHES; do
        iters=$([ "$b" -eq 1 ] && echo 300 || echo 100)
        for p in $PRECS; do
            [ "$p" = fp32 ] && { [ "$name" != yolov3-416 ] || [ "$b" -eq 8 ]; } && continue # fp32: context only
            extra=()
            [ "$p" != fp32 ] && { [ "$b" -eq 1 ] || [ "$b" -eq 32 ]; } && [ "$name" = yolov3-416 ] && extra=(--profile)
            [ "$p" = int8 ] && extra+=(--calib "$DATA/data")
            timeout 200 "$BIN/gpu-bench" --cfg "$cfg" --weights "$w" --size "$size" --precision $p --batch "$b" --iters "$iters" \
                --image "$IMG" --thresh "$thresh" --label "$name" "${extra[@]}" >"$OUT/darkrt-$name-$p-b$b.txt" 2>&1
            grep -h RESULT "$OUT/darkrt-$name-$p-b$b.txt" | tee -a "$RES" || tail -n 3 "$OUT/darkrt-$name-$p-b$b.txt"
        done
    done
    [ "$PEERS" = 1 ] && $PY "$ROOT/bench/peers/torch_gpu.py" --cfg "$cfg" --weights "$w" --size "$size" --label "$name" \
        --batches "$(echo $BATCHES | tr ' ' ,)" --modes eager32,fp16graph --iters 100 2>&1 | grep -E 'RESULT|#' | tee -a "$RES"
    if [ "$PEERS" = 1 ] && [ "$COMPILE" = 1 ] && [ "$name" = yolov3-416 ]; then # minutes per shape: batch 1 only
        timeout 300 $PY "$ROOT/bench/peers/torch_gpu.py" --cfg "$cfg" --weights "$w" --size "$size" --label "$name" \
            --batches 1 --modes compile --iters 100 2>&1 | grep -E 'RESULT|#' | tee -a "$RES"
    fi
done
$PY "$ROOT/bench/gpu-table.py" "$RES" >"$OUT/gpu.md" && cat "$OUT/gpu.md"
rm -rf "$OUT/w"
