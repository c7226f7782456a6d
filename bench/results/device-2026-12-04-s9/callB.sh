#!/usr/bin/env bash
# Call B (session 9): layers-a.sh, layers-b.sh (issue 18 CUDA checks), darknet.sh with PyTorch/ORT peers (issue 18).
set -u
source .devcarry/env.sh
LOG=$OUT/callB.log
T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$LOG"; }
{ date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; } >>"$LOG"
el "layers-a"
OUT=/tmp/la timeout -k 5 70 bash bench/device/layers-a.sh >/tmp/la.log 2>&1; el "layers-a rc=$?"
{ cat /tmp/la/layers-a/results.txt; echo ---; tail -c 20000 /tmp/la.log; } >"$OUT/layers-a.txt" 2>&1
el "layers-b"
OUT=/tmp/lb timeout -k 5 100 bash bench/device/layers-b.sh >/tmp/lb.log 2>&1; el "layers-b rc=$?"
{ cat /tmp/lb/layers-b/results.txt; echo ---; tail -c 20000 /tmp/lb.log; } >"$OUT/layers-b.txt" 2>&1
el "darknet.sh"
mkdir -p /tmp/dn
( while sleep 10; do cp /tmp/dn/results.txt "$OUT/darknet-results.txt" 2>/dev/null; done ) & CP=$!
OUT=/tmp/dn timeout -k 5 $(( 570 - ($(date +%s) - T0) )) bash bench/device/darknet.sh >/tmp/dn.log 2>&1; el "darknet.sh rc=$?"
kill $CP; cp /tmp/dn/results.txt "$OUT/darknet-results.txt"; cp /tmp/dn/darknet.md "$OUT/" 2>/dev/null
tail -c 60000 /tmp/dn.log >"$OUT/darknet.log"
el done
