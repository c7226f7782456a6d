#!/usr/bin/env bash
# Next device call J (session 18, issue 16): CUDA --min-map 0.95 on synthesised yolov3-tiny and yolov3-416 with the
# search of 89cc434/f906032/fdb2151 (calibrated once, ranked on untuned CPU engines without bias correction), then
# golden/cuda-int8-map with what is left. What to read: int8-cuda.md's rows per model (fp16 control, int8 default,
# --calib, --min-map: convs kept in fp16, mAP@0.5 at 0.25 / ranked) and the "int8 speed" lines (a plan is int8
# only when confirmed at <= 0.90x fp16's batch-32 time; speed rounds alternate their order).
# Run: `CALL_COMMIT=<commit> LIMIT=585 NEED_J=500 bash bench/device/chain.sh J` with carry [".devcarry"], timeout_s 600.
set -u
source bench/device/call-lib.sh
call_start callJ
mkdir -p /tmp/i8
( while sleep 15; do cp /tmp/i8/int8-cuda.md "$OUT/" 2>/dev/null; done ) & CP=$!
OUT=/tmp/i8 SKIP_YF=1 SYNTH_MODELS="yolov3-tiny yolov3-416" BUDGET_S=${J_BUDGET_S:-540} V3_SEARCH_S=240 \
    timeout -k 5 $(( ${J_BUDGET_S:-540} + 10 )) bash bench/device/int8.sh >/tmp/i8/int8.log 2>&1
el "int8.sh rc=$?"
kill $CP 2>/dev/null
cp /tmp/i8/int8-cuda.md /tmp/i8/int8-logs.txt "$OUT/" 2>/dev/null; cp /tmp/i8/cuda-int8-map.log "$OUT/" 2>/dev/null
gzip -f "$OUT/int8-logs.txt" 2>/dev/null
tail -c 20000 /tmp/i8/int8.log >"$OUT/int8.log"
grep '^|' /tmp/i8/int8-cuda.md | tee -a "$LOG"
el done
