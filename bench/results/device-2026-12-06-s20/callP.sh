#!/usr/bin/env bash
# Device call P (session 19, issue 16): where CUDA int8 time goes on yolov3-416 (synthesised as int8.sh's: head-scale
# 0.1, shift -5.5, seed 1) at batch 32: gpu-bench's per-op profile (each op between events; int8 convs' quantize step
# timed apart) for fp16, int8 under the default rule, int8 on every eligible conv (DRT_CUDA_INT8=all) without and with
# int8 handed from conv to conv (DRT_CUDA_INT8_CHAIN=1: cuda-compile.c, hand_off_int8), calibrated on the bundle's
# photos. Then golden/cuda-stages (quick: the CUDA path whole) and golden/cuda-int8-map alone (its yolov3 check
# re-referenced to the CPU stand-in, f7623db; the hand-off's check).
# What to read: profile-*.txt's throughput, sums and quantize share; the tests' ok/FAIL lines.
# Run: `CALL_COMMIT=<commit> LIMIT=585 NEED_P=400 bash bench/device/chain.sh P` with carry [".devcarry"], timeout_s 600.
set -u
source bench/device/call-lib.sh
call_start callP
W=/tmp/p; mkdir -p $W
timeout 30 "$DRT_BIN/darkrt" synth "$DRT_DATA/cfg/yolov3.cfg" -o $W/v3.weights --seed 1 --head-scale 0.1 --head-shift -5.5 \
    >/dev/null 2>&1; el "synth rc=$?"
prof() { # NAME PRECISION [ENV...]
    local name=$1 prec=$2; shift 2
    timeout 60 env "$@" "$DRT_BIN/gpu-bench" --cfg "$DRT_DATA/cfg/yolov3.cfg" --weights $W/v3.weights --size 416 \
        --precision "$prec" --batch 32 --iters 50 --calib "$DRT_DATA/int8-photos" --label "$name" --profile \
        >"$OUT/profile-$name.txt" 2>&1
    el "profile $name rc=$? $(grep -o 'throughput_ips=[0-9.]*\|gpu_median_ms=[0-9.]*' "$OUT/profile-$name.txt" | tr '\n' ' ') $(grep -o 'sum .*' "$OUT/profile-$name.txt")"
}
prof fp16 fp16 X=1
prof int8-rule int8 X=1
prof int8-all int8 DRT_CUDA_INT8=all
prof int8-all-handoff int8 DRT_CUDA_INT8=all DRT_CUDA_INT8_CHAIN=1
DRT_CUDA_TEST_QUICK=1 timeout -k 5 90 "$DRT_BIN/cuda-stages" >"$OUT/cuda-stages.txt" 2>&1
el "GOLDEN cuda-stages (quick) rc=$? $(grep -c '^ok' "$OUT/cuda-stages.txt") ok, $(grep -c '^FAIL' "$OUT/cuda-stages.txt") FAIL"
grep -E '^FAIL' "$OUT/cuda-stages.txt" | cut -c1-200 | tee -a "$LOG"
left=$(( 575 - ($(date +%s) - T0) ))
t0=$(date +%s)
timeout -k 5 "$left" "$DRT_BIN/cuda-int8-map" >"$OUT/cuda-int8-map.log" 2>&1
el "GOLDEN cuda-int8-map rc=$? after $(( $(date +%s) - t0 )) s (limit $left s)"
grep -E '^(ok|FAIL)' "$OUT/cuda-int8-map.log" | cut -c1-220 | tee -a "$LOG"
el done
