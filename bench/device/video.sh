#!/usr/bin/env bash
# The GPU video benchmark (prepared on a machine without a GPU; not yet run): how many simultaneous
# live 1080p 30 fps H.264 streams darkrt detect keeps at full rate with yolov3-416 fp16 on one GPU,
# with CPU decoding and with NVDEC (--hwaccel cuda), beside PyTorch + PyAV (bench/peers/torch_video.py).
# Streams are served on loopback by `ffmpeg -re -c copy -f mpegts udp://` (one process each, no
# re-encoding) for SECS seconds; a count N is kept at full rate when every stream lost at most 1% of
# its frames (dropped or never detected). Counts tried: COUNTS (default 16 32 48 64 80 96 128).
#   bash bench/video-gpu.sh BIN_DIR DATA_DIR OUT_DIR
# BIN_DIR: a CUDA build's darkrt (make BUILD=build-cuda); DATA_DIR: cfg/yolov3.cfg and data/*.jpg
# (Debian darknet's); ffmpeg and ffprobe on PATH with their libraries (FFmpeg with NVDEC:
# --enable-cuvid/nvdec, as Debian's); PEERS=0 skips PyTorch (needs torch, torchvision, av).
# Writes OUT_DIR/video-gpu.md and OUT_DIR/runs.txt (every stream's summary line).
set -u
BIN=${1:?BIN_DIR}; DATA=${2:?DATA_DIR}; OUT=${3:?OUT_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
COUNTS=${COUNTS:-"16 32 48 64 80 96 128"}
SECS=${SECS:-20}
BATCH=${BATCH:-32}
PEERS=${PEERS:-1}
PY=${PYTHON:-python3}
BASE_PORT=${BASE_PORT:-30000}
mkdir -p "$OUT/w"
W="$OUT/w"
: >"$OUT/runs.txt"

ffmpeg -nostdin -v error -y -pattern_type glob -i "$DATA/data/*.jpg" \
    -vf 'scale=1920:1080:force_original_aspect_ratio=decrease,pad=1920:1080:(ow-iw)/2:(oh-ih)/2' "$W/f-%02d.png" || exit 1
ffmpeg -nostdin -v error -y -stream_loop -1 -framerate 3 -i "$W/f-%02d.png" -vf fps=30 -frames:v 300 \
    -c:v libx264 -pix_fmt yuv420p -g 30 "$W/clip.mp4" || exit 1
"$BIN/darkrt" synth "$DATA/cfg/yolov3.cfg" -o "$W/yolov3.weights" --seed 1 >/dev/null || exit 1
"$BIN/darkrt" build "$DATA/cfg/yolov3.cfg" --weights "$W/yolov3.weights" --device cuda --precision fp16 \
    --batch "$BATCH" --size 416x416 -o "$W/yolov3.plan" >"$W/build.log" 2>&1 || { cat "$W/build.log"; exit 1; }

# serve N: N senders from BASE_PORT on, once N sockets listen there (the reader opened them).
serve() {
    local n=$1 i
    for i in $(seq 600); do
        local up=0 p
        for p in $(seq "$BASE_PORT" $((BASE_PORT + n - 1))); do grep -q "$(printf ':%04X ' "$p")" /proc/net/udp && up=$((up + 1)); done
        [ "$up" -ge "$n" ] && break
        sleep 0.1
    done
    for i in $(seq 0 $((n - 1))); do
        ffmpeg -nostdin -v error -re -stream_loop -1 -t "$SECS" -i "$W/clip.mp4" -c copy -f mpegts \
            "udp://127.0.0.1:$((BASE_PORT + i))?pkt_size=1316" &
    done
    wait
}

urls() { for i in $(seq 0 $(($1 - 1))); do echo "udp://127.0.0.1:$((BASE_PORT + i))"; done; }

# full_rate FILE N: every stream >= 99% of SECS * 30 frames detected (summary lines or JSON).
full_rate() {
    $PY - "$1" "$2" "$SECS" <<'PY'
import json, re, sys
text, n, secs = open(sys.argv[1]).read(), int(sys.argv[2]), float(sys.argv[3])
if text.lstrip().startswith("{"):
    done = [s["frames"] for s in json.loads(text.strip().splitlines()[-1])["streams"]]
else:
    done = [int(m.group(1)) for m in re.finditer(r"^udp://\S+: (\d+) frames, (\d+) dropped", text, re.M)]
ok = len(done) == n and min(done) >= 0.99 * 30 * secs
print("%s %d streams: frames per stream min %d, mean %.0f (of %d)" % ("FULL" if ok else "SHORT", n,
      min(done or [0]), sum(done) / max(1, len(done)), 30 * secs))
sys.exit(0 if ok else 1)
PY
}

declare -A best=([cpu-decode]=0 [nvdec]=0 [pytorch]=0)
for mode in cpu-decode nvdec pytorch; do
    [ $mode = pytorch ] && [ "$PEERS" = 0 ] && continue
    for n in $COUNTS; do
        mapfile -t U < <(urls "$n")
        serve "$n" &
        server=$!
        case $mode in
            cpu-decode) "$BIN/darkrt" detect "$W/yolov3.plan" "${U[@]}" --batch "$BATCH" --timeout 3 >"$W/out" 2>"$W/err" ;;
            nvdec) "$BIN/darkrt" detect "$W/yolov3.plan" "${U[@]}" --batch "$BATCH" --timeout 3 --hwaccel cuda \
                       >"$W/out" 2>"$W/err" ;;
            pytorch) $PY "$ROOT/bench/peers/torch_video.py" --cfg "$DATA/cfg/yolov3.cfg" --weights "$W/yolov3.weights" \
                       --size 416 --batch "$BATCH" "${U[@]}" >"$W/out" 2>"$W/err" ;;
        esac
        wait "$server"
        line=$(full_rate "$W/out" "$n"); rc=$?
        echo "$mode N=$n: $line" | tee -a "$OUT/runs.txt" >&2
        cat "$W/out" >>"$OUT/runs.txt"
        [ $rc -eq 0 ] || break
        best[$mode]=$n
    done
done

{
    echo "# Video on the GPU: live 1080p30 H.264 streams at full rate, yolov3-416 fp16"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
    echo "- GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null); CPU: $(nproc) cores"
    echo "- command: \`bash bench/video-gpu.sh $*\` (SECS=$SECS, BATCH=$BATCH, COUNTS=$COUNTS)"
    echo "- streams: \`ffmpeg -re -stream_loop -1 -t $SECS -i clip.mp4 -c copy -f mpegts udp://127.0.0.1:PORT\`, one per stream"
    echo
    echo "| pipeline | streams kept at full rate (>= 99% of frames each) |"
    echo "|---|---:|"
    echo "| darkrt, CPU decoding (FFmpeg) | ${best[cpu-decode]} |"
    echo "| darkrt, NVDEC (--hwaccel cuda) | ${best[nvdec]} |"
    [ "$PEERS" = 0 ] || echo "| PyTorch + PyAV (bench/peers/torch_video.py) | ${best[pytorch]} |"
    echo
    echo "Largest count tried that held; the first count that did not ends each sweep (runs.txt)."
} >"$OUT/video-gpu.md"
cat "$OUT/video-gpu.md"
