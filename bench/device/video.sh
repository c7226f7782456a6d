#!/usr/bin/env bash
# Seconds: 300 at most, PyTorch included (TIME_BUDGET=285 for everything after the start; every step
# under `timeout -k 5`, each trial cut at what is left). The GPU video benchmark: how many simultaneous
# live 1080p 30 fps H.264 streams one GPU keeps at full rate with yolov3-416 fp16 (synthetic weights,
# batch 32):
#   - nvdec: darkrt detect --hwaccel cuda (NVDEC); without drawing the frames stay on the GPU (NV12
#     to the letterboxed input there, bit for bit the host path's) where this darkrt can;
#   - pytorch: PyTorch + OpenCV decoding, or the ffmpeg CLI's (RGB24 on a pipe) where the Python has
#     no OpenCV (bench/peers/torch_video.py, same cfg/weights, fp16), same run;
#   - cpu-decode: darkrt detect, CPU decoding (FFmpeg's H.264 decoder, threads shared by the streams);
#   - (not by default) nvdec-fast: --hwaccel cuda --fast-resize; pytorch-nvdec: the peer's ffmpeg on NVDEC.
# Streams: the carried clip (scripts/ffmpeg-device.sh: Darknet's images, 1080p30) cut to SECS (8) s,
# served on loopback by `ffmpeg -re -t SECS -c copy -f mpegts udp://` (one process each, no
# re-encoding). Score threshold 1.0 on both sides (THRESH): the synthesised weights saturate the
# heads (~300k candidates a frame at any lower threshold, whose NMS alone takes seconds a frame, as
# bench/gpu.sh says), so no box is kept and the benchmark measures decode, letterbox and inference.
# A count N is kept at full rate when every stream has >= 99% of its 30 x SECS frames
# detected (none dropped or lost) and darkrt's mean latency stays under 1 s. Both queue 8 frames a
# stream before dropping (darkrt's queue from 32 streams on; the peer's --depth 8). Search per
# pipeline (each gets an equal share of the time left): FIRST (64), doubled while it holds (up to
# MAX_N, 256) or halved until one holds, then bisected while the bracket is wider than 1/8 of its
# lower end.
# Output, each line the moment it is known: $OUT/runs.txt (every trial: "MODE N=.. FULL|SHORT ..."
# and its program's output), $OUT/video-gpu.md (the header first, then one table row per pipeline
# as its search ends), and on stdout the same rows as "video.sh: RESULT <pipeline>: <streams>".
#   usage: source .devcarry/env.sh && bash bench/device/video.sh
# env: DRT_BIN (CUDA darkrt; ffmpeg beside it or on PATH), DRT_DATA (cfg/yolov3.cfg, video/),
# OUT (results); PEERS=0 skips PyTorch; MODES to pick pipelines; FIRST, MAX_N, SECS, TIME_BUDGET; CFG
# another cfg. Without a GPU it skips (exit 77); DEVICE=cpu FIRST=2 MAX_N=4 MODES=cpu-decode
# CFG=.../yolov3-tiny.cfg tries the mechanics (streams, counting, search) on the CPU.
set -u
START=$(date +%s)
TIME_BUDGET=${TIME_BUDGET:-285}
OUT=${OUT:-/tmp/video-bench}
echo "video.sh: time budget $TIME_BUDGET s (300 s at most with the last step's kill grace); results in $OUT as they come"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PATH="$DRT_BIN:$PATH"
BATCH=${BATCH:-32}
SECS=${SECS:-8} # each stream's length: 240 frames
MAX_N=${MAX_N:-256}
PY=${PYTHON:-python3}
BASE_PORT=${BASE_PORT:-30000}
START_N=${FIRST:-64}
THRESH=${THRESH:-1.0}
DEVICE=${DEVICE:-cuda}
MODES=${MODES:-"nvdec pytorch cpu-decode"} # the main claim and its peer first
[ "${PEERS:-1}" = 0 ] && MODES=${MODES/pytorch/}
CLIP="$DRT_DATA/video/clip-1080p.mp4"
CFG=${CFG:-$DRT_DATA/cfg/yolov3.cfg}
W=$(mktemp -d) # plan, weights, the last trial's output: not results
mkdir -p "$OUT"
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

left() { echo $((START + TIME_BUDGET - $(date +%s))); }
echo "video.sh: synth ($(($(date +%s) - START)) s in)"
timeout -k 5 30 darkrt synth "$CFG" -o "$W/yolov3.weights" --seed 1 >/dev/null || { echo "video.sh: synth failed"; exit 1; }
echo "video.sh: build yolov3-416 $DEVICE plan, batch $BATCH ($(($(date +%s) - START)) s in)"
timeout -k 5 90 darkrt build "$CFG" --weights "$W/yolov3.weights" "${engine[@]}" \
    --batch "$BATCH" --size 416x416 -o "$W/yolov3.plan" >"$W/build.log" 2>&1 || { cat "$W/build.log"; exit 1; }
echo "video.sh: plan built ($(($(date +%s) - START)) s in)"

{
    echo "# Video on the GPU: live 1080p30 H.264 streams at full rate, yolov3-416 fp16"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null); darkrt: $(darkrt --version 2>&1 | head -1)"
    echo "- GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1); CPU: $(nproc) cores"
    echo "- command: \`source .devcarry/env.sh && bash bench/device/video.sh\` (BATCH=$BATCH, $SECS s streams, FIRST=$START_N, MAX_N=$MAX_N, TIME_BUDGET=$TIME_BUDGET)"
    echo "- streams: \`ffmpeg -re -t $SECS -i clip-1080p.mp4 -c copy -f mpegts udp://127.0.0.1:PORT\`, one per stream (scripts/ffmpeg-device.sh's FFmpeg)"
    echo "- darkrt: \`darkrt detect yolov3.plan URL... --batch $BATCH -t $THRESH --pre gpu --post gpu [--hwaccel cuda]\`; PyTorch: --thresh $THRESH"
    echo "- score threshold $THRESH on both sides: the synthesised weights saturate the heads (~300k candidates a frame below it), so no box reaches NMS"
    echo "- each pipeline: $START_N streams, doubled while every stream holds or halved until one count holds, then bisected (runs.txt)"
    echo
    echo "| pipeline | streams kept at full rate (>= 99% of frames each; the smallest count that did not) |"
    echo "|---|---:|"
} >"$OUT/video-gpu.md"

# serve N: N senders from BASE_PORT on, once N sockets listen there (the reader opened them; ports
# from /proc/net/udp, or ss where that file lists none), or after 20 s.
serve() {
    local n=$1 i p up snap
    for i in $(seq 200); do
        up=0
        snap=$(cat /proc/net/udp 2>/dev/null; ss -Hlun 2>/dev/null)
        for p in $(seq "$BASE_PORT" $((BASE_PORT + n - 1))); do
            grep -q ":$(printf '%04X' "$p") \|:$p " <<<"$snap" && up=$((up + 1))
        done
        [ "$up" -ge "$n" ] && break
        sleep 0.1
    done
    [ "$up" -ge "$n" ] || echo "serve: only $up of $n ports listening after 20 s: sending anyway" >>"$OUT/runs.txt"
    for i in $(seq 0 $((n - 1))); do
        timeout -k 5 $((SECS + 10)) ffmpeg -nostdin -v error -re -t "$SECS" -i "$CLIP" -c copy -f mpegts \
            "udp://127.0.0.1:$((BASE_PORT + i))?pkt_size=1316" &
    done
    wait
}

# full_rate FILE N: every stream >= 99% of its frames detected (darkrt's summary lines or the peer's
# JSON) and, for darkrt, its mean latency under 1 s: a backlog (frames queued but not dropped) that
# the run works off after its streams end is no full rate either.
full_rate() {
    timeout -k 5 20 $PY - "$1" "$2" "$SECS" <<'PY'
import json, re, sys
text, n, secs = open(sys.argv[1]).read(), int(sys.argv[2]), float(sys.argv[3])
lat = []
try:
    if text.lstrip().startswith("{"):
        done = [s["frames"] for s in json.loads(text.strip().splitlines()[-1])["streams"]]
    else:
        rows = re.findall(r"^udp://\S+: (\d+) frames, \d+ dropped, \S+ fps, latency (\S+) ms mean", text, re.M)
        done, lat = [int(r[0]) for r in rows], [float(r[1]) for r in rows]
except ValueError:
    done = []
if not done:
    print("FAILED %d streams: no results (the run's stderr is in runs.txt)" % n)
    sys.exit(2)
ok = len(done) == n and min(done) >= int(0.99 * 30 * secs) and max(lat or [0]) < 1000
print("%s %d streams: frames per stream min %d, mean %.0f (of %d)%s" % ("FULL" if ok else "SHORT", n,
      min(done), sum(done) / len(done), int(30 * secs),
      ", mean latency up to %.0f ms" % max(lat) if lat else ""))
sys.exit(0 if ok else 1)
PY
}

# trial MODE N: one run of N streams; 0 when every stream kept its rate.
trial() {
    local mode=$1 n=$2 i t0=$(date +%s)
    local urls=()
    for i in $(seq 0 $((n - 1))); do urls+=("udp://127.0.0.1:$((BASE_PORT + i))"); done
    serve "$n" &
    local server=$!
    local lim=$(left) # what is left of the budget, and never more than the streams need
    [ "$lim" -gt $((SECS + 45)) ] && lim=$((SECS + 45))
    [ "$lim" -lt 5 ] && lim=5
    echo "video.sh: trial $mode N=$n starting (limit $lim s; $(($(date +%s) - START)) s in)"
    local d=(timeout -k 5 "$lim" darkrt detect "$W/yolov3.plan" "${urls[@]}" --batch "$BATCH" --timeout 3 -t "$THRESH"
             "${stages[@]}")
    local peer=(timeout -k 5 "$lim" $PY "$ROOT/bench/peers/torch_video.py" --cfg "$CFG" --weights "$W/yolov3.weights"
                --size 416 --batch "$BATCH" --depth 8 --read-timeout 3 --frame-size 1920x1080 --thresh "$THRESH")
    case $mode in
        cpu-decode) "${d[@]}" >"$W/out" 2>"$W/err" ;;
        nvdec) "${d[@]}" --hwaccel cuda >"$W/out" 2>"$W/err" ;;
        nvdec-fast) "${d[@]}" --hwaccel cuda --fast-resize >"$W/out" 2>"$W/err" ;;
        pytorch) "${peer[@]}" "${urls[@]}" >"$W/out" 2>"$W/err" ;;
        pytorch-nvdec) "${peer[@]}" --decoder ffmpeg --hwaccel cuda "${urls[@]}" >"$W/out" 2>"$W/err" ;;
    esac
    local killed=0
    [ $? = 124 ] && killed=1 && echo "$mode N=$n: stopped at its $lim s limit" >>"$OUT/runs.txt"
    wait "$server"
    local line rc
    line=$(full_rate "$W/out" "$n")
    rc=$?
    [ $killed = 1 ] && rc=1 && line="SHORT $n streams: not done within $lim s" # too slow, not broken
    last_trial_s=$(($(date +%s) - t0))
    echo "$mode N=$n: $line ($last_trial_s s; $(($(date +%s) - START)) s in)" | tee -a "$OUT/runs.txt"
    { cat "$W/out"; head -c 2000 "$W/err"; } >>"$OUT/runs.txt"
    return $rc
}

# room: whether one more trial (as long as the last one, or SECS + 15 s before any) ends within
# this mode's share of the time.
room() { [ $(($(date +%s) + ${last_trial_s:-$((SECS + 15))})) -le "$mode_end" ]; }

# search MODE: best[MODE] = the largest count kept at full rate that the trials found.
search() {
    local mode=$1 n=$START_N lo=0 hi=0 rc mid
    last_trial_s=""
    while room; do # bracket: double while it holds, halve while it does not
        trial "$mode" "$n"
        rc=$?
        [ $rc = 2 ] && { best[$mode]="failed to run (runs.txt)"; return; }
        if [ $rc = 0 ]; then
            lo=$n
            [ $hi -gt 0 ] || [ $((n * 2)) -gt "$MAX_N" ] && break
            n=$((n * 2))
        else
            hi=$n
            [ $lo -gt 0 ] || [ "$n" -le 1 ] && break
            n=$((n / 2))
        fi
    done
    while [ $lo -gt 0 ] && [ $hi -gt 0 ] && [ $((hi - lo)) -gt $(((lo + 7) / 8)) ] && room; do # bisect
        mid=$(((lo + hi) / 2))
        trial "$mode" "$mid"
        rc=$?
        [ $rc = 2 ] && break
        [ $rc = 0 ] && lo=$mid || hi=$mid
    done
    if [ $lo -gt 0 ]; then
        best[$mode]=$lo
        [ $hi -gt 0 ] && best[$mode]="$lo (not $hi)" || best[$mode]="$lo (the most tried)"
        [ $hi -gt 0 ] && [ $((hi - lo)) -gt $(((lo + 7) / 8)) ] && best[$mode]="${best[$mode]}, time ran out"
    elif [ $hi -gt 0 ]; then
        best[$mode]="< $hi"
    fi
}

declare -A best
name_of() {
    case $1 in
        cpu-decode) echo "darkrt, CPU decoding (FFmpeg)" ;;
        nvdec) echo "darkrt, NVDEC (--hwaccel cuda)" ;;
        nvdec-fast) echo "darkrt, NVDEC + --fast-resize" ;;
        pytorch) echo "PyTorch + OpenCV or ffmpeg CLI decoding (bench/peers/torch_video.py)" ;;
        pytorch-nvdec) echo "PyTorch + ffmpeg CLI on NVDEC (bench/peers/torch_video.py --hwaccel cuda)" ;;
    esac
}
modes_left=$(echo $MODES | wc -w)
for mode in $MODES; do
    best[$mode]="not run (no time left)"
    mode_end=$((START + TIME_BUDGET - (START + TIME_BUDGET - $(date +%s)) * (modes_left - 1) / modes_left))
    modes_left=$((modes_left - 1))
    search "$mode"
    echo "| $(name_of "$mode") | ${best[$mode]} |" >>"$OUT/video-gpu.md"
    echo "video.sh: RESULT $(name_of "$mode"): ${best[$mode]} ($(($(date +%s) - START)) s in)"
done

{
    echo
    grep -q 'NVDEC did not take\|no CUDA decoding' "$OUT/runs.txt" && echo "NVDEC fell back to CPU decoding in some run (warnings in runs.txt)." ||
        echo "No NVDEC fallback warning in any run."
    grep -q 'frames stay on the GPU' "$OUT/runs.txt" && echo "NVDEC frames stayed on the GPU (darkrt said so in runs.txt)."
    grep -o '"peer": "[^"]*"' "$OUT/runs.txt" | sort -u | sed 's/^/PyTorch peer: /'
} >>"$OUT/video-gpu.md"
cat "$OUT/video-gpu.md"
rm -rf "$W"
echo "video.sh: done in $(($(date +%s) - START)) s"
