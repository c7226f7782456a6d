#!/usr/bin/env bash
# darkrt compare and eval refuse bad input with one line and a non-zero exit, writing nothing.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "darkrt is not built"
img="$DN_DATA/dog.jpg"
expect_error "no model" "no model" "$DARKRT" compare
expect_error "no image" "no image" "$DARKRT" compare "$FASTEST_CFG"
expect_error "unknown engine" "unknown engine 'tpu-fp8'" "$DARKRT" compare "$FASTEST_CFG" "$img" --engines ref,tpu-fp8
expect_error "ref at int8" "unknown engine 'ref-int8'" "$DARKRT" compare "$FASTEST_CFG" "$img" --engines ref-int8
expect_error "bad runs" "runs 0: must be an integer" "$DARKRT" compare "$FASTEST_CFG" "$img" --runs 0
expect_error "bad thresh" "thresh 2: must be a number" "$DARKRT" compare "$FASTEST_CFG" "$img" --thresh 2
expect_error "missing image" "nope.jpg: no such file" "$DARKRT" compare "$FASTEST_CFG" "$TMP/nope.jpg"
expect_error "missing model" "nope.cfg: cannot open" "$DARKRT" compare "$TMP/nope.cfg" "$img" --json "$TMP/o.json"
[ -f "$FASTEST_WEIGHTS" ] && expect_error "weights of another model" "yolo-fastest-1.1.weights: .*too short" \
    "$DARKRT" compare "$DN_CFG/yolov3-tiny.cfg" "$img" --weights "$FASTEST_WEIGHTS" --engines ref --json "$TMP/o.json"
[ -e "$TMP/o.json" ] && fail "bad model: --json file written anyway"
mkdir "$TMP/empty"
expect_error "empty dir" "no image files" "$DARKRT" compare "$FASTEST_CFG" "$TMP/empty"
expect_error "unknown flag" "unknown option --frobnicate" "$DARKRT" compare "$FASTEST_CFG" "$img" --frobnicate
expect_error "missing peer" "peer.json: cannot read" "$DARKRT" compare "$FASTEST_CFG" "$img" --peer-json "$TMP/peer.json"
printf 'not an image' >"$TMP/bad.jpg"
expect_error "undecodable image" "bad.jpg" "$DARKRT" compare "$FASTEST_CFG" -w "$FASTEST_WEIGHTS" "$TMP/bad.jpg" --json "$TMP/o.json"
[ -e "$TMP/o.json" ] && fail "undecodable image: --json file written anyway"
if [ -f "$FASTEST_WEIGHTS" ]; then
    printf '{"engine": "p", "images": [{"image": "dog.jpg", "detections": [{"class_id": 1}]}]}' >"$TMP/peer.json"
    expect_error "bad peer entry" "peer.json: image dog.jpg: detection 0: needs" "$DARKRT" compare "$FASTEST_CFG" "$img" \
        --weights "$FASTEST_WEIGHTS" --engines ref --runs 1 --warmup 0 --peer-json "$TMP/peer.json" --json "$TMP/o.json"
    printf '{"engine": "p",\n "images": [}' >"$TMP/peer.json"
    expect_error "broken peer JSON" "peer.json:2: invalid JSON" "$DARKRT" compare "$FASTEST_CFG" "$img" \
        --weights "$FASTEST_WEIGHTS" --engines ref --runs 1 --warmup 0 --peer-json "$TMP/peer.json" --json "$TMP/o.json"
    [ -e "$TMP/o.json" ] && fail "bad peer: --json file written anyway"
fi
printf '[{"image": "a.jpg", "detections": []}]' >"$TMP/a.json"
printf '{"image": "a.jpg", "detections": [' >"$TMP/b.json"
expect_error "eval: broken JSON" "b.json:1: invalid JSON" "$DARKRT" eval "$TMP/a.json" "$TMP/b.json"
printf '{"image": "other.jpg", "detections": []}' >"$TMP/c.json"
expect_error "eval: nothing in common" "no image appears in both" "$DARKRT" eval "$TMP/a.json" "$TMP/c.json"
expect_error "eval: bad iou" "iou 0: must be" "$DARKRT" eval "$TMP/a.json" "$TMP/c.json" --iou 0
ls "$TMP" | grep -q 'tmp-' && fail "a temporary file was left behind: $(ls "$TMP")"
finish
