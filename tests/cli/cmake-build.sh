#!/usr/bin/env bash
# The CMake build (CMakeLists.txt, a front for the Makefile) from a clean directory: CUDA backend
# ON where nvcc is found (sm_80 + sm_90 code and sm_90 PTX in the library), else OFF; its darkrt
# finds the same boxes on dog.jpg as the Makefile's build.
source "$(dirname "$0")/../lib.sh"
command -v cmake >/dev/null || skip "no cmake (make deps installs it)"
[ -x "$DARKRT" ] || skip "no darkrt in $DRT_BUILD"
[ -f "$FASTEST_CFG" ] && [ -f "$FASTEST_WEIGHTS" ] || skip "yolo-fastest-1.1 not found (DRT_SHARED)"
B="$TMP/build"
export DRT_CPU_TUNE=0 # the same layer choices in both builds: equal scores to the last digit
if ! cmake -S "$DRT_ROOT" -B "$B" >"$TMP/configure.log" 2>&1; then
    fail "cmake configure: $(tail -n 5 "$TMP/configure.log")"
    finish; exit
fi
backend=$(sed -n 's/^-- darkrt: CUDA backend //p' "$TMP/configure.log")
nvcc=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
if [ -n "$nvcc" ]; then want=ON; else want=OFF; fi
[ "$backend" = "$want" ] && ok "CUDA backend $backend (nvcc: ${nvcc:-none})" \
    || fail "CUDA backend '$backend', expected $want (nvcc: ${nvcc:-none})"
if ! cmake --build "$B" -j "$(nproc)" >"$TMP/build.log" 2>&1; then
    fail "cmake build: $(grep -m 5 -E 'error|Error' "$TMP/build.log")"
    finish; exit
fi
ok "built $(cd "$B" && ls darkrt libdarkrt.a libdarkrt.so | tr '\n' ' ')"
if [ "$backend" = ON ]; then # the GPU code in the CUDA module, or (no cuobjdump) what nvcc was asked for
    dump=$(dirname "$nvcc")/cuobjdump
    if [ -x "$dump" ]; then
        got="$("$dump" --list-elf "$B/libdarkrt-cuda.so" | grep -o 'sm_[0-9]*' | sort -u | tr '\n' ' ')ptx: $("$dump" --list-ptx "$B/libdarkrt-cuda.so" | grep -o 'sm_[0-9]*' | sort -u | tr '\n' ' ')"
    else
        got=$(make -s -C "$DRT_ROOT" -pn BUILD="$B" 2>/dev/null | grep -m 1 '^NVCCFLAGS' | grep -o 'code=[a-z_0-9]*' | sort -u | tr '\n' ' ')
    fi
    grep -q 'sm_80' <<<"$got" && grep -q 'sm_90' <<<"$got" && grep -qE 'ptx: .*sm_90|compute_90' <<<"$got" \
        && ok "sm_80 and sm_90 code, sm_90 PTX ($got)" || fail "GPU code: $got"
fi
for b in "$B/darkrt" "$DARKRT"; do
    "$b" detect "$FASTEST_CFG" -w "$FASTEST_WEIGHTS" "$DN_DATA/dog.jpg" -o "$TMP/x.png" -j - 2>/dev/null |
        python3 -c 'import json,sys; print(json.dumps([e["detections"] for e in json.load(sys.stdin)]))' >>"$TMP/dets"
done
[ "$(sort -u "$TMP/dets" | wc -l)" -eq 1 ] && grep -q '"dog"' "$TMP/dets" && ok "same detections as the Makefile build" \
    || fail "detections differ or missing: $(cat "$TMP/dets")"
finish
