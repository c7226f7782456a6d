#!/usr/bin/env bash
# Optional parts load on first use (src/core/module.h): the CLI and libdarkrt.so link no CUDA, FFmpeg
# or SDL library; the CUDA backend is libdarkrt-cuda.so and FFmpeg's video libdarkrt-video.so, each
# exporting only its entry. Without the CUDA module, --device cuda is one error line ("CUDA backend
# not available: <why>") and the CPU still runs; with it (and no GPU here) the error comes from
# inside the module, which proves it loaded and that its error text reaches the caller. Images never
# load the video module; a video source (an image sequence here) does, and without it is one error line.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no $DARKRT"
M=("$TINY_CFG" -w "$TINY_WEIGHTS" "$TINY_IMG" --no-draw)
for f in "$DARKRT" "$DRT_BUILD/libdarkrt.so"; do
    cu=$(readelf -d "$f" | grep -oE 'lib(cudart|cudnn|cublas|avcodec|avformat|swscale|SDL2)[^]]*' | tr '\n' ' ')
    [ -z "$cu" ] && ok "$(basename "$f") links no CUDA, FFmpeg or SDL library" || fail "$(basename "$f") links $cu"
done
# Code outside the modules must not call into them: a shared library links with undefined names.
undef=$(nm -u "$DRT_BUILD/libdarkrt.so" | awk '$2 ~ /^drt_/ {print $2}' | tr '\n' ' ')
[ -z "$undef" ] && ok "libdarkrt.so leaves no drt_ name undefined" || fail "libdarkrt.so needs module code: $undef"
mkdir "$TMP/seq" && cp "$TINY_IMG" "$TMP/seq/0000.png"
loaded() { LD_DEBUG=files "$@" 2>&1 >/dev/null | grep -c 'file=.*libdarkrt-video.so'; }
[ "$(loaded "$DARKRT" detect "${M[@]}")" = 0 ] && ok "an image does not load libdarkrt-video.so" || fail "an image loaded libdarkrt-video.so"
[ "$(loaded "$DARKRT" detect "$TINY_CFG" -w "$TINY_WEIGHTS" "$TMP/seq/%04d.png" -o "$TMP/out.mp4")" -gt 0 ] \
    && ok "a video source loads libdarkrt-video.so" || fail "a video source did not load libdarkrt-video.so"
DRT_MODULE_DIR="$TMP/seq" expect_error "no video module" "video support \(FFmpeg\) not available: .*libdarkrt-video.so" \
    "$DARKRT" detect "$TINY_CFG" -w "$TINY_WEIGHTS" "$TMP/seq/%04d.png" -o "$TMP/out2.mp4"
mkdir "$TMP/empty"
DRT_MODULE_DIR="$TMP/empty" expect_error "no module" "CUDA backend not available: .*libdarkrt-cuda.so" "$DARKRT" detect "${M[@]}" --device cuda
DRT_MODULE_DIR="$TMP/empty" "$DARKRT" detect "${M[@]}" >"$TMP/cpu.txt" 2>&1 && grep -q "objects in" "$TMP/cpu.txt" \
    && ok "the CPU runs without the module" || fail "CPU detect without the module: $(cat "$TMP/cpu.txt")"
MOD="$DRT_BUILD/libdarkrt-cuda.so"
if [ -f "$MOD" ]; then
    exports=$(nm -D --defined-only "$MOD" | awk '$2 ~ /^[TWDBRVi]$/ {print $3}' | grep -vxE '_init|_fini|_edata|_end|__bss_start' | tr '\n' ' ')
    [ "$exports" = "drt_module_cuda " ] && ok "libdarkrt-cuda.so exports only drt_module_cuda" || fail "libdarkrt-cuda.so exports: $exports"
    readelf -d "$MOD" | grep -q 'libcudart' && ok "libdarkrt-cuda.so links libcudart" || fail "libdarkrt-cuda.so does not link libcudart"
    out=$("$DARKRT" detect "${M[@]}" --device cuda 2>&1); rc=$?
    if [ $rc -eq 0 ]; then ok "detect --device cuda through the module (a GPU is here)"
    elif grep -q "not available" <<<"$out"; then fail "the module was not found beside $DARKRT: $out"
    elif grep -qE "cuda: no CUDA device|no such device" <<<"$out" && [ "$(wc -l <<<"$out")" -eq 1 ]; then
        ok "the module loaded; its one-line error reached the CLI: $out"
    else fail "detect --device cuda (rc=$rc): $out"; fi
else
    echo "note: no $MOD (a build without nvcc): the loaded-module checks are skipped"
fi
finish
