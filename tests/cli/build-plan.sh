#!/usr/bin/env bash
# darkrt build: plans round-trip (same heads as the in-memory engine, close to the reference),
# int8 and bf16 plans run, and bad plans (truncated, flipped byte, other version, foreign
# CPU features, not a plan) are refused with one line, never run, never crash.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "darkrt not built"
[ -r "$FASTEST_CFG" ] && [ -r "$FASTEST_WEIGHTS" ] || skip "yolo-fastest-1.1 missing"
export DRT_CPU_TUNE=0
P=$TMP/f.plan
"$DARKRT" build "$FASTEST_CFG" --weights "$FASTEST_WEIGHTS" -o "$P" --threads 2 --verbose 2>"$TMP/build.log" >"$TMP/build.out" \
    && ok "build fp32 plan: $(cat "$TMP/build.out")" || fail "build fp32: $(tail -3 "$TMP/build.log")"
for pass in "pass dce" "pass fold-bn" "pass fuse-act" "pass fuse-add" "pass concat-inplace" "pass memplan" "layer   0 conv"; do
    grep -q "$pass" "$TMP/build.log" && ok "--verbose shows '$pass'" || fail "--verbose lacks '$pass'"
done
"$DARKRT" run "$P" --random 7 -o "$TMP/plan.f32" >/dev/null 2>"$TMP/e1" || fail "run plan: $(cat "$TMP/e1")"
"$DARKRT" run "$FASTEST_CFG" -w "$FASTEST_WEIGHTS" --device cpu --random 7 -o "$TMP/mem.f32" >/dev/null 2>"$TMP/e2" || fail "run cpu: $(cat "$TMP/e2")"
"$DARKRT" run "$FASTEST_CFG" -w "$FASTEST_WEIGHTS" --device ref --random 7 -o "$TMP/ref.f32" >/dev/null 2>"$TMP/e3" || fail "run ref: $(cat "$TMP/e3")"
cmp -s "$TMP/plan.f32" "$TMP/mem.f32" && ok "plan heads identical to the in-memory cpu engine's" || fail "plan heads differ from the in-memory engine's"
python3 - "$TMP/plan.f32" "$TMP/ref.f32" <<'PY' && ok "plan heads within 1e-4 x max|ref| of the reference" || fail "plan heads far from the reference"
import sys, numpy as np
a, b = (np.fromfile(p, dtype=np.float32) for p in sys.argv[1:3])
d = np.abs(a - b).max(); m = np.abs(b).max()
print(f"max|diff| {d:.3g} max|ref| {m:.3g}")
sys.exit(0 if a.shape == b.shape and m > 0 and d <= 1e-4 * m else 1)
PY
# the portable paths: oneDNN capped below AVX-512 (and darkrt's own kernels portable)
for isa in avx2 sse41; do
    DRT_CPU_ISA=$isa "$DARKRT" run "$FASTEST_CFG" -w "$FASTEST_WEIGHTS" --device cpu --random 7 -o "$TMP/$isa.f32" >/dev/null 2>"$TMP/e5" \
        && python3 - "$TMP/$isa.f32" "$TMP/ref.f32" <<'PY' && ok "DRT_CPU_ISA=$isa: heads within 1e-4 x max|ref|" || fail "DRT_CPU_ISA=$isa: $(cat "$TMP/e5")"
import sys, numpy as np
a, b = (np.fromfile(p, dtype=np.float32) for p in sys.argv[1:3])
sys.exit(0 if a.shape == b.shape and np.abs(a - b).max() <= 1e-4 * np.abs(b).max() else 1)
PY
done
for prec in int8 bf16; do # int8 with s8 activations (sym; the default is below)
    "$DARKRT" build "$FASTEST_CFG" --weights "$FASTEST_WEIGHTS" -o "$TMP/$prec.plan" --precision $prec \
        $([ $prec = int8 ] && echo --calib "$DN_DATA" --int8-activations sym) >/dev/null 2>"$TMP/e4-$prec" \
        && "$DARKRT" run "$TMP/$prec.plan" --random 7 -o "$TMP/$prec.f32" >/dev/null 2>>"$TMP/e4-$prec" \
        && python3 - "$TMP/$prec.f32" "$TMP/ref.f32" <<'PY' && ok "$prec plan runs; heads near the reference" || fail "$prec plan: $(cat "$TMP/e4-$prec")"
import sys, numpy as np
a, b = (np.fromfile(p, dtype=np.float32) for p in sys.argv[1:3])
r = np.abs(a - b).max() / np.abs(b).max()
print(f"relative max diff {r:.3g}")
sys.exit(0 if a.shape == b.shape and r < 0.2 else 1)
PY
done
grep -q "^darkrt: int8 activations: sym (s8, step max|x|/127)$" "$TMP/e4-int8" && ok "--int8-activations sym: the build says sym" ||
    fail "--int8-activations sym: the build does not say sym: $(head -3 "$TMP/e4-int8")"
# the default int8 activations on the CPU, asym (u8 with zero points): the plan runs near the reference, the build says
# which code it used; --int8-activations asym refused without int8 and on the reference engine
"$DARKRT" build "$FASTEST_CFG" --weights "$FASTEST_WEIGHTS" -o "$TMP/asym.plan" --precision int8 \
    --calib "$DN_DATA" --verbose >/dev/null 2>"$TMP/e7" && "$DARKRT" run "$TMP/asym.plan" --random 7 -o "$TMP/asym.f32" >/dev/null 2>>"$TMP/e7" \
    && python3 - "$TMP/asym.f32" "$TMP/ref.f32" <<'PY' && ok "asym int8 plan runs; heads near the reference" || fail "asym int8 plan: $(tail -3 "$TMP/e7")"
import sys, numpy as np
a, b = (np.fromfile(p, dtype=np.float32) for p in sys.argv[1:3])
r = np.abs(a - b).max() / np.abs(b).max()
print(f"relative max diff {r:.3g}")
sys.exit(0 if a.shape == b.shape and r < 0.2 else 1)
PY
grep -q "zero points" "$TMP/e7" && ok "--verbose names the convs with zero points" || fail "asym: no conv with zero points in --verbose"
grep -q "^darkrt: int8 activations: asym (.*the cpu engine's default" "$TMP/e7" && ok "the default int8 build says it used asym" ||
    fail "the default int8 build does not say asym: $(head -3 "$TMP/e7")"
for args in "--int8-activations asym" "--precision int8 --int8-activations u8" "--device ref --precision int8 --int8-activations asym"; do
    # shellcheck disable=SC2086
    if "$DARKRT" build "$FASTEST_CFG" --weights "$FASTEST_WEIGHTS" -o "$TMP/no.plan" $args >/dev/null 2>"$TMP/e8"; then
        fail "build $args: accepted"
    else
        [ "$(grep -c . "$TMP/e8")" = 1 ] && ok "build $args: refused, one line: $(cat "$TMP/e8")" || fail "build $args: $(cat "$TMP/e8")"
    fi
done
# a plan that chose darkrt's Winograd (forced) loads it back and still matches the reference
TW="$DRT_DATA/yolov3-tiny.weights"
if [ -s "$TW" ]; then
    DRT_CPU_WINOGRAD=force "$DARKRT" build "$DN_CFG/yolov3-tiny.cfg" --weights "$TW" --size 160x160 -o "$TMP/w.plan" --verbose \
        2>"$TMP/w.log" >/dev/null || fail "winograd build: $(tail -1 "$TMP/w.log")"
    grep -q "winograd" "$TMP/w.log" && ok "--verbose names the Winograd layers" || fail "no layer took Winograd"
    "$DARKRT" run "$TMP/w.plan" --random 3 -o "$TMP/w.f32" >/dev/null 2>"$TMP/e6" || fail "run winograd plan: $(cat "$TMP/e6")"
    "$DARKRT" run "$DN_CFG/yolov3-tiny.cfg" -w "$TW" --size 160x160 --device ref --random 3 -o "$TMP/wr.f32" >/dev/null 2>&1
    python3 - "$TMP/w.f32" "$TMP/wr.f32" <<'PY' && ok "winograd plan heads within 1e-4 x max|ref|" || fail "winograd plan heads far from the reference"
import sys, numpy as np
a, b = (np.fromfile(p, dtype=np.float32) for p in sys.argv[1:3])
sys.exit(0 if a.shape == b.shape and np.abs(a - b).max() <= 1e-4 * np.abs(b).max() else 1)
PY
fi
# bad plans
size=$(stat -c %s "$P")
head -c $((size / 2)) "$P" >"$TMP/trunc.plan"
expect_error "truncated plan" "trunc.plan.*(truncated|short)" "$DARKRT" run "$TMP/trunc.plan" --random 1 -o "$TMP/x.f32"
head -c 100 "$P" >"$TMP/tiny.plan"
expect_error "plan cut inside the header" "tiny.plan" "$DARKRT" run "$TMP/tiny.plan" --random 1 -o "$TMP/x.f32"
cp "$P" "$TMP/flip.plan"
printf '\x5a' | dd of="$TMP/flip.plan" bs=1 seek=$((size / 3)) conv=notrunc 2>/dev/null
expect_error "flipped byte" "flip.plan.*checksum" "$DARKRT" run "$TMP/flip.plan" --random 1 -o "$TMP/x.f32"
cp "$P" "$TMP/version.plan"
printf '9.9.9\0\0\0' | dd of="$TMP/version.plan" bs=1 seek=16 conv=notrunc 2>/dev/null
expect_error "other darkrt version" "version.plan.*darkrt 9.9.9.*rebuild" "$DARKRT" run "$TMP/version.plan" --random 1 -o "$TMP/x.f32"
head -c 4096 /dev/urandom >"$TMP/random.plan"
expect_error "not a plan" "random.plan.*not a darkrt plan" "$DARKRT" run "$TMP/random.plan" --random 1 -o "$TMP/x.f32"
: >"$TMP/empty.plan"
expect_error "empty plan" "empty.plan" "$DARKRT" bench "$TMP/empty.plan" --runs 1
if grep -q avx512 /proc/cpuinfo; then
    expect_error "plan for a CPU with AVX-512 under DRT_CPU_ISA=avx2" "f.plan.*lacks avx512" \
        env DRT_CPU_ISA=avx2 "$DARKRT" run "$P" --random 1 -o "$TMP/x.f32"
fi
expect_error "fp16 on the cpu" "fp16.*bf16" "$DARKRT" build "$FASTEST_CFG" --weights "$FASTEST_WEIGHTS" -o "$TMP/h.plan" --precision fp16
expect_error "build without -o" "output plan is required" "$DARKRT" build "$FASTEST_CFG" --weights "$FASTEST_WEIGHTS"
expect_error "bad --passes-off" "unknown pass" "$DARKRT" build "$FASTEST_CFG" -o "$TMP/y.plan" --passes-off nope
[ ! -e "$TMP/y.plan" ] && ok "no plan written after an error" || fail "a plan was written after an error"
finish
