#!/usr/bin/env bash
# Issue 17, one compiler: CPU and CUDA plans built through the shared graph passes give the same
# detections, and the CUDA engine is as fast and as small as before (within 150 s on one GPU).
#   bash bench/device/compiler.sh        (from the repo root)
# Bundle: GPU_BENCH_BEFORE=/path/to/old/gpu-bench bash scripts/device-bundle.sh (the old one: bench/gpu-bench.c
# of 92eec02 linked against that commit's CUDA build, as bench/gpu.sh's header says).
# Env: DRT_BIN (darkrt, gpu-bench of a CUDA build; gpu-bench-before: gpu-bench built from the
# commit before the shared compiler, 92eec02), DRT_DATA (cfg/, data/, models/yolo-fastest-1.1/),
# OUT (results). Python: python3 with numpy (bench/device/compiler-agree.py).
# 1. Plans: yolov3-416 and yolov3-tiny (weights from `darkrt synth`), yolo-fastest-1.1 (real
#    weights); cpu fp32 + int8, cuda fp32 + fp16 + int8 (int8: the same 4 calibration images).
# 2. Agreement with the CPU fp32 plan: raw heads on one random input (all three models; fp32 must
#    agree to 1e-3 of the largest head value), detections on Darknet's sample images (yolo-fastest
#    at 0.25, yolov3-tiny at 0.8: fp32 must match box for box, IoU >= 0.99, scores +-0.01, except
#    boxes within 0.01 of the threshold; fp16 and int8 reported). yolov3-416's synthesised weights
#    saturate the logistic (about 400k boxes at score 1.0 per image): its check is the heads.
# 3. Speed and memory before/after: gpu-bench on yolov3-416 fp16, batch 1 and 32, before and after
#    interleaved (GPU median ms per batch, activations MiB).
# Prints RESULT/AGREE/HEADS lines and writes them to $OUT/compiler.txt; exit 1 if a required check fails.
set -u
: "${DRT_BIN:?DRT_BIN: folder with the CUDA-built binaries}" "${DRT_DATA:?DRT_DATA}" "${OUT:?OUT}"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W="$OUT/compiler"
RES="$OUT/compiler.txt"
mkdir -p "$W"
: >"$RES"
fails=0
say() { echo "$*" | tee -a "$RES"; }
agree() { python3 "$ROOT/bench/device/compiler-agree.py" "$@" | tee -a "$RES"; [ "${PIPESTATUS[0]}" -eq 0 ] || fails=$((fails + 1)); }

GPU=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)
say "# bench/device/compiler.sh $(date -u '+%Y-%m-%d %H:%M UTC') gpu: ${GPU:-none} cores: $(nproc)"
[ -n "$GPU" ] || say "# no GPU here: the CUDA plans, their agreement and the speed comparison are skipped"
export DRT_CALIB_MAX=4
DARKRT="$DRT_BIN/darkrt"
IMAGES=("$DRT_DATA"/data/{dog,horses,person,eagle,giraffe,kite}.jpg)

for m in yolov3 yolov3-tiny; do
    "$DARKRT" synth "$DRT_DATA/cfg/$m.cfg" -o "$W/$m.weights" --seed 1 >/dev/null || say "# synth $m failed"
done
model_args() { # name -> cfg, weights, size, detection threshold (none: heads only)
    case $1 in
    yolov3-416) echo "$DRT_DATA/cfg/yolov3.cfg $W/yolov3.weights 416 none" ;;
    yolov3-tiny) echo "$DRT_DATA/cfg/yolov3-tiny.cfg $W/yolov3-tiny.weights 416 0.8" ;;
    yolo-fastest-1.1) echo "$DRT_DATA/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg $DRT_DATA/models/yolo-fastest-1.1/yolo-fastest-1.1.weights 320 0.25" ;;
    esac
}

# One plan: built, run on a random input (heads), and run on the images (detections).
plan() { # name device precision
    local name=$1 dev=$2 prec=$3 cfg w size thresh
    read -r cfg w size thresh <<<"$(model_args "$name")"
    local p="$W/$name-$dev-$prec" t0=$SECONDS calib=()
    [ "$prec" = int8 ] && calib=(--calib "$DRT_DATA/data")
    if ! "$DARKRT" build "$cfg" -w "$w" --size "${size}x$size" --device "$dev" --precision "$prec" \
        "${calib[@]}" -o "$p.plan" >/dev/null 2>"$p.err"; then
        say "# $name $dev $prec: build failed: $(tail -1 "$p.err")"
        fails=$((fails + 1))
        return
    fi
    "$DARKRT" run "$p.plan" --random 1 -o "$p.f32" >/dev/null 2>>"$p.err" || say "# $name $dev $prec: run failed: $(tail -1 "$p.err")"
    if [ "$thresh" != none ]; then
        "$DARKRT" detect "$p.plan" "${IMAGES[@]}" --json "$p.json" --no-draw --thresh "$thresh" --max-det 0 >/dev/null 2>>"$p.err" ||
            say "# $name $dev $prec: detect failed: $(tail -1 "$p.err")"
    fi
    say "# $name $dev $prec: plan built and run in $((SECONDS - t0)) s"
}

for name in yolo-fastest-1.1 yolov3-tiny yolov3-416; do
    read -r cfg w size thresh <<<"$(model_args "$name")"
    plan "$name" cpu fp32
    plan "$name" cpu int8
    [ -n "$GPU" ] || continue
    for prec in fp32 fp16 int8; do plan "$name" cuda "$prec"; done
    ref="$W/$name-cpu-fp32"
    agree heads "$ref.f32" "$W/$name-cuda-fp32.f32" --label "$name cpu-fp32 vs cuda-fp32" --tol 1e-3
    agree heads "$ref.f32" "$W/$name-cuda-fp16.f32" --label "$name cpu-fp32 vs cuda-fp16"
    agree heads "$W/$name-cpu-int8.f32" "$W/$name-cuda-int8.f32" --label "$name cpu-int8 vs cuda-int8"
    [ "$thresh" = none ] && continue
    agree dets "$ref.json" "$W/$name-cuda-fp32.json" --label "$name cpu-fp32 vs cuda-fp32" --thresh "$thresh" --tol 0.01 --require
    agree dets "$ref.json" "$W/$name-cuda-fp16.json" --label "$name cpu-fp32 vs cuda-fp16" --thresh "$thresh" --tol 0.01
    agree dets "$W/$name-cpu-int8.json" "$W/$name-cuda-int8.json" --label "$name cpu-int8 vs cuda-int8" --thresh "$thresh" --tol 0.01
    agree dets "$ref.json" "$W/$name-cuda-int8.json" --label "$name cpu-fp32 vs cuda-int8" --thresh "$thresh" --tol 0.01
done

# Speed and activations before/after, interleaved; a second round while time allows.
if [ -n "$GPU" ] && [ -x "$DRT_BIN/gpu-bench-before" ]; then
    for round in 1 2; do
        [ "$round" -eq 2 ] && [ "$SECONDS" -gt 100 ] && { say "# speed round 2 skipped: ${SECONDS} s used"; break; }
        for b in 1 32; do
            iters=$([ "$b" -eq 1 ] && echo 300 || echo 60)
            for v in before after; do
                bin="$DRT_BIN/gpu-bench"; [ "$v" = before ] && bin="$DRT_BIN/gpu-bench-before"
                "$bin" --cfg "$DRT_DATA/cfg/yolov3.cfg" --weights "$W/yolov3.weights" --size 416 --precision fp16 \
                    --batch "$b" --iters "$iters" --label "yolov3-416-$v-round$round" 2>&1 | grep -E '^RESULT|gpu-bench:' | tee -a "$RES"
            done
        done
    done
    python3 - "$RES" <<'EOF' | tee -a "$OUT/compiler-speed.txt"
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    if not line.startswith("RESULT"):
        continue
    kv = dict(x.split("=", 1) for x in line.split()[1:] if "=" in x)
    v = "before" if "-before-" in kv["label"] else "after"
    rows.setdefault((int(kv["batch"]), v), []).append((float(kv["gpu_median_ms"]), float(kv["act_mib"])))
for b in sorted({b for b, _ in rows}):
    bef, aft = rows.get((b, "before"), []), rows.get((b, "after"), [])
    if not bef or not aft:
        continue
    mb, ma = statistics.median(x[0] for x in bef), statistics.median(x[0] for x in aft)
    print(f"SPEED yolov3-416 fp16 batch={b} gpu_ms_before={mb:.4f} gpu_ms_after={ma:.4f} after/before={ma / mb:.3f} "
          f"act_mib_before={bef[0][1]:.1f} act_mib_after={aft[0][1]:.1f} runs={len(bef)}+{len(aft)}")
EOF
    cat "$OUT/compiler-speed.txt" >>"$RES"
elif [ -n "$GPU" ]; then
    say "# speed before/after skipped: $DRT_BIN/gpu-bench-before is missing"
fi
say "# done in ${SECONDS} s, ${fails} required check(s) failed"
[ "$fails" -eq 0 ]
