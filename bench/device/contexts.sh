#!/usr/bin/env bash
# CUDA contexts of one engine (issue 17, "Engine vs context") on the device, 150 s at most:
#   1. tests/golden/cuda-contexts (yolo-fastest-1.1, fp16 built, fp16 plan, fp32; 4 threads, one
#      context each, alongside the engine's own): with CUDA graphs, then eager (DRT_CUDA_GRAPH=0);
#      its PASS/FAIL lines and COST lines (engine vs context: creation time, device memory);
#   2. bench/contexts-bench.c on yolov3-416 fp16 batch 8 (weights from `darkrt synth`): img/s of the
#      engine's own context from one thread, then of 1, 2 and 4 contexts each from its thread;
#      per context its creation time and device memory, and its heads against the engine's.
#   source .devcarry/env.sh && bash bench/device/contexts.sh      (DRT_BIN, DRT_DATA, OUT)
set -u
OUT=${OUT:-/tmp/contexts}
W=$OUT/w
mkdir -p "$W"
B=$DRT_BIN
RES=$OUT/contexts.txt
log() { echo "$*" | tee -a "$RES"; }
log "# $(date -u '+%Y-%m-%d %H:%M UTC') $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null), $(nproc) CPUs"
nvidia-smi -L >/dev/null 2>&1 || { log "CONTEXTS skipped: no GPU here"; exit 0; }
export DRT_SHARED=$DRT_DATA
for graph in 1 0; do # 1. the test, with graphs and eager
    DRT_CUDA_GRAPH=$graph timeout 60 "$B/cuda-contexts" >"$W/test-$graph.log" 2>&1
    rc=$?
    grep -E '^(PASS|FAIL|COST|note)' "$W/test-$graph.log" | sed "s/^/graph=$graph /" | tee -a "$RES"
    log "TEST cuda-contexts graph=$graph $([ $rc = 0 ] && echo PASS || echo "FAIL rc=$rc: $(tail -n 2 "$W/test-$graph.log" | tr '\n' ' ')")"
done
# 2. throughput: yolov3-416 fp16 batch 8, contexts from threads
timeout 30 "$B/darkrt" synth "$DRT_DATA/cfg/yolov3.cfg" -o "$W/yolov3.weights" --seed 1 >/dev/null || log "# synth failed"
timeout 120 "$B/darkrt" build "$DRT_DATA/cfg/yolov3.cfg" -w "$W/yolov3.weights" --device cuda --precision fp16 \
    --size 416x416 --batch 8 -o "$W/v3.plan" >"$W/build.log" 2>&1 || log "# build failed: $(tail -n 2 "$W/build.log")"
timeout 60 "$B/contexts-bench" "$W/v3.plan" --batch 8 --contexts 1,2,4 --seconds 3 2>&1 | tee -a "$RES"
log "BENCH contexts-bench rc=${PIPESTATUS[0]}"
rm -rf "$W"
