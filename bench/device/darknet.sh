#!/usr/bin/env bash
# Device script (issue 18; at most 6 minutes, FUSED_ONLY=1 about 3): the CUDA engine on AlexeyAB's new families, yolov4-416 and
# yolov7-tiny-416 (weights from `darkrt synth`), beside PyTorch on the same GPU (bench/peers/torch_gpu.py,
# the Darknet model in PyTorch: eager fp32 and fp16 channels_last + CUDA graph) and ONNX Runtime on the
# host CPU (its CUDA provider is not installed there), in one run. First a check that both GPU engines
# ran the same weights: darkrt's CUDA fp32 heads against PyTorch fp32 on the same input.
#   bash bench/device/darknet.sh      (from the repo root)
# Env: DRT_BIN (darkrt, gpu-bench; without gpu-bench, darkrt bench's run with copies), DRT_DATA (alexeyab-cfg/ with
# yolov4.cfg and yolov7-tiny.cfg, or cfg/ holding them), OUT (results). Python: python3 (torch, onnxruntime).
# Prints RESULT lines (bench/gpu-table.py turns them into OUT/darknet.md, printed at the end).
# Debugging lines (issue 18, mish/swish fusion): FUSION (how many fp16 convs run as one cuDNN fused
# graph, how many fall back to the legacy conv + epilogue kernel and why), CHECK darkrt_fp16_vs_fp32,
# PROFILE (gpu-bench --profile: the slowest ops at batch 1; algo >= 1000 is a fused graph), and
# yolov4's rows again with DRT_CUDA_FUSE_MISH=0 DRT_CUDA_SPLIT=0 (engine darkrt-mish-unfused: the legacy
# conv, then mish in the epilogue kernel, as before issue 18's fusion) and DRT_CUDA_FUSE_MISH=0 (engine
# darkrt-mish-split: cuDNN's graph for conv + bias, then mish and the residual by the epilogue kernel in
# place) beside the fused ones.
# FUSED_ONLY=1: only darkrt's rows (no peers).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${DRT_BIN:?DRT_BIN}; DATA=${DRT_DATA:?DRT_DATA}; OUT=${OUT:?OUT}
PY=${PYTHON:-python3}
MODELS=${MODELS:-"yolov4-416 yolov7-tiny-416"}
BATCHES=${BATCHES:-"1 8"}
mkdir -p "$OUT/w"
RES="$OUT/results.txt"
: >"$RES"
START=$(date +%s)
say() { echo "$*" | tee -a "$RES"; }

cfg_of() { # the AlexeyAB cfg for a model name (yolov4-416 -> yolov4.cfg)
    local base=${1%-*}
    for d in "$DATA/alexeyab-cfg" "$DATA/cfg" "$ROOT/../shared/reference/alexeyab-darknet/cfg"; do
        [ -f "$d/$base.cfg" ] && { echo "$d/$base.cfg"; return 0; }
    done
    return 1
}

gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null) ||
    gpu="no GPU: CUDA steps skipped"
say "# $(date -u '+%Y-%m-%d %H:%M UTC') $gpu; darkrt $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
have_gpu=0
nvidia-smi -L >/dev/null 2>&1 && have_gpu=1

for name in $MODELS; do
    size=${name##*-}
    cfg=$(cfg_of "$name") || { say "# $name: ${name%-*}.cfg not found under $DATA/alexeyab-cfg or $DATA/cfg: skipped"; continue; }
    w="$OUT/w/$name.weights"
    "$BIN/darkrt" synth "$cfg" -o "$w" --seed 1 >/dev/null || { say "# $name: darkrt synth failed: skipped"; continue; }
    if [ $have_gpu = 0 ]; then
        say "# $name: no GPU here: CUDA engine, PyTorch GPU peer and the heads check skipped"
    else
        # Same weights, same input: darkrt CUDA fp32 heads vs PyTorch fp32 (prints CHECK ... max_rel_diff).
        timeout 40 "$BIN/darkrt" run "$cfg" -w "$w" --size ${size}x$size --device cuda --random 1 -o "$OUT/w/heads.f32" >/dev/null &&
            timeout 60 $PY "$ROOT/bench/peers/torch_gpu.py" --cfg "$cfg" --weights "$w" --size "$size" --label "$name" \
                --check "$OUT/w/heads.f32" --modes none --batches 1 2>&1 | grep -E 'CHECK|Error' | tee -a "$RES"
        # fp16: which convs cuDNN fuses (verbose build), and its heads against fp32's
        # (cuDNN's own warnings and errors go to a log: why a graph is refused)
        CUDNN_LOGLEVEL_DBG=2 CUDNN_LOGDEST_DBG="$OUT/w/cudnn-$name.log" DRT_CUDA_VERBOSE=1 timeout 90 "$BIN/darkrt" run "$cfg" \
            -w "$w" --size ${size}x$size --device cuda --precision fp16 --random 1 -o "$OUT/w/heads.f16" >"$OUT/fusion-$name.txt" 2>&1 ||
            say "# $name fp16 run: $(tail -n 1 "$OUT/fusion-$name.txt")"
        [ -s "$OUT/w/cudnn-$name.log" ] && grep -iE 'error|warn|not supported|reason' "$OUT/w/cudnn-$name.log" | sed 's/^[^A-Za-z]*//' |
            sort | uniq -c | sort -rn | head -n 12 | cut -c1-300 | sed "s/^/CUDNNLOG $name /"
        say "FUSION $name fp16 b1: fused $(grep -c ': fused graph' "$OUT/fusion-$name.txt") convs," \
            "legacy conv + epilogue $(grep -c ': no fused graph' "$OUT/fusion-$name.txt")"
        grep -oE '(no fused graph|form [0-9] refused) \([^)]*\)' "$OUT/fusion-$name.txt" | sort | uniq -c | sed "s/^/FUSION $name   /" | tee -a "$RES"
        grep -o 'fused graph (act [0-9]*/[0-9]*, form [0-9])' "$OUT/fusion-$name.txt" | sort | uniq -c |
            sed "s/^/FUSION $name   /" | tee -a "$RES"
        $PY - "$OUT/w/heads.f32" "$OUT/w/heads.f16" "$name" <<'PYEOF' | tee -a "$RES"
import sys, numpy as np
a, b = np.fromfile(sys.argv[1], np.float32), np.fromfile(sys.argv[2], np.float32)
d = float(np.abs(a - b).max() / max(np.abs(a).max(), 1e-30)) if a.size == b.size and a.size else float("inf")
print("CHECK label=%s darkrt_fp16_vs_fp32 max_rel_diff=%.3g values=%d" % (sys.argv[3], d, a.size))
PYEOF
        if [ -x "$BIN/gpu-bench" ]; then # GPU latency (device events) and the run with copies, per batch
            variants="fused"
            [ "${name%-*}" = yolov4 ] && variants="fused unfused split"
            for v in $variants; do
                for b in $BATCHES; do
                    iters=$([ "$b" -eq 1 ] && echo 200 || echo 50)
                    fuse=$([ $v = fused ] && echo 1 || echo 0)
                    split=$([ $v = unfused ] && echo 0 || echo 1)
                    prof=$([ "$b" -eq 1 ] && [ $v != unfused ] && echo --profile)
                    log="$OUT/darkrt-$name-$v-b$b.txt"
                    DRT_CUDA_FUSE_MISH=$fuse DRT_CUDA_SPLIT=$split timeout 90 "$BIN/gpu-bench" --cfg "$cfg" --weights "$w" --size "$size" --precision fp16 \
                        --batch "$b" --iters "$iters" --image "$DATA/data/dog.jpg" --thresh 1.0 --label "$name" $prof >"$log" 2>&1
                    if [ $v != fused ]; then
                        grep -h RESULT "$log" | sed "s/engine=darkrt /engine=darkrt-mish-$v /" | tee -a "$RES"
                    else
                        grep -h RESULT "$log" | tee -a "$RES"
                    fi || say "# darkrt $name $v b$b: $(tail -n 1 "$log")"
                    if [ -n "$prof" ]; then # the slowest ops, and the time by kind of op
                        grep -A 14 'per-op profile' "$log" | sed "s/^/PROFILE $name $v /"
                        awk -v n="$name $v" '/ ms .*%/ { k = $4
                            if (k == "conv" && $0 ~ /algo 1[0-9][0-9][0-9] split/) k = "conv(graph+epilogue)"
                            else if (k == "conv" && $0 ~ /algo 1[0-9][0-9][0-9]/) k = "conv(fused)"
                            else if (k == "conv") k = "conv(legacy+epilogue)"
                            t[k] += $1; c[k]++ } END { for (k in t) printf "PROFILE %s by kind: %-22s %3d ops %8.4f ms\n", n, k, c[k], t[k] }' "$log"
                    fi
                done
            done
        elif timeout 60 "$BIN/darkrt" bench "$cfg" -w "$w" --size ${size}x$size --device cuda --precision fp16 --batch 8 \
            --runs 100 --warmup 10 --json "$OUT/w/cli.json" >"$OUT/darkrt-cli-$name.txt" 2>&1; then # no gpu-bench: the CLI
            $PY -c 'import json,sys; j=json.load(open(sys.argv[1])); print("RESULT engine=darkrt-cli label=%s precision=fp16 batch=1 run_median_ms=%.3f" % (sys.argv[2], j["latency_ms"]["median"])); print("RESULT engine=darkrt-cli label=%s precision=fp16 batch=8 throughput_ips=%.1f" % (sys.argv[2], j["throughput_ips"]))' \
                "$OUT/w/cli.json" "$name" | tee -a "$RES"
        else
            say "# darkrt bench $name: $(tail -n 1 "$OUT/darkrt-cli-$name.txt")"
        fi
        [ "${FUSED_ONLY:-0}" = 1 ] || timeout 90 $PY "$ROOT/bench/peers/torch_gpu.py" --cfg "$cfg" --weights "$w" --size "$size" --label "$name" \
            --batches "$(echo $BATCHES | tr ' ' ,)" --modes eager32,fp16graph --iters 100 2>&1 | grep -E 'RESULT|#' | tee -a "$RES"
    fi
    # ONNX Runtime (CPU provider, every core of the host) on darkrt's exported ONNX.
    if [ "${FUSED_ONLY:-0}" = 1 ]; then
        :
    elif "$BIN/darkrt" convert "$cfg" "$w" --size ${size}x$size --batch dynamic -o "$OUT/w/$name.onnx" >"$OUT/w/convert.log" 2>&1; then
        timeout 60 $PY "$ROOT/bench/peers/ort_bench.py" --onnx "$OUT/w/$name.onnx" --threads "$(nproc)" --runs 10 --warmup 2 \
            --batch 8 --batch-runs 2 >"$OUT/w/ort.json" 2>"$OUT/w/ort.err" &&
            $PY -c 'import json,sys; j=json.load(open(sys.argv[1])); print("RESULT engine=onnxruntime-cpu%d label=%s precision=fp32 batch=1 run_median_ms=%.3f" % (j["threads"], sys.argv[2], j["latency_ms"]["median"])); print("RESULT engine=onnxruntime-cpu%d label=%s precision=fp32 batch=8 throughput_ips=%.1f" % (j["threads"], sys.argv[2], j["throughput_ips"]))' \
                "$OUT/w/ort.json" "$name" | tee -a "$RES" || say "# onnxruntime $name: $(tail -n 1 "$OUT/w/ort.err")"
    else
        say "# onnxruntime $name: darkrt convert failed: $(tail -n 1 "$OUT/w/convert.log")"
    fi
    rm -f "$OUT/w/$name.onnx" "$w"
    say "# $name done at $(( $(date +%s) - START )) s"
done
$PY "$ROOT/bench/gpu-table.py" "$RES" >"$OUT/darknet.md" && cat "$OUT/darknet.md"
rm -rf "$OUT/w"
