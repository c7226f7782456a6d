#!/usr/bin/env bash
# Next device call B: issue 13's GPU rows, today's defaults against session 11's switches (bench/device/e2e-fast.sh,
# at most 200 s; read its header), then golden/cuda-pipeline inside it. Run with timeout_s 240.
set -u
source bench/device/call-lib.sh
call_start callB
mkdir -p /tmp/e2e
( while sleep 10; do cp /tmp/e2e/results.txt "$OUT/e2e-results.txt" 2>/dev/null; done ) & CP=$!
OUT=/tmp/e2e timeout -k 5 210 bash bench/device/e2e-fast.sh >/tmp/e2e/e2e.log 2>&1
el "e2e-fast.sh rc=$?"
kill $CP 2>/dev/null; cp /tmp/e2e/results.txt "$OUT/e2e-results.txt"; cp /tmp/e2e/cuda-pipeline.txt "$OUT/" 2>/dev/null
tail -c 30000 /tmp/e2e/e2e.log >"$OUT/e2e.log"
