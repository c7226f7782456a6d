#!/usr/bin/env bash
# Seconds: 400 at most (TIME_BUDGET=360 for the trials, each started only with room to finish). The GPU video benchmark: how many simultaneous live 1080p
# 30 fps H.264 streams one GPU keeps at full rate with yolov3-416 fp16 (synthetic weights, batch 32):
#   - darkrt detect, CPU decoding (FFmpeg's H.264 decoder, threads shared by the streams);
#   - darkrt detect --hwaccel cuda (NVDEC), frames copied to the host (exact pixels);
#   - darkrt detect --hwaccel cuda --fast-resize (the frames scaled to 416x234 in the conversion);
#   - PyTorch + OpenCV decoding (bench/peers/torch_video.py, same cfg/weights, fp16), same run.
# Streams: the carried clip (scripts/ffmpeg-device.sh: Darknet's images, 1080p30, 10 s) served on
# loopback by `ffmpeg -re -c copy -f mpegts udp://` (one process each, no re-encoding). A count N
# is kept at full rate when every stream has >= 99% of its 300 frames detected (none dropped or
# lost). Search per pipeline: 64, then up (96, 128, 160) while it holds, or down (32, 16) until one does.
#   usage: source .devcarry/env.sh && bash bench/device/video.sh
# env: DRT_BIN (CUDA darkrt; ffmpeg beside it or on PATH), DRT_DATA (cfg/yolov3.cfg, video/),
# OUT (results: video-gpu.md, runs.txt); PEERS=0 skips PyTorch; MODES to pick pipelines; FIRST (64)
# the first count; CFG another cfg. Without a GPU it skips (exit 77); DEVICE=cpu FIRST=2
# MODES=cpu-decode CFG=.../yolov3-tiny.cfg tries the mechanics (streams, counting) on the CPU.
set -u
START=$(date +%s)
TIME_BUDGET=${TIME_BUDGET:-360}
OUT=${OUT:-/tmp/video-bench}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PATH="$DRT_BIN:$PATH"
BATCH=${BATCH:-32}
SECS=10 # the clip's length: 300 frames a stream
PY=${PYTHON:-python3}
BASE_PORT=${BASE_PORT:-30000}
START_N=${FIRST:-64}
DEVICE=${DEVICE:-cuda}
MODES=${MODES:-"nvdec pytorch cpu-decode nvdec-fast"} # the main claim and its peer first
[ "${PEERS:-1}" = 0 ] && MODES=${MODES/pytorch/}
CLIP="$DRT_DATA/video/clip-1080p.mp4"
CFG=${CFG:-$DRT_DATA/cfg/yolov3.cfg}
W="$OUT/w"
mkdir -p "$W"
: >"$OUT/runs.txt"
[ -f "$CLIP" ] || { echo "video.sh: no $CLIP (scripts/ffmpeg-device.sh makes it)"; exit 1; }
command -v ffmpeg >/dev/null || { echo "video.sh: no ffmpeg CLI (scripts/ffmpeg-device.sh carries one)"; exit 1; }
engine=(--device cuda --precision fp16)
stages=(--pre gpu --post gpu)
if [ "$DEVICE" = cpu ]; then
    engine=(--device cpu) stages=()
else
    nvidia-smi >/dev/null 2>&1 || { echo "video.sh: no GPU here: skipped (DEVICE=cpu tries the mechanics)"; exit 77; }
fi

darkrt synth "$CFG" -o "$W/yolov3.weights" --seed 1 >/dev/null || exit 1
darkrt build "$CFG" --weights "$W/yolov3.weights" "${engine[@]}" \
    --batch "$BATCH" --size 416x416 -o "$W/yolov3.plan" >"$W/build.log" 2>&1 || { cat "$W/build.log"; exit 1; }

# serve N: N senders from BASE_PORT on, once N sockets listen there (the reader opened them).
serve() {
    local n=$1 i p up
    for i in $(seq 300); do
        up=0
        for p in $(seq "$BASE_PORT" $((BASE_PORT + n - 1))); do grep -q "$(printf ':%04X ' "$p")" /proc/net/udp && up=$((up + 1)); done
        [ "$up" -ge "$n" ] && break
        sleep 0.1
    done
    for i in $(seq 0 $((n - 1))); do
        ffmpeg -nostdin -v error -re -i "$CLIP" -c copy -f mpegts "udp://127.0.0.1:$((BASE_PORT + i))?pkt_size=1316" &
    done
    wait
}

# full_rate FILE N: every stream >= 99% of its frames detected (darkrt's summary lines or the peer's JSON).
full_rate() {
    $PY - "$1" "$2" "$SECS" <<'PY'
import json, re, sys
text, n, secs = open(sys.argv[1]).read(), int(sys.argv[2]), float(sys.argv[3])
try:
    if text.lstrip().startswith("{"):
        done = [s["frames"] for s in json.loads(text.strip().splitlines()[-1])["streams"]]
    else:
        done = [int(m.group(1)) for m in re.finditer(r"^udp://\S+: (\d+) frames, (\d+) dropped", text, re.M)]
except ValueError:
    done = []
if not done:
    print("FAILED %d streams: no results (the run's stderr is in runs.txt)" % n)
    sys.exit(2)
ok = len(done) == n and min(done) >= 0.99 * 30 * secs
print("%s %d streams: frames per stream min %d, mean %.0f (of %d)" % ("FULL" if ok else "SHORT", n,
      min(done or [0]), sum(done) / max(1, len(done)), 30 * secs))
sys.exit(0 if ok else 1)
PY
}

# trial MODE N: one run of N streams; 0 when every stream kept its rate.
trial() {
    local mode=$1 n=$2 i
    local urls=()
    for i in $(seq 0 $((n - 1))); do urls+=("udp://127.0.0.1:$((BASE_PORT + i))"); done
    serve "$n" &
    local server=$!
    local d=(darkrt detect "$W/yolov3.plan" "${urls[@]}" --batch "$BATCH" --timeout 5 "${stages[@]}")
    case $mode in
        cpu-decode) "${d[@]}" >"$W/out" 2>"$W/err" ;;
        nvdec) "${d[@]}" --hwaccel cuda >"$W/out" 2>"$W/err" ;;
        nvdec-fast) "${d[@]}" --hwaccel cuda --fast-resize >"$W/out" 2>"$W/err" ;;
        pytorch) $PY "$ROOT/bench/peers/torch_video.py" --cfg "$CFG" --weights "$W/yolov3.weights" \
                     --size 416 --batch "$BATCH" "${urls[@]}" >"$W/out" 2>"$W/err" ;;
    esac
    wait "$server"
    local line rc
    line=$(full_rate "$W/out" "$n")
    rc=$?
    echo "$mode N=$n: $line ($(($(date +%s) - START)) s in)" | tee -a "$OUT/runs.txt"
    { cat "$W/out"; head -c 2000 "$W/err"; } >>"$OUT/runs.txt"
    return $rc
}

over_budget() { [ $(($(date +%s) - START + SECS + 15)) -gt "$TIME_BUDGET" ]; }

declare -A best
for mode in $MODES; do
    best[$mode]="not run"
    over_budget && continue
    trial "$mode" "$START_N"
    rc=$?
    if [ $rc = 2 ]; then
        best[$mode]="failed to run (runs.txt)"
    elif [ $rc = 0 ]; then
        best[$mode]=$START_N
        for n in $((START_N * 3 / 2)) $((START_N * 2)) $((START_N * 5 / 2)); do
            over_budget && { best[$mode]="${best[$mode]} (time ran out)"; break; }
            trial "$mode" "$n" || break
            best[$mode]=$n
        done
    else
        best[$mode]="< $START_N"
        for n in $((START_N / 2)) $((START_N / 4)); do
            [ "$n" -ge 1 ] || break
            over_budget && break
            trial "$mode" "$n"
            rc=$?
            [ $rc = 0 ] && { best[$mode]=$n; break; }
            [ $rc = 2 ] && { best[$mode]="failed to run (runs.txt)"; break; }
            best[$mode]="< $n"
        done
    fi
done

{
    echo "# Video on the GPU: live 1080p30 H.264 streams at full rate, yolov3-416 fp16"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
    echo "- GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1); CPU: $(nproc) cores"
    echo "- command: \`source .devcarry/env.sh && bash bench/device/video.sh\` (BATCH=$BATCH, $SECS s streams)"
    echo "- streams: \`ffmpeg -re -i clip-1080p.mp4 -c copy -f mpegts udp://127.0.0.1:PORT\`, one per stream (FFmpeg 5.1, scripts/ffmpeg-device.sh)"
    echo "- darkrt: \`darkrt detect yolov3.plan URL... --batch $BATCH --pre gpu --post gpu [--hwaccel cuda [--fast-resize]]\`"
    echo
    echo "| pipeline | streams kept at full rate (>= 99% of frames each) |"
    echo "|---|---:|"
    for mode in $MODES; do
        case $mode in
            cpu-decode) name="darkrt, CPU decoding (FFmpeg)" ;;
            nvdec) name="darkrt, NVDEC (--hwaccel cuda), frames to the host" ;;
            nvdec-fast) name="darkrt, NVDEC + --fast-resize" ;;
            pytorch) name="PyTorch + OpenCV decoding (bench/peers/torch_video.py)" ;;
        esac
        echo "| $name | ${best[$mode]} |"
    done
    echo
    grep -q 'NVDEC did not take\|no CUDA decoding' "$OUT/runs.txt" && echo "NVDEC fell back to CPU decoding in some run (warnings in runs.txt)." ||
        echo "No NVDEC fallback warning in any run."
    echo "Each pipeline: $START_N streams, then more while every stream holds, or fewer until one count holds (runs.txt)."
} >"$OUT/video-gpu.md"
cat "$OUT/video-gpu.md"
