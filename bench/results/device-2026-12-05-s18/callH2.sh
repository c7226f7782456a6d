#!/usr/bin/env bash
# Next device call H2 (session 18, issue 13): session 16's call H again now that fast exit is detect's default for
# device engines (10bc3a2): today's defaults (old) against DRT_NVJPEG_NO_WAIT=1 (nowait: the workers decode the first
# batches on the host while nvJPEG's hardware decoder opens; session 16 measured it only without fast exit: first
# result 0.37 s sooner), yolo-fastest-1.1 and yolov3-416 on 8000 mixed JPEGs, yolo-fastest on 24000, the PyTorch peer,
# every TIMELINE line. What to read: SUMMARY lines (img/s per variant, best_vs_torch) and the 24000 rows.
# Run: `CALL_COMMIT=<commit> LIMIT=300 NEED_H2=250 bash bench/device/chain.sh H2` with carry [".devcarry"], timeout_s 320.
set -u
source bench/device/call-lib.sh
call_start callH2
mkdir -p /tmp/e2e
( while sleep 10; do cp /tmp/e2e/results.txt "$OUT/e2e-results.txt" 2>/dev/null; done ) & CP=$!
OUT=/tmp/e2e COUNT=8000 BIG_COUNT=24000 IMAGES_S=120 REPS=1 PEERS=1 GOLDEN=0 FULL_TIMELINE=1 BUDGET_S=240 \
    VARIANTS="old nowait" VARIANT_ENV_nowait="DRT_NVJPEG_NO_WAIT=1" \
    timeout -k 5 250 bash bench/device/e2e-fast.sh >/tmp/e2e/e2e.log 2>&1
el "e2e-fast.sh rc=$?"
kill $CP 2>/dev/null; cp /tmp/e2e/results.txt "$OUT/e2e-results.txt"
grep '^SUMMARY' /tmp/e2e/results.txt | tee -a "$LOG"
tail -c 30000 /tmp/e2e/e2e.log >"$OUT/e2e.log"
el done
