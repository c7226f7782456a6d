#!/usr/bin/env bash
# The CPU video benchmark: yolo-fastest-1.1 (real weights, 320x320) on a 1280x720 H.264 file made
# here from Darknet's sample images (30 fps, 300 frames), end to end: decode, detect, per-frame
# results. darkrt detect (FFmpeg decode threads; on 2 cores each pipeline worker letterboxes a frame
# and runs the one-thread engine on it, a context of its own; JSON Lines out), with and without
# --fast-resize, beside OpenCV DNN 4.x with cv2.VideoCapture (bench/peers/opencv_video.py),
# interleaved, RUNS times each, same threads.
# fps = frames / (first frame read .. last frame's detections); model load not timed (both).
# Writes bench/results/video-cpu.md (BENCH_OUT=file to write elsewhere).
#   usage: bash bench/video-cpu.sh [BUILD_DIR]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/cpu-args.sh" "${1:-}"
RUNS=${RUNS:-3}
FRAMES=${FRAMES:-300}
OUT=${BENCH_OUT:-$ROOT/bench/results/video-cpu.md}
CFG="$SHARED/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg"
WEIGHTS="$SHARED/models/yolo-fastest-1.1/yolo-fastest-1.1.weights"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export OMP_NUM_THREADS=$THREADS
[ -x "$DARKRT" ] || { echo "bench/video-cpu.sh: $DARKRT missing (make BUILD=... first)"; exit 1; }
python3 -c 'import cv2' 2>/dev/null || { echo "bench/video-cpu.sh: needs opencv-python-headless<5 (pip)"; exit 1; }
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

ffmpeg -nostdin -v error -y -pattern_type glob -i '/usr/share/darknet/data/*.jpg' \
    -vf 'scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2' "$WORK/f-%02d.png"
ffmpeg -nostdin -v error -y -stream_loop -1 -framerate 3 -i "$WORK/f-%02d.png" -vf fps=30 -frames:v "$FRAMES" \
    -c:v libx264 -pix_fmt yuv420p -preset medium "$WORK/clip.mp4"
echo "clip: $(ffprobe -v error -show_entries stream=codec_name,width,height,nb_frames,r_frame_rate -of csv=p=0 "$WORK/clip.mp4")" >&2

# cpu_ms OUT CMD...: runs CMD, writes its CPU time (user + system, all threads, ms) to OUT.
cpu_ms() {
    local out=$1; shift
    python3 - "$out" "$@" <<'PY'
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
u = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write("%.0f" % ((u.ru_utime + u.ru_stime) * 1000))
sys.exit(rc)
PY
}

darkrt_fps=() fast_fps=() opencv_fps=() darkrt_wall=() darkrt_cpu=() fast_cpu=() opencv_cpu=()
# run_darkrt NAME [FLAGS...]: one darkrt run; appends to NAME_fps and NAME_cpu.
run_darkrt() {
    local name=$1; shift
    cpu_ms "$WORK/d.cpu" "$DARKRT" detect "$CFG" --weights "$WEIGHTS" "$WORK/clip.mp4" --json "$WORK/d.jsonl" "$@" \
        >"$WORK/d.out" 2>"$WORK/d.err" || { echo "darkrt failed: $(cat "$WORK/d.err")"; exit 1; }
    eval "${name}_cpu+=(\"$(echo "scale=1; $(cat "$WORK/d.cpu") / $FRAMES" | bc)\")"
    eval "${name}_fps+=(\"$(sed -n 's/.*: \([0-9]*\) frames, 0 dropped, \([0-9.]*\) fps.*/\2/p' "$WORK/d.out")\")"
    echo "  darkrt $* run $r: $(cat "$WORK/d.out")" >&2
}
for r in $(seq "$RUNS"); do
    start=$(date +%s.%N)
    run_darkrt darkrt
    darkrt_wall+=("$(echo "$(date +%s.%N) - $start" | bc)")
    run_darkrt fast --fast-resize
    cpu_ms "$WORK/o.cpu" python3 "$ROOT/bench/peers/opencv_video.py" --cfg "$CFG" --weights "$WEIGHTS" \
        --video "$WORK/clip.mp4" --threads "$THREADS" >"$WORK/o.json" || { echo "opencv failed"; exit 1; }
    opencv_cpu+=("$(echo "scale=1; $(cat "$WORK/o.cpu") / $FRAMES" | bc)")
    opencv_fps+=("$(python3 -c 'import json,sys; print("%.1f" % json.load(open(sys.argv[1]))["fps"])' "$WORK/o.json")")
    echo "  opencv run $r: $(cat "$WORK/o.json")" >&2
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
dm=$(median "${darkrt_fps[@]}") fm=$(median "${fast_fps[@]}") om=$(median "${opencv_fps[@]}")
dc=$(median "${darkrt_cpu[@]}") fc=$(median "${fast_cpu[@]}") oc=$(median "${opencv_cpu[@]}")
frames=$(wc -l <"$WORK/d.jsonl")
opencv_peer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["peer"])' "$WORK/o.json")

{
    echo "# Video on the CPU: yolo-fastest-1.1, 1280x720 H.264, end to end"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit: $(git -C "$ROOT" rev-parse --short HEAD)"
    echo "- machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores visible, $THREADS threads each;" \
         "load average before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg) (a machine shared with other jobs)"
    echo "- command: \`bash bench/video-cpu.sh ${1:-build}\` (RUNS=$RUNS, FRAMES=$FRAMES)"
    echo "- input: $FRAMES frames 1280x720 30 fps H.264 (libx264 medium) of Darknet's 7 sample images, letter-padded"
    echo "- darkrt: \`darkrt detect yolo-fastest-1.1.cfg --weights ... clip.mp4 --json d.jsonl\` (FFmpeg decode on a reader thread with" \
         "frame threads; the pipeline's workers each resize a frame as Darknet does and run the one-thread engine on it," \
         "a context each; JSON Lines of $frames frames);" \
         "\`--fast-resize\`: frames scaled to 320x320 in libswscale's RGB conversion (bilinear) instead"
    echo "- $opencv_peer: cv2.VideoCapture + cv2.dnn (readNetFromDarknet, DNN_BACKEND_OPENCV, setNumThreads($THREADS))," \
         "blobFromImage 320x320 stretch, NMSBoxesBatched (bench/peers/opencv_video.py)"
    echo
    echo "| engine | fps (median of $RUNS) | runs (fps) | CPU ms per frame (median) | runs (CPU ms/frame) |"
    echo "|---|---:|---|---:|---|"
    echo "| darkrt | $dm | ${darkrt_fps[*]} | $dc | ${darkrt_cpu[*]} |"
    echo "| darkrt --fast-resize | $fm | ${fast_fps[*]} | $fc | ${fast_cpu[*]} |"
    echo "| $opencv_peer | $om | ${opencv_fps[*]} | $oc | ${opencv_cpu[*]} |"
    echo
    echo "darkrt / OpenCV: $(echo "scale=2; $dm / $om" | bc)x in fps, $(echo "scale=2; $oc / $dc" | bc)x in CPU time per" \
         "frame; darkrt --fast-resize / OpenCV: $(echo "scale=2; $fm / $om" | bc)x in fps, $(echo "scale=2; $oc / $fc" | bc)x" \
         "in CPU time per frame. CPU time (user + system of every thread, whole process: decode, model load, detection, output) does" \
         "not depend on what else the machine runs; fps does. darkrt wall time per run, engine build included:" \
         "${darkrt_wall[*]} s."
} >"$OUT"
cat "$OUT"
