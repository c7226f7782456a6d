# Sourced by the int8 benches: the synthesised models they score, one table, so that the CPU's rows
# (bench/int8-models.sh and its kin) and CUDA's (bench/device/int8.sh) judge the same weights (session 21 found the
# CUDA rows still on weights int8-models.sh had dropped two sessions before).
# A line a model: name, AlexeyAB's cfg file, then `darkrt synth`'s --head-scale, --head-shift and --box-scale (seed
# 1). fp32's boxes at 0.25 on dog, eagle, giraffe, scream in the comment, 10-20 a photo (yolov3: head logits of std
# 10-25, scaled by 0.1; shifted until the 28 views held 53, as at -4.5 they held 784 and the scored views 9885, 134 a
# view: the dense regime again). box-scale (session 19): box logits of std ~1 made 384 x 4.6 px slivers whose IoU any
# rounding halves; at 0.1 the bf16 control went 0.79 -> 0.99 on yolov7-tiny and 0.86 -> 0.94 on yolov3-416
# (bench/results/int8-models.md, session 19); the models whose control already scored 1.00 keep their boxes.
INT8_SYNTH_MODELS=(
    "yolov3-tiny yolov3-tiny.cfg 1 -2.75 1"  # 3, 0, 52, 0
    "yolov4-tiny yolov4-tiny.cfg 1 -4 1"     # 3, 0, 58, 0
    "yolov7-tiny yolov7-tiny.cfg 1 -8.5 0.1" # on 21 of the 28 views, 3-44 each
    "yolov3-416 yolov3.cfg 0.1 -5 0.1"       # on 7 of the 28 views: 1, 2, 5, 6, 19, 21, 103
)

# int8_synth_row NAME: "cfg-file head-scale head-shift box-scale"; status 1 for a name not in the table
int8_synth_row() {
    local e
    for e in "${INT8_SYNTH_MODELS[@]}"; do
        [ "${e%% *}" = "$1" ] && { echo "${e#* }"; return 0; }
    done
    return 1
}

# int8_synth NAME CFG_DIR WEIGHTS: NAME's weights written to WEIGHTS with the caller's $DARKRT, its cfg's path
# (CFG_DIR/cfg-file) left in SYNTH_CFG
int8_synth() {
    local row cfg scale shift box
    row=$(int8_synth_row "$1") || { echo "int8_synth: $1: not a model of bench/int8-synth-models.sh" >&2; return 1; }
    read -r cfg scale shift box <<<"$row"
    SYNTH_CFG=$2/$cfg
    "$DARKRT" synth "$SYNTH_CFG" -o "$3" --seed 1 --head-scale "$scale" --head-shift "$shift" --box-scale "$box" >/dev/null
}
