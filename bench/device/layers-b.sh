#!/usr/bin/env bash
# Device check (issue 18, at most 115 s): the CUDA engine's [local_avgpool] (maxpool kernel, average form) and
# standalone [batchnorm] (affine.cu) against the reference pass on tests/alexeyab/layers-b.cfg at 64, its
# multi-input and weighted [shortcut] and [implicit] (affine.cu's wsum and const kernels) on shortcut-w.cfg at 64, and
# yolov4-tiny_contrastive (its [contrastive] layer training-only) at 256, synthesised weights: fp32 heads
# within 1e-4 x max|value|, fp16 within 5e-2. Each result goes to $OUT/layers-b/results.txt as it exists.
#   bash bench/device/layers-b.sh      (from the repo root, after source .devcarry/env.sh)
# Env: DRT_BIN (darkrt), DRT_DATA (alexeyab-cfg/ or cfg/ holding yolov4-tiny_contrastive.cfg; skipped, saying
# so, when missing), OUT. Prints one LAYERS-B line per check and "layers-b: N failed".
set -u
# Each run gets at most its own limit (ref 15 s, fp32 30 s, fp16 60 s: fp16 plans time cuDNN's engine configs per conv)
# and never more than what is left of the 115 s budget; a run cut short says so (exit 124).
echo "layers-b: time budget 115 s (each run at most 15 s ref, 30 s fp32, 60 s fp16, within what is left)"
BUDGET=115
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${DRT_BIN:?DRT_BIN}; DATA=${DRT_DATA:?DRT_DATA}; OUT=${OUT:?OUT}
PY=${PYTHON:-python3}
W="$OUT/layers-b"
mkdir -p "$W"
say() { echo "$*"; echo "$*" >>"$W/results.txt"; }
if ! timeout -k 5 10 nvidia-smi -L >/dev/null 2>&1; then
    say "layers-b: no GPU here: every CUDA check skipped"
    exit 0
fi
fails=0
limit() { # the step's own limit, capped by what is left of the budget (0: nothing left)
    local left=$((BUDGET - SECONDS - 5))
    [ $left -lt $1 ] && echo $((left > 0 ? left : 0)) || echo $1
}
check() { # name cfg size: cuda fp32 and fp16 heads against the reference pass, the same synthesised weights
    local name=$1 cfg=$2 size=$3 t rc
    t=$(limit 15)
    [ "$t" -gt 0 ] || { say "LAYERS-B skip $name: no time left"; return; }
    timeout -k 5 $t "$BIN/darkrt" run "$cfg" --random-weights --size ${size}x$size --random 1 -o "$W/$name-ref.f32" \
        >"$W/$name-ref.txt" 2>&1; rc=$?
    if [ $rc -ne 0 ]; then
        say "LAYERS-B FAIL $name ref (exit $rc, limit $t s): $(tail -n 1 "$W/$name-ref.txt")"; fails=$((fails + 1)); return
    fi
    for p in fp32 fp16; do
        t=$(limit $([ $p = fp32 ] && echo 30 || echo 60))
        [ "$t" -gt 0 ] || { say "LAYERS-B skip $name cuda $p: no time left"; continue; }
        DRT_CUDA_VERBOSE=1 timeout -k 5 $t "$BIN/darkrt" run "$cfg" --random-weights --size ${size}x$size --random 1 \
            --device cuda --precision $p -o "$W/$name-$p.f32" >"$W/$name-$p.txt" 2>&1; rc=$?
        if [ $rc -ne 0 ]; then
            say "LAYERS-B FAIL $name cuda $p (exit $rc$([ $rc = 124 ] && echo ": timed out"), limit $t s): $(tail -n 1 "$W/$name-$p.txt")"
            fails=$((fails + 1)); continue
        fi
        tol=$([ $p = fp32 ] && echo 1e-4 || echo 5e-2)
        line=$(timeout -k 5 10 $PY "$ROOT/bench/device/heads-compare.py" LAYERS-B "$W/$name-ref.txt" "$W/$name-ref.f32" "$W/$name-$p.f32" "$name cuda $p" "$tol")
        say "${line:-LAYERS-B FAIL $name cuda $p: the comparison did not run}"
        case "$line" in "LAYERS-B ok"*) ;; *) fails=$((fails + 1)) ;; esac
    done
}
check layers-b "$ROOT/tests/alexeyab/layers-b.cfg" 64
check shortcut-w "$ROOT/tests/alexeyab/shortcut-w.cfg" 64
cfg=$(ls "$DATA/alexeyab-cfg/yolov4-tiny_contrastive.cfg" "$DATA/cfg/yolov4-tiny_contrastive.cfg" \
    "$ROOT/../shared/reference/alexeyab-darknet/cfg/yolov4-tiny_contrastive.cfg" 2>/dev/null | head -n 1)
if [ -n "$cfg" ]; then check contrastive "$cfg" 256; else say "LAYERS-B skip contrastive: yolov4-tiny_contrastive.cfg not found"; fi
say "layers-b: $fails failed"
