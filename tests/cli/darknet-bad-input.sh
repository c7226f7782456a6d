#!/usr/bin/env bash
# Hostile cfg and weights files: `darkrt inspect` answers each with one line naming the file,
# the place and the rule, and a non-zero exit (no crash, no leak under ASan).
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no $DARKRT"
BAD="$DRT_ROOT/tests/bad"

# The cfg corpus: each file's first line says what the error must match ("# expect: REGEX").
declare -A special=(
    [empty.cfg]='empty.cfg:1: no sections: not a Darknet cfg'
    [binary-nul.cfg]='binary-nul.cfg:3: contains a NUL byte'
    [prose.cfg]="prose.cfg:1 'just some prose, not a config at all': expected key=value"
)
n=0
for f in "$BAD"/cfg/*.cfg; do
    name=$(basename "$f")
    pattern=${special[$name]:-}
    [ -z "$pattern" ] && pattern=$(sed -n '1s/^# expect: //p' "$f")
    [ -z "$pattern" ] && { fail "$name: no '# expect:' line and no built-in pattern"; continue; }
    expect_error "cfg $name" "$pattern" "$DARKRT" inspect -q "$f"
    n=$((n + 1))
done
[ "$n" -ge 30 ] || fail "only $n bad cfgs found under $BAD/cfg"
# Binary garbage without NUL bytes, made here (control bytes stay out of the repository).
printf '\x7fELF\x02\x01\x01\xff\xfe\xfd\x80\x81\x02\xc3\x3e\x91\n\x90\xa0\x1b[2J' > "$TMP/garbage.cfg"
expect_error "binary garbage" "garbage.cfg:1 '\\?ELF\\?+.*': expected key=value or \\[section\\]" "$DARKRT" inspect "$TMP/garbage.cfg"
head -c 3000 /dev/zero | tr '\0' '[' > "$TMP/brackets.cfg"
expect_error "one long bad line" "brackets.cfg:1 '\\[{40}\\.\\.\\.': a section header must end" "$DARKRT" inspect "$TMP/brackets.cfg"
# xnor=1 runs as AlexeyAB's detector runs it; pjreddie's Darknet binarizes another way.
expect_error "xnor with --bn pjreddie" "xnor.cfg:13 \\[convolutional\\] \\(layer 0\\) xnor=1 with pjreddie's semantics" \
    "$DARKRT" inspect -q --bn pjreddie "$DRT_ROOT/tests/alexeyab/xnor.cfg"

# Weights: made here from a small cfg (no big files in the repository).
cfg=$TMP/small.cfg
cat > "$cfg" <<'CFG'
[net]
width=32
height=32
channels=3
[convolutional]
batch_normalize=1
filters=4
size=3
pad=1
activation=leaky
[convolutional]
filters=2
size=1
activation=linear
CFG
# 4*4 (bias, scale, mean, var) + 4*3*9 (kernel) + 2 + 2*4 = 134 floats; header 20 bytes.
good=$TMP/good.weights
"$DARKRT" synth "$cfg" -o "$good" --seed 7 >/dev/null || fail "synth small cfg"
size=$(stat -c %s "$good")
[ "$size" -eq $((20 + 4 * 134)) ] && ok "synth wrote $size bytes" || fail "synth wrote $size bytes, expected $((20 + 4 * 134))"
"$DARKRT" inspect "$cfg" -w "$good" >/dev/null 2>&1 && ok "good weights load" || fail "good weights do not load"

head -c $((size - 1)) "$good" > "$TMP/truncated.weights"
expect_error "truncated weights" "truncated.weights: $((size - 1)) bytes, but .*small.cfg needs $size .*too short by 1 bytes" \
    "$DARKRT" inspect "$cfg" -w "$TMP/truncated.weights"
{ cat "$good"; printf 'PAD!'; } > "$TMP/padded.weights"
expect_error "padded weights" "padded.weights: $((size + 4)) bytes, but .*needs $size .*too long by 4 bytes" \
    "$DARKRT" inspect "$cfg" -w "$TMP/padded.weights"
head -c 20 "$good" > "$TMP/header-only.weights"
expect_error "header-only weights" "header-only.weights: 20 bytes, but .*needs $size" "$DARKRT" inspect "$cfg" -w "$TMP/header-only.weights"
: > "$TMP/empty.weights"
expect_error "empty weights" "empty.weights: 0 bytes: too short for the 12-byte Darknet header" "$DARKRT" inspect "$cfg" -w "$TMP/empty.weights"
# version 0.1 says `seen` is 32-bit: the same floats are then 4 bytes too many
{ printf '\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00'; tail -c +13 "$good"; } > "$TMP/v01.weights"
expect_error "0.1 header on a 0.2 body" "v01.weights: $size bytes, but .*needs $((size - 4)) \\(version 0.1 header of 16 bytes" \
    "$DARKRT" inspect "$cfg" -w "$TMP/v01.weights"
{ printf '\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'; tail -c +21 "$good"; } > "$TMP/v01-ok.weights"
"$DARKRT" inspect "$cfg" -w "$TMP/v01-ok.weights" >/dev/null 2>&1 && ok "0.1 header with 32-bit seen loads" || fail "0.1 weights refused"
{ printf '\xff\xff\xff\x7f\x02\x00\x00\x00\x00\x00\x00\x00'; tail -c +13 "$good"; } > "$TMP/bad-major.weights"
expect_error "wrong header" "bad-major.weights: header version 2147483647.2.0: not a Darknet weights file" \
    "$DARKRT" inspect "$cfg" -w "$TMP/bad-major.weights"
{ head -c 20 "$good"; printf '\x00\x00\xc0\x7f'; tail -c +25 "$good"; } > "$TMP/nan.weights"
expect_error "NaN weight" "nan.weights: layer 0 \\(cfg line 5\\) float 0 of 124 is nan: weights must be finite" \
    "$DARKRT" inspect "$cfg" -w "$TMP/nan.weights"
# rolling variance of filter 0 of layer 0 sits after biases, scales and means: float 12
{ head -c $((20 + 48)) "$good"; printf '\x00\x00\x80\xbf'; tail -c +$((20 + 52 + 1)) "$good"; } > "$TMP/negvar.weights"
expect_error "negative variance" "negvar.weights: layer 0 \\(cfg line 5\\) rolling variance -1 of filter 0: must be >= 0" \
    "$DARKRT" inspect "$cfg" -w "$TMP/negvar.weights"
expect_error "weights is a directory" "$TMP: not a regular file" "$DARKRT" inspect "$cfg" -w "$TMP"
expect_error "missing weights" "nope.weights: cannot open" "$DARKRT" inspect "$cfg" -w "$TMP/nope.weights"
expect_error "missing cfg" "nope.cfg: cannot open" "$DARKRT" inspect "$TMP/nope.cfg"
# A cfg given where weights belong, and weights given as the cfg.
expect_error "weights as cfg" "good.weights:1: contains a NUL byte" "$DARKRT" inspect "$good"
finish
