#!/usr/bin/env bash
# Device call P (session 19, issue 16): where CUDA int8 time goes on yolov3-416 (synthesised as int8.sh's: head-scale
# 0.1, shift -5.5, seed 1) at batch 32: gpu-bench's per-op profile (each op between events; int8 convs' quantize step
# timed apart) for fp16, int8 under the default rule and int8 on every eligible conv (DRT_CUDA_INT8=all), calibrated
# on the bundle's photos. Then (issue 13) e2e-fast's exact sequence with the 24000-image rows and a stall watch
# (threads, kernel waits, ticker lines of any detect still running after 12 s), then golden/cuda-int8-map alone
# (its yolov3 check re-referenced to the CPU stand-in, f7623db).
# What to read: profile-*.txt's sums and the quantize share; e2e SUMMARY lines and any stall-*.txt; the test's ok/FAIL.
# Run: `CALL_COMMIT=<commit> LIMIT=585 NEED_P=500 bash bench/device/chain.sh P` with carry [".devcarry"], timeout_s 600.
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
mkdir -p /tmp/e2e
( while sleep 10; do cp /tmp/e2e/results.txt "$OUT/e2e-results.txt" 2>/dev/null; cp /tmp/e2e/stall-* "$OUT/" 2>/dev/null; done ) & CP=$!
OUT=/tmp/e2e COUNT=8000 BIG_COUNT=24000 IMAGES_S=120 REPS=1 PEERS=1 GOLDEN=0 BUDGET_S=230 \
    VARIANTS="old nowait" VARIANT_ENV_nowait="DRT_NVJPEG_NO_WAIT=1" \
    timeout -k 5 240 bash bench/device/e2e-fast.sh >/tmp/e2e/e2e.log 2>&1
el "e2e-fast.sh rc=$?"
kill $CP 2>/dev/null; cp /tmp/e2e/results.txt "$OUT/e2e-results.txt"; cp /tmp/e2e/stall-* "$OUT/" 2>/dev/null
grep '^SUMMARY\|24000' /tmp/e2e/results.txt | grep -v TIMELINE | cut -c1-300 | tee -a "$LOG"
ls /tmp/e2e/stall-* 2>/dev/null | tee -a "$LOG"
left=$(( 570 - ($(date +%s) - T0) ))
if [ "$left" -gt 60 ]; then
    t0=$(date +%s)
    timeout -k 5 "$left" "$DRT_BIN/cuda-int8-map" >"$OUT/cuda-int8-map.log" 2>&1
    el "GOLDEN cuda-int8-map rc=$? after $(( $(date +%s) - t0 )) s (limit $left s)"
    grep -E '^(ok|FAIL)' "$OUT/cuda-int8-map.log" | cut -c1-150 | tee -a "$LOG"
fi
el done
