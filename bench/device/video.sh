#!/usr/bin/env bash
# Seconds: 300 at most, PyTorch included (TIME_BUDGET=285 for everything after the start; every step
# under `timeout -k 5`, each trial cut at what is left). The GPU video benchmark: how many simultaneous
# live 1080p 30 fps H.264 streams one GPU keeps at full rate with yolov3-416 fp16 (synthetic weights,
# batch 32), every pipeline on the same streams in one run:
#   - nvdec: darkrt detect --hwaccel cuda (NVDEC); without drawing the frames stay on the GPU (NV12
#     to the letterboxed input there, bit for bit the host path's) where this darkrt can;
#   - pytorch: PyTorch, each stream decoded by an ffmpeg CLI process on the CPU (NV12 on a pipe;
#     bench/peers/torch_video.py, same cfg/weights, fp16);
#   - cpu-decode: darkrt detect --hwaccel none (FFmpeg's H.264 decoder on the CPU, threads shared);
#   - (not by default) nvdec-fast: --hwaccel cuda --fast-resize; pytorch-nvdec: the peer's ffmpeg on NVDEC.
# Streams: the carried clip (scripts/ffmpeg-device.sh: Darknet's images, 1080p30, a keyframe a second)
# cut once to SECS (6) s of MPEG-TS, then sent without re-encoding by one
# `ffmpeg -re -i clip.ts -c copy -f mpegts udp://` per stream (a sender costs little CPU).
# Score threshold 1.0 on both sides (THRESH): the synthesised weights saturate the heads (~300k
# candidates a frame at any lower threshold, whose NMS alone takes seconds a frame, as bench/gpu.sh
# says), so no box is kept and the benchmark measures decode, letterbox and inference.
# The pace check, per trial (bench/device/video-pace.py): a count N is FULL when
#   - every sender kept real time: its frames over its sending time (ffmpeg -benchmark's rtime, which
#     leaves out its start) >= 98% of the clip's 30 fps; else the trial is SENDERS-SLOW: this machine
#     cannot serve N streams, so N says nothing of the receiver (neither full nor short);
#   - every receiver stream detected >= 99% of the frames sent, and its results came at >= 97% of
#     30 fps from its first to its last (darkrt's "stream F fps over S s": its 9th result to its last
#     but 31; the peer's "fps"; a backlog worked off after the stream ended stretches that span), and
#     its mean latency < 1 s (darkrt's summary; the peer's latency_ms: frame read off ffmpeg's pipe to
#     its batch's result).
# Else SHORT. Both queue max(8, 2 * ceil(BATCH / N) + 2) frames a stream (cli/cmd-detect.c; the peer's
# default --depth) and drop by darkrt's rule (src/video/live-drop.h; the peer's drop_oldest, --fps): the
# oldest once it waited longer than that many frames last, or past one second more (a burst stays); each
# batch takes every queued frame.
# Steps per pipeline (STEPS_<mode>): up while FULL, stopping at the first count that is not; when the
# first step is SHORT or FAILED, its half once. Each pipeline gets its share of the time left (nvdec 2,
# the others 1 each). The defaults fit one call: set-up 7-38 s (the plan build), a darkrt trial 13-20 s,
# a peer trial about 27 s (torch's start and warm-up included; H200 calls C and E of session 10), so
# even with nvdec using all its share (to about 160 s in) the peer gets 8 and 16 streams and
# --hwaccel none two steps. Without a darkrt pipeline in MODES no plan is built.
# Output, each line the moment it is known: $OUT/runs.txt (every trial's pace line, per-stream rows,
# its program's output), $OUT/video-gpu.md (the header first, then one table row per pipeline as its
# steps end), and on stdout the same rows as "video.sh: RESULT <pipeline>: <streams>".
#   usage: source .devcarry/env.sh && bash bench/device/video.sh
# env: DRT_BIN (CUDA darkrt; ffmpeg beside it or on PATH), DRT_DATA (cfg/yolov3.cfg, video/),
# OUT (results); PEERS=0 skips PyTorch; MODES to pick pipelines; STEPS_nvdec etc.; SECS, TIME_BUDGET;
# CFG another cfg, SIZE its input (416), CLIP another clip (FPS its rate, FRAME_SIZE its size). Without a GPU it skips
# (exit 77); DEVICE=cpu tries the mechanics on the CPU (see tests/cli/video-bench-mechanics.sh).
set -u
START=$(date +%s)
TIME_BUDGET=${TIME_BUDGET:-285}
OUT=${OUT:-/tmp/video-bench}
echo "video.sh: time budget $TIME_BUDGET s (300 s at most with the last step's kill grace); results in $OUT as they come"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PATH="$DRT_BIN:$PATH"
BATCH=${BATCH:-32}
SIZE=${SIZE:-416} # the network's input
SECS=${SECS:-6}
FPS=${FPS:-30}
FRAME_SIZE=${FRAME_SIZE:-1920x1080}
PY=${PYTHON:-python3}
BASE_PORT=${BASE_PORT:-30000}
THRESH=${THRESH:-1.0}
DEVICE=${DEVICE:-cuda}
MODES=${MODES:-"nvdec pytorch cpu-decode"} # the main claim and its peer first
[ "${PEERS:-1}" = 0 ] && MODES=${MODES/pytorch/}
declare -A steps=(
    [nvdec]=${STEPS_nvdec:-"64 96 128 192 256"} [nvdec-fast]=${STEPS_nvdec_fast:-"64 96 128 192 256"}
    [pytorch]=${STEPS_pytorch:-"8 16 24 32 48"} [pytorch-nvdec]=${STEPS_pytorch_nvdec:-"16 32 48 64"}
    [cpu-decode]=${STEPS_cpu_decode:-"16 24 32 48"}
)
declare -A weight=([nvdec]=2 [nvdec-fast]=1 [pytorch]=1 [pytorch-nvdec]=1 [cpu-decode]=1)
CLIP=${CLIP:-$DRT_DATA/video/clip-1080p.mp4}
CFG=${CFG:-$DRT_DATA/cfg/yolov3.cfg}
W=$(mktemp -d) # plan, weights, the cut clip, the last trial's output: not results
mkdir -p "$OUT"
: >"$OUT/runs.txt"
[ -f "$CLIP" ] || { echo "video.sh: no $CLIP (scripts/ffmpeg-device.sh makes it)"; exit 1; }
command -v ffmpeg >/dev/null || { echo "video.sh: no ffmpeg CLI (scripts/ffmpeg-device.sh carries one)"; exit 1; }
engine=(--device cuda --precision fp16)
stages=(--pre gpu --post gpu)
peer_dev=()
if [ "$DEVICE" = cpu ]; then
    engine=(--device cpu) stages=() peer_dev=(--device cpu)
else
    nvidia-smi >/dev/null 2>&1 || { echo "video.sh: no GPU here: skipped (DEVICE=cpu tries the mechanics)"; exit 77; }
fi

left() { echo $((START + TIME_BUDGET - $(date +%s))); }
# The streams' clip, cut once: SECS s as MPEG-TS; its frame count is what each sender sends.
timeout -k 5 30 ffmpeg -nostdin -v error -y -i "$CLIP" -t "$SECS" -c copy -f mpegts "$W/clip.ts" ||
    { echo "video.sh: cannot cut $CLIP"; exit 1; }
FRAMES=$(timeout -k 5 30 ffmpeg -nostdin -i "$W/clip.ts" -c copy -f null - 2>&1 | tr '\r' '\n' | sed -n 's/^frame= *\([0-9]*\).*/\1/p' | tail -1)
[ "${FRAMES:-0}" -gt 0 ] || { echo "video.sh: cannot count the frames of the cut clip"; exit 1; }
echo "video.sh: streams of $FRAMES frames ($SECS s at $FPS fps); synth ($(($(date +%s) - START)) s in)"
timeout -k 5 30 darkrt synth "$CFG" -o "$W/yolov3.weights" --seed 1 >/dev/null || { echo "video.sh: synth failed"; exit 1; }
if [[ " $MODES " =~ \ (nvdec|nvdec-fast|cpu-decode)\  ]]; then # darkrt's plan: the peer reads cfg + weights
    echo "video.sh: build yolov3-$SIZE $DEVICE plan, batch $BATCH ($(($(date +%s) - START)) s in)"
    timeout -k 5 90 darkrt build "$CFG" --weights "$W/yolov3.weights" "${engine[@]}" \
        --batch "$BATCH" --size "${SIZE}x$SIZE" -o "$W/yolov3.plan" >"$W/build.log" 2>&1 || { cat "$W/build.log"; exit 1; }
    echo "video.sh: plan built ($(($(date +%s) - START)) s in)"
fi

{
    echo "# Video on the GPU: live 1080p30 H.264 streams at full rate, yolov3-416 fp16"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null); darkrt: $(darkrt --version 2>&1 | head -1)"
    echo "- GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1); CPU: $(nproc) cores"
    echo "- command: \`source .devcarry/env.sh && bash bench/device/video.sh\` (BATCH=$BATCH, $SECS s streams, TIME_BUDGET=$TIME_BUDGET)"
    echo "- streams: the clip cut once to $SECS s of MPEG-TS ($FRAMES frames), each sent by \`ffmpeg -re -i clip.ts -c copy -f mpegts udp://127.0.0.1:PORT\` (no re-encoding)"
    echo "- darkrt: \`darkrt detect yolov3.plan URL... --batch $BATCH -t $THRESH --timeout 3 --pre gpu --post gpu --hwaccel cuda|none\`; PyTorch: bench/peers/torch_video.py --thresh $THRESH --fps $FPS (queues as darkrt's: max(8, 2 * ceil($BATCH / N) + 2) frames a stream, dropped by darkrt's rule)"
    echo "- score threshold $THRESH on both sides: the synthesised weights saturate the heads (~300k candidates a frame below it), so no box reaches NMS"
    echo "- FULL: every sender kept real time (frames / its sending time >= 98% of $FPS fps) and every stream detected >= 99% of its $FRAMES frames with results at >= 97% of $FPS fps from its first to its last (mean latency < 1 s too: darkrt's, and the peer's from its pipe to its result); SENDERS-SLOW: some sender fell behind, so the count says nothing of the receiver; else SHORT"
    echo "- steps per pipeline: up while FULL, stopping at the first count that is not (runs.txt: every trial)"
    echo
    echo "| pipeline | streams kept at full rate | the next step |"
    echo "|---|---:|---|"
} >"$OUT/video-gpu.md"

# serve N: once N sockets listen from BASE_PORT on (the receiver opened them; ports from
# /proc/net/udp, or ss where that file lists none), or after 30 s, N senders of the cut clip; each
# sender's log (ffmpeg -benchmark: its rtime) in $W/send-I.log.
serve() {
    local n=$1 i p up snap
    for i in $(seq 300); do
        up=0
        snap=$(cat /proc/net/udp 2>/dev/null; ss -Hlun 2>/dev/null)
        for p in $(seq "$BASE_PORT" $((BASE_PORT + n - 1))); do
            grep -q ":$(printf '%04X' "$p") \|:$p " <<<"$snap" && up=$((up + 1))
        done
        [ "$up" -ge "$n" ] && break
        sleep 0.1
    done
    [ "$up" -ge "$n" ] || echo "serve: only $up of $n ports listening after 30 s: sending anyway" >>"$OUT/runs.txt"
    rm -f "$W"/send-*.log
    for i in $(seq 0 $((n - 1))); do
        timeout -k 5 $((SECS + 20)) ffmpeg -nostdin -hide_banner -nostats -benchmark -re -i "$W/clip.ts" -c copy -f mpegts \
            "udp://127.0.0.1:$((BASE_PORT + i))?pkt_size=1316" 2>"$W/send-$i.log" &
    done
    wait
}

# trial MODE N: one run of N streams; its pace line (video-pace.py) in runs.txt and on stdout.
# Returns 0 (FULL), 1 (SHORT), 2 (failed to run), 3 (SENDERS-SLOW).
trial() {
    local mode=$1 n=$2 i t0=$(date +%s)
    local urls=()
    for i in $(seq 0 $((n - 1))); do urls+=("udp://127.0.0.1:$((BASE_PORT + i))"); done
    serve "$n" &
    local server=$!
    local lim=$(left) # what is left of the budget, and never more than the streams need
    [ "$lim" -gt $((SECS + 60)) ] && lim=$((SECS + 60))
    [ "$lim" -lt 5 ] && lim=5
    echo "video.sh: trial $mode N=$n starting (limit $lim s; $(($(date +%s) - START)) s in)"
    local d=(timeout -k 5 "$lim" darkrt detect "$W/yolov3.plan" "${urls[@]}" --batch "$BATCH" --timeout 3 -t "$THRESH"
             "${stages[@]}")
    local peer=(timeout -k 5 "$lim" $PY "$ROOT/bench/peers/torch_video.py" --cfg "$CFG" --weights "$W/yolov3.weights"
                --size "$SIZE" --batch "$BATCH" --fps "$FPS" --read-timeout 3 --frame-size "$FRAME_SIZE" --thresh "$THRESH"
                "${peer_dev[@]}")
    local rc
    case $mode in
        cpu-decode) "${d[@]}" --hwaccel none >"$W/out" 2>"$W/err" ;;
        nvdec) "${d[@]}" --hwaccel cuda >"$W/out" 2>"$W/err" ;;
        nvdec-fast) "${d[@]}" --hwaccel cuda --fast-resize >"$W/out" 2>"$W/err" ;;
        pytorch) "${peer[@]}" "${urls[@]}" >"$W/out" 2>"$W/err" ;;
        pytorch-nvdec) "${peer[@]}" --hwaccel cuda "${urls[@]}" >"$W/out" 2>"$W/err" ;;
    esac
    rc=$?
    wait "$server"
    local line
    if [ $rc = 124 ] || [ $rc = 137 ]; then
        line="SHORT $n streams: not done within its $lim s limit" # too slow, not broken
        rc=1
    else
        line=$(timeout -k 5 20 $PY "$ROOT/bench/device/video-pace.py" --streams "$n" --frames "$FRAMES" --fps "$FPS" \
            --result "$W/out" --details "$W/pace.txt" "$W"/send-*.log)
        rc=$?
    fi
    last_trial_s=$(($(date +%s) - t0))
    echo "$mode N=$n: $line ($last_trial_s s; $(($(date +%s) - START)) s in)" | tee -a "$OUT/runs.txt"
    { cat "$W/pace.txt" 2>/dev/null; cat "$W/out"; head -c 3000 "$W/err"; } >>"$OUT/runs.txt"
    rm -f "$W/pace.txt"
    return $rc
}

# room: whether one more trial (as long as the last one, or SECS + 20 s before any) ends within
# this mode's share of the time.
room() { [ $(($(date +%s) + ${last_trial_s:-$((SECS + 20))})) -le "$mode_end" ]; }

# run_steps MODE: best[MODE] = the largest count that was FULL; next[MODE] = what the step above it gave.
run_steps() {
    local mode=$1 n rc lo=0 first=1 low
    local list=(${steps[$mode]})
    low=${list[0]}
    last_trial_s=""
    next[$mode]="not tried"
    for n in "${list[@]}"; do
        room || { next[$mode]="$n not tried (time)"; break; }
        trial "$mode" "$n"
        rc=$?
        case $rc in
            0) lo=$n ;;
            2) next[$mode]="$n: FAILED (runs.txt)" ;;
            3) next[$mode]="$n: SENDERS-SLOW (the senders fell behind: not measurable here)" ;;
            *) next[$mode]="$n: SHORT" ;;
        esac
        [ $rc = 0 ] || break
        first=0
    done
    if [ $lo = 0 ] && [ $first = 1 ] && [ $rc -le 2 ] && [ $((list[0] / 2)) -ge 1 ] && room; then # below the steps
        n=$((list[0] / 2)) low=$((list[0] / 2))
        trial "$mode" "$n" && { lo=$n; next[$mode]="${list[0]}: SHORT"; }
    fi
    if [ $lo -gt 0 ]; then best[$mode]=$lo; else best[$mode]="< $low"; fi
    [ "${next[$mode]}" = "not tried" ] && next[$mode]="(the most in STEPS)"
}

declare -A best next
name_of() {
    case $1 in
        cpu-decode) echo "darkrt, CPU decoding (--hwaccel none)" ;;
        nvdec) echo "darkrt, NVDEC (--hwaccel cuda)" ;;
        nvdec-fast) echo "darkrt, NVDEC + --fast-resize" ;;
        pytorch) echo "PyTorch + ffmpeg CLI CPU decoding (bench/peers/torch_video.py)" ;;
        pytorch-nvdec) echo "PyTorch + ffmpeg CLI on NVDEC (bench/peers/torch_video.py --hwaccel cuda)" ;;
    esac
}
weights_left=0
for mode in $MODES; do weights_left=$((weights_left + ${weight[$mode]:-1})); done
for mode in $MODES; do
    best[$mode]="not run (no time left)" next[$mode]=""
    w=${weight[$mode]:-1}
    mode_end=$(($(date +%s) + $(left) * w / weights_left))
    weights_left=$((weights_left - w))
    run_steps "$mode"
    echo "| $(name_of "$mode") | ${best[$mode]} | ${next[$mode]} |" >>"$OUT/video-gpu.md"
    echo "video.sh: RESULT $(name_of "$mode"): ${best[$mode]}; next step ${next[$mode]} ($(($(date +%s) - START)) s in)"
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
