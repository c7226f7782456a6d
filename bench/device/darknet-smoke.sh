#!/usr/bin/env bash
# Device smoke (issue 18; at most 4 minutes): the CUDA engine's activations, now every AlexeyAB activation
# through one formula (src/graph/act.h), against the reference pass on tests/alexeyab/activations.cfg
# (one head per activation, synthesised weights): fp32 within 1e-4 x max|value| per head, fp16 within
# 5e-2 (a coarse check: fp16 storage between layers); then tests/alexeyab/layers.cfg ([avgpool], [reorg],
# [scale_channels], [sam], [reorg3d], [activation], a dilated conv, share_index), layers-b.cfg ([local_avgpool],
# [batchnorm]), options.cfg (stride_x != stride_y, antialiasing, maxpool_depth, a downsampling [upsample]),
# yolov4-tiny (leaky), yolov4-csp-s-mish (mish), yolov4-csp-swish
# (swish), enet-coco (swish, avgpool, scale_channels) and yolov4-sam-mish-csp-reorg-bfm (mish, sam,
# reorg3d) and yolov2 ([reorg]) at 256 the same way. fp16 lines say how many convs ran as cuDNN fused graphs ("fused") and
# how many as the legacy conv + epilogue kernel ("legacy"); the mish/swish models run fp16 a second
# time with DRT_CUDA_FUSE_MISH=0 DRT_CUDA_SPLIT=0 (mish, and swish where cuDNN refuses SWISH_FWD, as the legacy conv
# + epilogue kernel, as before) and a third with DRT_CUDA_FUSE_MISH=0 only (those convs as cuDNN's conv + bias
# graph, then the epilogue kernel: "split", the default for activations cuDNN has no form of).
#   bash bench/device/darknet-smoke.sh      (from the repo root)
# Env: DRT_BIN (darkrt), DRT_DATA (alexeyab-cfg/ or cfg/ with those AlexeyAB cfgs; each is skipped,
# saying so, when missing), OUT. Python: python3 (numpy). Prints one SMOKE line per check and "smoke: N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${DRT_BIN:?DRT_BIN}; DATA=${DRT_DATA:?DRT_DATA}; OUT=${OUT:?OUT}
PY=${PYTHON:-python3}
mkdir -p "$OUT/smoke"
W="$OUT/smoke"
if ! nvidia-smi -L >/dev/null 2>&1; then
    echo "smoke: no GPU here: every CUDA check skipped"
    exit 0
fi
fails=0
check() { # name cfg size [unfused]: cuda fp32 and fp16 heads against the reference pass, same synthesised weights
    local name=$1 cfg=$2 size=$3 variants="fp32 fp16"
    [ "${4:-}" = unfused ] && variants="fp32 fp16 fp16-unfused fp16-split"
    "$BIN/darkrt" run "$cfg" --random-weights --size ${size}x$size --random 1 -o "$W/ref.f32" >"$W/ref.txt" 2>&1 ||
        { echo "SMOKE FAIL $name ref: $(tail -n 1 "$W/ref.txt")"; fails=$((fails + 1)); return; }
    for p in $variants; do
        fuse=$(case $p in *-unfused | *-split) echo 0 ;; *) echo 1 ;; esac)
        split=$(case $p in *-unfused) echo 0 ;; *) echo 1 ;; esac)
        if ! DRT_CUDA_FUSE_MISH=$fuse DRT_CUDA_SPLIT=$split DRT_CUDA_VERBOSE=1 timeout 60 "$BIN/darkrt" run "$cfg" --random-weights \
            --size ${size}x$size --random 1 --device cuda --precision ${p%%-*} -o "$W/$p.f32" >"$W/$p.txt" 2>&1; then
            echo "SMOKE FAIL $name cuda $p: $(tail -n 1 "$W/$p.txt")"; fails=$((fails + 1)); continue
        fi
        tol=$([ $p = fp32 ] && echo 1e-4 || echo 5e-2)
        conv="$p: fused $(grep -c ': fused graph' "$W/$p.txt") (split $(grep -c 'form 2)' "$W/$p.txt")), legacy $(grep -c ': no fused graph' "$W/$p.txt")"
        [ $p = fp32 ] || grep -oE '(no fused graph|form [0-9] refused) \([^)]*\)' "$W/$p.txt" | sort | uniq -c | sed "s/^/SMOKE   $name $p /"
        $PY "$ROOT/bench/device/heads-compare.py" SMOKE "$W/ref.txt" "$W/ref.f32" "$W/$p.f32" "$name cuda $conv" "$tol" || fails=$((fails + 1))
    done
}
check activations "$ROOT/tests/alexeyab/activations.cfg" 32 unfused
check layers "$ROOT/tests/alexeyab/layers.cfg" 64 unfused
check layers-b "$ROOT/tests/alexeyab/layers-b.cfg" 64 unfused
check options "$ROOT/tests/alexeyab/options.cfg" 64 unfused
for m in yolov4-tiny yolov4-csp-s-mish yolov4-csp-swish enet-coco yolov4-sam-mish-csp-reorg-bfm yolov2; do
    cfg=$(ls "$DATA/alexeyab-cfg/$m.cfg" "$DATA/cfg/$m.cfg" "$ROOT/../shared/reference/alexeyab-darknet/cfg/$m.cfg" 2>/dev/null | head -n 1)
    u=$(case $m in yolov4-tiny | yolov2) ;; *) echo unfused ;; esac)
    [ -n "$cfg" ] && check "$m" "$cfg" 256 $u || echo "SMOKE skip $m: $m.cfg not under $DATA/alexeyab-cfg or $DATA/cfg"
done
echo "smoke: $fails failed"
