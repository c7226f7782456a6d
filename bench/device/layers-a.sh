#!/usr/bin/env bash
# Device check (issue 18, at most 60 s): the CUDA engine on AlexeyAB's layer options against the reference pass
# on tests/alexeyab/options.cfg at 64 (conv and maxpool stride_x != stride_y: cuDNN's strides and the maxpool
# kernel; antialiasing=1|2: fixed depthwise 3x3/2x2 blur convs; maxpool_depth with a partial last group: the
# maxpool kernel's depth form; [upsample] stride=-2 scale=0.5: a fixed depthwise sum conv; [local_avgpool] with
# stride_x != stride_y), synthesised weights:
# fp32 heads within 1e-4 x max|value|, fp16 within 5e-2. Each result goes to $OUT/layers-a/results.txt as it exists.
#   bash bench/device/layers-a.sh      (from the repo root, after source .devcarry/env.sh)
# Env: DRT_BIN (darkrt), DRT_DATA, OUT. Prints one LAYERS-A line per check and "layers-a: N failed".
set -u
echo "layers-a: time budget 60 s (3 runs of at most 10 s each, 2 comparisons of at most 15 s)"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${DRT_BIN:?DRT_BIN}; DATA=${DRT_DATA:?DRT_DATA}; OUT=${OUT:?OUT}
PY=${PYTHON:-python3}
W="$OUT/layers-a"
mkdir -p "$W"
say() { echo "$*"; echo "$*" >>"$W/results.txt"; }
if ! timeout -k 5 10 nvidia-smi -L >/dev/null 2>&1; then
    say "layers-a: no GPU here: every CUDA check skipped"
    exit 0
fi
fails=0
check() { # name cfg size: cuda fp32 and fp16 heads against the reference pass, the same synthesised weights
    local name=$1 cfg=$2 size=$3
    if ! timeout -k 5 10 "$BIN/darkrt" run "$cfg" --random-weights --size ${size}x$size --random 1 -o "$W/$name-ref.f32" \
        >"$W/$name-ref.txt" 2>&1; then
        say "LAYERS-A FAIL $name ref: $(tail -n 1 "$W/$name-ref.txt")"; fails=$((fails + 1)); return
    fi
    for p in fp32 fp16; do
        if ! DRT_CUDA_VERBOSE=1 timeout -k 5 10 "$BIN/darkrt" run "$cfg" --random-weights --size ${size}x$size --random 1 \
            --device cuda --precision $p -o "$W/$name-$p.f32" >"$W/$name-$p.txt" 2>&1; then
            say "LAYERS-A FAIL $name cuda $p: $(tail -n 1 "$W/$name-$p.txt")"; fails=$((fails + 1)); continue
        fi
        tol=$([ $p = fp32 ] && echo 1e-4 || echo 5e-2)
        line=$(timeout -k 5 15 $PY "$ROOT/bench/device/heads-compare.py" LAYERS-A "$W/$name-ref.txt" "$W/$name-ref.f32" "$W/$name-$p.f32" "$name cuda $p" "$tol")
        say "${line:-LAYERS-A FAIL $name cuda $p: the comparison did not run}"
        case "$line" in "LAYERS-A ok"*) ;; *) fails=$((fails + 1)) ;; esac
    done
}
check options "$ROOT/tests/alexeyab/options.cfg" 64
say "layers-a: $fails failed"
