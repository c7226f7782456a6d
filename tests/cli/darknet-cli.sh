#!/usr/bin/env bash
# `darkrt inspect` and `darkrt synth`: flags, determinism, atomic output, and the table's facts
# checked against the files themselves (weights file size, Darknet's head sizes).
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no $DARKRT"

"$DARKRT" inspect --help | grep -q '^usage: darkrt inspect MODEL' && ok "inspect --help" || fail "inspect --help"
"$DARKRT" synth --help | grep -q '^usage: darkrt synth CFG' && ok "synth --help" || fail "synth --help"
expect_error "inspect without model" "darkrt inspect: no model given" "$DARKRT" inspect
expect_error "inspect two models" "exactly one model expected" "$DARKRT" inspect a.cfg b.cfg
expect_error "inspect unknown flag" "darkrt inspect: --frobnicate: unknown option" "$DARKRT" inspect --frobnicate x.cfg
expect_error "inspect --bn" "darkrt inspect: --bn foo: must be alexeyab or pjreddie" "$DARKRT" inspect --bn foo x.cfg
expect_error "inspect --size" "darkrt inspect: --size 0x5: must be WxH" "$DARKRT" inspect --size 0x5 x.cfg
expect_error "inspect -w without value" "darkrt inspect: -w: needs a value" "$DARKRT" inspect x.cfg -w
expect_error "synth without -o" "darkrt synth: -o FILE.weights is required" "$DARKRT" synth "$DN_CFG/yolov3-tiny.cfg"
expect_error "synth bad seed" "darkrt synth: --seed 12ab: must be an integer" "$DARKRT" synth "$DN_CFG/yolov3-tiny.cfg" -o "$TMP/x.weights" --seed 12ab
expect_error "synth negative seed" "darkrt synth: --seed -1: must be an integer" "$DARKRT" synth "$DN_CFG/yolov3-tiny.cfg" -o "$TMP/x.weights" --seed -1

# Determinism: same seed, same bytes; another seed, other bytes; size = 20-byte header + params.
t=$DN_CFG/yolov3-tiny.cfg
"$DARKRT" synth "$t" -o "$TMP/a.weights" --seed 5 >/dev/null && "$DARKRT" synth "$t" -o "$TMP/b.weights" -s 5 >/dev/null \
  && "$DARKRT" synth "$t" -o "$TMP/c.weights" --seed 6 >/dev/null || fail "synth yolov3-tiny"
cmp -s "$TMP/a.weights" "$TMP/b.weights" && ok "same seed, same bytes" || fail "same seed gave different bytes"
cmp -s "$TMP/a.weights" "$TMP/c.weights" && fail "seeds 5 and 6 gave the same bytes" || ok "another seed, other bytes"
params=$("$DARKRT" inspect -q "$t" | sed -n 's/^total: .* layers, \([0-9]*\) parameters.*/\1/p')
size=$(stat -c %s "$TMP/a.weights")
[ -n "$params" ] && [ "$size" -eq $((20 + 4 * params)) ] && ok "yolov3-tiny.weights: $size bytes = 20 + 4 x $params" \
  || fail "synth size $size vs $params parameters"
"$DARKRT" inspect "$t" -w "$TMP/a.weights" | grep -q '^weights: loaded' && ok "synthesised weights load" || fail "synthesised weights do not load"

# --head-scale S --head-shift B --box-scale X: every weight outside the two head convs keeps its bytes; the heads'
# raw outputs (the reference pass, one random input) are S X x the plain weights' on x, y, w, h and S x them + B
# on objectness and the 80 classes of each of the 3 anchors; S 1, B 0 (X 1) is the plain file.
"$DARKRT" synth "$t" -o "$TMP/h.weights" --seed 5 --head-scale 0.5 --head-shift -1.5 --box-scale 0.2 >/dev/null \
  && "$DARKRT" synth "$t" -o "$TMP/h1.weights" --seed 5 --head-scale 1 --head-shift 0 >/dev/null || fail "synth --head-scale"
cmp -s "$TMP/a.weights" "$TMP/h1.weights" && ok "--head-scale 1 --head-shift 0: the plain bytes" || fail "scale 1, shift 0 changed bytes"
"$DARKRT" run "$t" -w "$TMP/a.weights" --random 3 -o "$TMP/a.f32" >/dev/null && "$DARKRT" run "$t" -w "$TMP/h.weights" --random 3 \
  -o "$TMP/h.f32" >/dev/null || fail "run on synthesised heads"
python3 - "$TMP/a.weights" "$TMP/h.weights" "$TMP/a.f32" "$TMP/h.f32" <<'PY' && ok "heads scaled by 0.5 (boxes by 0.1), objectness and classes shifted by -1.5; nothing else moved" || fail "--head-scale/--head-shift/--box-scale"
import sys
import numpy as np
wa, wh = (np.fromfile(p, dtype=np.float32, offset=20) for p in sys.argv[1:3])
changed = np.flatnonzero(wa != wh)
ha, hh = (np.fromfile(p, dtype=np.float32) for p in sys.argv[3:5])
ok = True
off = 0
for s in (13, 26):
    a = ha[off:off + 255 * s * s].reshape(3, 85, s * s).astype(np.float64)
    h = hh[off:off + 255 * s * s].reshape(3, 85, s * s).astype(np.float64)
    off += 255 * s * s
    want = 0.5 * a
    want[:, :4] *= 0.2
    want[:, 4:] -= 1.5
    err = np.abs(h - want).max() / max(1.0, np.abs(want).max())
    ok &= err < 1e-5
    print("head %dx%d: max error %.2e" % (s, s, err))
n_head_params = 2 * 255 + 255 * 512 + 255 * 256
print("changed %d floats, the heads hold %d" % (len(changed), n_head_params))
ok &= 0 < len(changed) <= n_head_params
sys.exit(0 if ok else 1)
PY
expect_error "synth --head-scale 0" "darkrt synth: --head-scale 0x: must be a number in \\[0, 100\\]" "$DARKRT" synth "$t" -o "$TMP/x.weights" --head-scale 0x
expect_error "synth --head-shift -200" "darkrt synth: --head-shift -200: must be a number in \\[-100, 100\\]" "$DARKRT" synth "$t" -o "$TMP/x.weights" --head-shift -200
expect_error "synth --box-scale -1" "darkrt synth: --box-scale -1: must be a number in \\[0, 100\\]" "$DARKRT" synth "$t" -o "$TMP/x.weights" --box-scale -1

# A failing synth leaves an existing output untouched and no temporary behind.
cp "$TMP/a.weights" "$TMP/keep.weights"
printf '[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nsize=0\n' > "$TMP/bad.cfg"
expect_error "synth of a bad cfg" "bad.cfg:6 \\[convolutional\\] size=0: must be > 0" "$DARKRT" synth "$TMP/bad.cfg" -o "$TMP/keep.weights"
cmp -s "$TMP/a.weights" "$TMP/keep.weights" && ok "old output kept" || fail "old output changed"
ls "$TMP" | grep -q 'tmp-' && fail "temporary file left: $(ls "$TMP")" || ok "no temporary left"
expect_error "synth into a missing directory" "nodir/x.weights: cannot create" "$DARKRT" synth "$t" -o "$TMP/nodir/x.weights"

# yolo-fastest-1.1 with its real weights and names: parameters = (file size - 20-byte header) / 4.
if [ -f "$FASTEST_CFG" ] && [ -f "$FASTEST_WEIGHTS" ]; then
    out=$("$DARKRT" inspect -q "$FASTEST_CFG" --weights "$FASTEST_WEIGHTS" --names "$COCO_NAMES") || fail "inspect yolo-fastest"
    want=$(( ($(stat -c %s "$FASTEST_WEIGHTS") - 20) / 4 ))
    grep -q "^total: 131 layers, $want parameters" <<<"$out" && ok "yolo-fastest: 131 layers, $want parameters" \
      || fail "yolo-fastest totals: $(tail -n 1 <<<"$out")"
    grep -q '^weights: loaded; class names: 80$' <<<"$out" && ok "weights and 80 names" || fail "weights/names line"
    # Darknet's strides 32 and 16 at 320x320
    grep -q '^head 0: layer 121, 10x10x255, classes 80' <<<"$out" && grep -q '^head 1: layer 130, 20x20x255' <<<"$out" \
      && ok "yolo-fastest heads 10x10 and 20x20" || fail "yolo-fastest heads: $(grep '^head' <<<"$out")"
    grep -q 'batchnorm alexeyab' <<<"$out" && ok "default batchnorm alexeyab" || fail "bn line"
    "$DARKRT" inspect -q "$FASTEST_CFG" --bn pjreddie | grep -q 'batchnorm pjreddie' && ok "--bn pjreddie" || fail "--bn pjreddie"
else
    echo "note: yolo-fastest-1.1 not found under $SHARED/models; its checks skipped"
fi
out=$("$DARKRT" inspect -q "$t" --size 320x192)
grep -q '^head 0: layer 16, 10x6x255' <<<"$out" && grep -q '^head 1: layer 23, 20x12x255' <<<"$out" \
  && ok "--size 320x192 gives 10x6 and 20x12 heads" || fail "--size: $(grep '^head' <<<"$out")"
finish
