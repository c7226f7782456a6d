#!/usr/bin/env bash
# detect --hwaccel cuda where NVDEC cannot run: the CPU decodes, the detections equal a run without
# --hwaccel, and the one warning carries the driver's own reason. The driver is a stand-in
# libcuda.so.1 built here from ffnvcodec's list of the functions FFmpeg loads (every one
# "succeeds"; cuInit returns what FAKE_CUINIT says):
#  - cuInit fails (CUDA_ERROR_NO_DEVICE): "cuInit: no CUDA-capable device is detected";
#  - the driver starts but libnvcuvid.so.1 is missing: FFmpeg gives software frames, and the
#    warning says NVDEC did not take the stream.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no darkrt in $DRT_BUILD"
[ -f "$FASTEST_CFG" ] && [ -f "$FASTEST_WEIGHTS" ] || skip "yolo-fastest-1.1 not found (DRT_SHARED)"
command -v ffmpeg >/dev/null || skip "no ffmpeg CLI (scripts/deps.sh installs it)"
LOADER=/usr/include/ffnvcodec/dynlink_loader.h
[ -f "$LOADER" ] || skip "no $LOADER (libffmpeg-nvenc-dev)"
M=("$FASTEST_CFG" --weights "$FASTEST_WEIGHTS")

# The stand-in driver: the functions cuda_load_functions takes, each returning CUDA_SUCCESS (0) and
# filling what FFmpeg and darkrt read back.
mkdir -p "$TMP/drv"
{
    echo '#include <stdlib.h>'
    echo '#include <stdint.h>'
    echo 'int cuInit(unsigned f) { (void)f; const char *e = getenv("FAKE_CUINIT"); return e ? atoi(e) : 0; }'
    echo 'int cuGetErrorString(int r, const char **s) { *s = r == 100 ? "no CUDA-capable device is detected" : "fake error"; return 0; }'
    echo 'int cuGetErrorName(int r, const char **s) { *s = r == 100 ? "CUDA_ERROR_NO_DEVICE" : "CUDA_ERROR_FAKE"; return 0; }'
    echo 'int cuDeviceGet(int *d, int i) { *d = i; return 0; }'
    echo 'int cuDeviceGetCount(int *n) { *n = 1; return 0; }'
    echo 'int cuDeviceGetAttribute(int *v, int a, int d) { (void)a; (void)d; *v = 512; return 0; }'
    echo 'int cuDevicePrimaryCtxRetain(void **c, int d) { (void)d; *c = (void *)0x1000; return 0; }'
    echo 'int cuDevicePrimaryCtxGetState(int d, unsigned *f, int *a) { (void)d; *f = 0; *a = 1; return 0; }'
    echo 'int cuCtxPopCurrent_v2(void **c) { if (c) *c = (void *)0x1000; return 0; }'
    echo 'int cuStreamCreate(void **s, unsigned f) { (void)f; *s = (void *)0x2000; return 0; }'
    echo 'static uintptr_t next_ptr = 0x100000;'
    echo 'int cuMemAlloc_v2(uintptr_t *p, size_t n) { *p = next_ptr; next_ptr += (n + 4095) & ~(size_t)4095; return 0; }'
    sed -n '/static inline int cuda_load_functions/,/^}/p' "$LOADER" | grep -o 'LOAD_SYMBOL[_OPT]*([^"]*"[^"]*"' |
        sed 's/.*"\(.*\)"/\1/' | sort -u |
        grep -vxE 'cuInit|cuGetErrorString|cuGetErrorName|cuDeviceGet|cuDeviceGetCount|cuDeviceGetAttribute|cuDevicePrimaryCtxRetain|cuDevicePrimaryCtxGetState|cuCtxPopCurrent_v2|cuStreamCreate|cuMemAlloc_v2' |
        sed 's/.*/int &(void) { return 0; }/'
} >"$TMP/drv/fake-cuda.c"
cc -shared -fPIC -o "$TMP/drv/libcuda.so.1" "$TMP/drv/fake-cuda.c" || fail "building the stand-in libcuda.so.1"

ffmpeg -nostdin -v error -y -pattern_type glob -i "$DN_DATA/*.jpg" -vf scale=320:240 "$TMP/seq-%02d.png" || fail "sequence"
ffmpeg -nostdin -v error -y -framerate 5 -i "$TMP/seq-%02d.png" -c:v libx264 -pix_fmt yuv420p "$TMP/clip.mp4" || fail "clip.mp4"

"$DARKRT" detect "${M[@]}" "$TMP/clip.mp4" --json "$TMP/cpu.jsonl" >/dev/null 2>"$TMP/cpu.err" || fail "CPU decoding: $(cat "$TMP/cpu.err")"
# Same boxes; scores may differ in the last printed digit (batches form by timing, as in video-detect.sh).
same() {
    python3 - "$TMP/cpu.jsonl" "$1" <<'PY'
import json, sys
a, b = ([json.loads(l) for l in open(p)] for p in sys.argv[1:3])
assert len(a) == len(b) == 7 and all(x["frame"] == y["frame"] for x, y in zip(a, b))
for x, y in zip(a, b):
    assert len(x["detections"]) == len(y["detections"]), x["frame"]
    for p, q in zip(x["detections"], y["detections"]):
        assert p["class_id"] == q["class_id"] and abs(p["score"] - q["score"]) <= 2e-6, (x["frame"], p, q)
        assert all(abs(p["box"][k] - q["box"][k]) <= 0.011 for k in p["box"]), (x["frame"], p, q)
PY
}

# run NAME PATTERN [FAKE_CUINIT]: --hwaccel cuda on the stand-in driver.
run() {
    local name=$1 pattern=$2
    FAKE_CUINIT=${3:-0} LD_LIBRARY_PATH="$TMP/drv${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        "$DARKRT" detect "${M[@]}" "$TMP/clip.mp4" --hwaccel cuda --json "$TMP/$name.jsonl" >"$TMP/$name.out" 2>"$TMP/$name.err"
    local rc=$?
    [ $rc = 0 ] || { fail "$name: exit $rc: $(cat "$TMP/$name.err")"; return; }
    grep -q "clip.mp4: 7 frames, 0 dropped" "$TMP/$name.out" || fail "$name: summary $(cat "$TMP/$name.out")"
    [ "$(grep -c . "$TMP/$name.err")" = 1 ] && grep -qE "$pattern" "$TMP/$name.err" &&
        ok "$name: one warning: $(cat "$TMP/$name.err")" || fail "$name: warning /$pattern/: $(cat "$TMP/$name.err")"
    same "$TMP/$name.jsonl" && ok "$name: detections equal CPU decoding's" || fail "$name: detections differ from CPU decoding's"
}
run no-device "no CUDA decoding for h264 here \(cuInit: no CUDA-capable device is detected\): the CPU decodes" 100
if ldconfig -p | grep -q 'libnvcuvid\.so\.1'; then
    ok "no-nvcuvid: skipped (this machine has libnvcuvid.so.1)"
else
    run no-nvcuvid "NVDEC did not take this stream.*: the CPU decodes"
fi
finish
