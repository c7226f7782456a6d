#!/usr/bin/env bash
# Seconds: 120 at most (about 40). Video on the GPU machine, the smoke test before bench/device/video.sh:
#  - the FFmpeg libraries and CLI carried by scripts/ffmpeg-device.sh load and decode here;
#  - diagnostics of NVDEC without darkrt: the ffmpeg CLI's hwaccels, its CUDA device (-v debug),
#    the clip decoded by the ffmpeg CLI on NVDEC (its speed: NVDEC's own rate), ldd of the carried
#    libraries, nvidia-smi;
#  - NVDEC: the driver's libnvcuvid is found or not; `darkrt detect --hwaccel cuda` decodes on it
#    or says why not;
#  - yolo-fastest-1.1 (CUDA fp16) on the carried 1080p H.264 clip gives the same detections with
#    NVDEC as with CPU decoding (H.264 decoding is exact: the same pixels either way), with NVDEC's
#    frames copied to the host and with them left on the GPU (--pre gpu: NV12 letterboxed there, as
#    libswscale converts it on the host; darkrt says "NVDEC frames stay on the GPU");
#  - 4 live UDP streams served by the ffmpeg CLI for 4 s are read at their pace.
#   usage: source .devcarry/env.sh && bash bench/device/video-smoke.sh
# env: DRT_BIN (darkrt), DRT_DATA (models/, video/clip-1080p.mp4), OUT (results), ffmpeg on PATH
# or in $DRT_BIN.
set -u
OUT=${OUT:-/tmp/video-smoke}
mkdir -p "$OUT"
PATH="$DRT_BIN:$PATH"
CLIP="$DRT_DATA/video/clip-1080p.mp4"
YF="$DRT_DATA/models/yolo-fastest-1.1"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
fails=0
say() { echo "video-smoke: $*"; }
bad() { say "FAIL: $*"; fails=$((fails + 1)); }

say "ffmpeg: $(ffmpeg -version 2>&1 | head -1)"
say "GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1 | head -1)"
say "libcuda: $(ldconfig -p | grep -m1 -o '/[^ ]*libcuda\.so\.1$' || echo none in ldconfig)"
say "libnvcuvid: $( (ldconfig -p | grep -o '/[^ ]*libnvcuvid\.so[.0-9]*$'; ls /usr/local/nvidia/lib64/libnvcuvid* \
    /usr/lib/x86_64-linux-gnu/libnvcuvid* 2>/dev/null) | sort -u | tr '\n' ' ')"
[ -f "$CLIP" ] || { bad "no clip at $CLIP (scripts/ffmpeg-device.sh makes it)"; exit 1; }

# NVDEC without darkrt, to tell FFmpeg's or the driver's failures from darkrt's.
say "ffmpeg configuration: $(ffmpeg -hide_banner -buildconf 2>&1 | grep -o -- '--enable-\(nvdec\|ffnvcodec\|hwaccel=[^ ]*\)' | tr '\n' ' ')"
say "ffmpeg -hwaccels: $(ffmpeg -hide_banner -hwaccels 2>&1 | tail -n +2 | tr '\n' ' ')"
for dev in cuda=cu:0 cuda=cu:0,primary_ctx=1; do
    say "ffmpeg -init_hw_device $dev -v debug: $(timeout 20 ffmpeg -hide_banner -v debug -init_hw_device "$dev" 2>&1 |
        grep -v 'option\|Parsing\|parsed\|commandline' | head -8 | tr '\n' '|')"
done
for out in cuda nv12; do # frames left on the GPU, and copied to the host as darkrt does
    fmt=(); [ $out = cuda ] && fmt=(-hwaccel_output_format cuda)
    timeout 30 ffmpeg -hide_banner -nostdin -v verbose -benchmark -hwaccel cuda "${fmt[@]}" -i "$CLIP" -f null - \
        >"$OUT/ffmpeg-nvdec-$out.log" 2>&1
    rc=$?
    say "ffmpeg NVDEC decode ($out frames): rc $rc, $(tr '\r' '\n' <"$OUT/ffmpeg-nvdec-$out.log" | grep -o 'frame= *[0-9]*.*speed=[^ ]*' | tail -1 | tr -s ' ');" \
        "$(grep -m1 -o 'bench: utime=.*' "$OUT/ffmpeg-nvdec-$out.log");" \
        "$(grep -i -m3 'nvdec\|cuvid\|hwaccel\|cuda' "$OUT/ffmpeg-nvdec-$out.log" | tr '\n' '|' | head -c 400)"
done
say "ffmpeg CPU decode: $(timeout 30 ffmpeg -hide_banner -nostdin -benchmark -i "$CLIP" -f null - 2>&1 | tr '\r' '\n' |
    grep -o 'frame= *[0-9]*.*speed=[^ ]*\|bench: utime=.*' | tail -2 | tr -s ' ' | tr '\n' ' ')"
for f in "$DRT_BIN/darkrt" "$DRT_BIN/libdarkrt-video.so" "$DRT_BIN/libdarkrt-cuda.so" "$(command -v ffmpeg)"; do
    say "ldd $(basename "$f"): $(ldd "$f" 2>&1 | grep -E 'not found|libav|libsw|libcuda|libnvcuvid|libcudart' | awk '{print $1, $3}' | tr '\n' ' ')"
done
say "nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version,memory.used,memory.total,utilization.decoder --format=csv,noheader 2>&1 | head -1)"
say "driver: $(head -1 /proc/driver/nvidia/version 2>/dev/null)"

engine=(--device cuda --precision fp16)
gpu=(--pre gpu --post gpu)
nvidia-smi >/dev/null 2>&1 || { engine=(--device cpu); gpu=(); say "SKIPPED: no GPU here: a CPU engine, and NVDEC falls back to the CPU"; }
darkrt build "$YF/yolo-fastest-1.1.cfg" --weights "$YF/yolo-fastest-1.1.weights" "${engine[@]}" \
    --batch 8 -o "$OUT/yf.plan" >"$OUT/build.log" 2>&1 || { bad "build: $(tail -1 "$OUT/build.log")"; exit 1; }
for mode in cpu nvdec nvdec-gpu; do
    extra=()
    [ $mode = nvdec ] && extra=(--hwaccel cuda)
    [ $mode = nvdec-gpu ] && extra=(--hwaccel cuda "${gpu[@]}")
    start=$(date +%s%N)
    # CPU seconds (user, system) of the run: NVDEC's should be a fraction of CPU decoding's
    cpu_s=$( { TIMEFORMAT='%U %S'; time timeout -k 5 25 darkrt detect "$OUT/yf.plan" "$CLIP" --batch 8 --json "$OUT/$mode.jsonl" \
        "${extra[@]}" >"$OUT/$mode.out" 2>"$OUT/$mode.err"; echo "rc $?" >"$OUT/$mode.rc"; } 2>&1)
    rc=$(sed 's/rc //' "$OUT/$mode.rc")
    say "$mode decoding: rc $rc, $(cat "$OUT/$mode.out") ($((($(date +%s%N) - start) / 1000000)) ms with engine load;" \
        "CPU user/system s: $cpu_s)"
    [ -s "$OUT/$mode.err" ] && say "  stderr: $(head -c 400 "$OUT/$mode.err" | tr '\n' ' ')"
    [ $rc -eq 0 ] || bad "$mode decoding failed"
done
grep -q 'NVDEC did not take\|no CUDA decoding' "$OUT/nvdec.err" && say "NVDEC: NOT used (see stderr above)" ||
    say "NVDEC: used (no fallback warning)"
grep -q 'stay on the GPU' "$OUT/nvdec-gpu.err" && say "NVDEC --pre gpu: $(grep -m1 'stay on the GPU' "$OUT/nvdec-gpu.err")" ||
    bad "NVDEC --pre gpu: frames did not stay on the GPU: $(grep -m1 'through the host' "$OUT/nvdec-gpu.err")"
for mode in nvdec nvdec-gpu; do
timeout -k 5 20 python3 - "$OUT/cpu.jsonl" "$OUT/$mode.jsonl" <<'PY' || bad "$mode's detections differ from CPU decoding's"
import json, sys
a, b = ([json.loads(l) for l in open(p)] for p in sys.argv[1:3])
def same_dets(x, y):
    return len(x) == len(y) and all(p["class_id"] == q["class_id"] and abs(p["score"] - q["score"]) < 1e-3 and
                                    all(abs(p["box"][k] - q["box"][k]) < 0.5 for k in p["box"]) for p, q in zip(x, y))
same = sum(same_dets(x["detections"], y["detections"]) for x, y in zip(a, b))
print(f"video-smoke: detections equal on {same} of {len(a)} frames (cpu {len(a)}, {sys.argv[2]} {len(b)} frames)")
sys.exit(0 if len(a) == len(b) == same and same > 0 else 1)
PY
done

# Live: 4 UDP streams, 4 s each, read at their pace with NVDEC.
urls=()
for i in 0 1 2 3; do urls+=("udp://127.0.0.1:$((31000 + i))"); done
timeout -k 5 30 darkrt detect "$OUT/yf.plan" "${urls[@]}" --timeout 3 --hwaccel cuda --batch 8 "${gpu[@]}" >"$OUT/live.out" 2>"$OUT/live.err" &
reader=$!
sleep 2
for i in 0 1 2 3; do
    timeout -k 5 15 ffmpeg -nostdin -v error -re -t 4 -i "$CLIP" -c copy -f mpegts "udp://127.0.0.1:$((31000 + i))?pkt_size=1316" &
done
wait "$reader"
say "live, 4 streams x 4 s at 30 fps (NVDEC): $(tr '\n' ' ' <"$OUT/live.out") $(grep -m1 'NVDEC frames\|through the host' "$OUT/live.err")"
[ "$(grep -c ' frames, ' "$OUT/live.out")" = 4 ] || bad "live streams: $(head -c 300 "$OUT/live.err")"
wait
say "done: $fails failure(s)"
exit $((fails > 0))
