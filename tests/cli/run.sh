#!/usr/bin/env bash
# `darkrt run`: the documented --random generator (checked in Python), --input reproduces it,
# a batch of N holds N independent images, the output layout, and one-line errors that leave
# no output file behind.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no $DARKRT"
[ -f "$FASTEST_WEIGHTS" ] || fail "no $FASTEST_WEIGHTS"
RUN=("$DARKRT" run "$FASTEST_CFG" -w "$FASTEST_WEIGHTS")

out=$("${RUN[@]}" --random 7 -o "$TMP/r7.f32" --save-input "$TMP/in7.f32") || fail "run --random 7: $out"
grep -q '^head 0: 1 255 10 10$' <<<"$out" && grep -q '^head 1: 1 255 20 20$' <<<"$out" || fail "head shapes: $out"
grep -qE '^elapsed: [0-9.]+ ms$' <<<"$out" || fail "no elapsed line: $out"
[ "$(stat -c %s "$TMP/r7.f32")" -eq $(((255 * 100 + 255 * 400) * 4)) ] || fail "heads file size"
[ "$(stat -c %s "$TMP/in7.f32")" -eq $((3 * 320 * 320 * 4)) ] || fail "input file size"

# The generator as documented in `darkrt run --help`, computed independently.
python3 - "$TMP/in7.f32" <<'PY' || fail "--random 7 is not the documented splitmix64 sequence"
import struct, sys
data = open(sys.argv[1], 'rb').read()
vals = struct.unpack('<%df' % (len(data) // 4), data)
M = (1 << 64) - 1
s = 7
for k, v in enumerate(vals):
    s = (s + 0x9E3779B97F4A7C15) & M
    z = s
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    z ^= z >> 31
    want = (z >> 40) / 16777216.0
    if v != want:
        sys.exit('value %d: %r != %r' % (k, v, want))
PY
ok "--random follows the documented generator"

"${RUN[@]}" --input "$TMP/in7.f32" -o "$TMP/i7.f32" >/dev/null || fail "run --input"
cmp -s "$TMP/r7.f32" "$TMP/i7.f32" && ok "--input of the saved input gives the same heads" || fail "--input differs from --random"

# Batch 2 = [random 7 image, random 7 image]: both halves of each head equal the batch-1 heads.
cat "$TMP/in7.f32" "$TMP/in7.f32" > "$TMP/in7x2.f32"
out=$("${RUN[@]}" --batch 2 --input "$TMP/in7x2.f32" -o "$TMP/b2.f32") || fail "batch 2: $out"
grep -q '^head 1: 2 255 20 20$' <<<"$out" || fail "batch 2 shapes: $out"
python3 - "$TMP/r7.f32" "$TMP/b2.f32" <<'PY' || fail "batch 2 heads are not two copies of batch 1"
import sys
one, two = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
h0, h1 = 255 * 100 * 4, 255 * 400 * 4
assert two == one[:h0] * 2 + one[h0:] * 2, "layout: head 0 (n=2), then head 1 (n=2)"
PY
ok "batch 2 layout and independence"

# pjreddie's batchnorm changes yolo-fastest's heads (its trained variances are small).
"${RUN[@]}" --bn pjreddie --input "$TMP/in7.f32" -o "$TMP/p7.f32" >/dev/null || fail "run --bn pjreddie"
cmp -s "$TMP/r7.f32" "$TMP/p7.f32" && fail "--bn pjreddie gives the same heads" || ok "--bn pjreddie differs"

# Errors: one line, non-zero exit, no output file.
head -c 1000 "$TMP/in7.f32" > "$TMP/short.f32"
expect_error "short input" "short.f32: 1000 bytes: must be 1228800" "${RUN[@]}" --input "$TMP/short.f32" -o "$TMP/e1.f32"
expect_error "batch 2 on one image" "must be 2457600" "${RUN[@]}" --batch 2 --input "$TMP/in7.f32" -o "$TMP/e2.f32"
expect_error "no input" "exactly one of --input" "${RUN[@]}" -o "$TMP/e3.f32"
expect_error "two inputs" "exactly one of --input" "${RUN[@]}" --random 1 --input "$TMP/in7.f32" -o "$TMP/e4.f32"
expect_error "no output" "output file is required" "${RUN[@]}" --random 1
expect_error "bad device" "run: --device gpu: must be" "${RUN[@]}" --random 1 --device gpu -o "$TMP/e5.f32"
expect_error "bad batch" "run: --batch 0: must be" "${RUN[@]}" --random 1 --batch 0 -o "$TMP/e6.f32"
expect_error "bad seed" "run: --random -3: must be" "${RUN[@]}" --random -3 -o "$TMP/e7.f32"
expect_error "ref is fp32" "reference engine computes fp32 only" "${RUN[@]}" --random 1 --precision fp16 -o "$TMP/e8.f32"
expect_error "missing model" "nope.cfg" "$DARKRT" run "$TMP/nope.cfg" --random 1 -o "$TMP/e9.f32"
expect_error "unwritable output" "$TMP/no/such/dir" "${RUN[@]}" --random 1 -o "$TMP/no/such/dir/h.f32"
for i in 1 2 3 4 5 6 7 8 9; do [ -e "$TMP/e$i.f32" ] && fail "error case $i left an output file"; done
ls "$TMP" | grep -q tmp- && fail "a temporary output was left behind: $(ls "$TMP")"
finish
