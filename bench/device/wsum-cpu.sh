#!/usr/bin/env bash
# The CPU's weighted / multi-input [shortcut] kernel (drt_cpu_wsum: row bands on the engine's thread team,
# a branch per input and chunk of channels) on the device's cores, 60 s at most, no GPU needed:
# tests/alexeyab/shortcut-w.cfg (four such shortcuts: unweighted, per_feature, per_channel; 8 and 16
# channels) at 416x416 and 832x832, synthesised weights, fp32, with 1, 4 and all threads: each
# shortcut layer's time (DRT_CPU_PROFILE=1) and the run's median latency. WSUM lines:
#   WSUM size=S threads=T layer=L ms=X (the layer's mean over the runs), WSUM size=S threads=T median_ms=X
#   source .devcarry/env.sh && bash bench/device/wsum-cpu.sh      (DRT_BIN, OUT)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/wsum-cpu}
mkdir -p "$OUT"
RES=$OUT/wsum.txt
log() { echo "$*" | tee -a "$RES"; }
log "# $(date -u '+%Y-%m-%d %H:%M UTC') $(nproc) CPUs, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
export DRT_CPU_PROFILE=1 DRT_CPU_TUNE=0
for size in 416 832; do
    for t in 1 4 "$(nproc)"; do
        timeout 15 "$DRT_BIN/darkrt" bench "$ROOT/tests/alexeyab/shortcut-w.cfg" --random-weights --size "${size}x$size" \
            --threads "$t" --runs 20 --warmup 3 >"$OUT/b.txt" 2>&1 || { log "WSUM size=$size threads=$t FAIL rc=$?: $(tail -n 1 "$OUT/b.txt")"; continue; }
        grep 'cpu profile: layer .* shortcut' "$OUT/b.txt" | awk -v s="$size" -v t="$t" '{print "WSUM size=" s " threads=" t " layer=" $4 " ms=" $6}' | tee -a "$RES"
        log "WSUM size=$size threads=$t median_ms=$(grep -o 'median [0-9.]*' "$OUT/b.txt" | awk '{print $2}')"
    done
done
