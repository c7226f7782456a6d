#!/usr/bin/env bash
# Issue 13's GPU end-to-end rows in at most 200 s (BUDGET_S 195), today's defaults (old) against session 11's
# switches (new: DRT_NVJPEG_NO_WAIT=1 DRT_NVJPEG_PREFETCH=1 DRT_CUDA_PINNED_SLABS=1 DRT_CLI_FAST_EXIT=1, HACKING.md),
# side by side:
# the yolo-fastest-1.1 and yolov3-416 fp16 batch-32 plans built (the 8000 mixed JPEGs of bench/e2e-gpu-images.py made
# meanwhile), then the CLI (darkrt detect PLAN DIR --pre gpu --post gpu --decode D --batch 32 --no-draw --json F,
# whole process: THE number), old and new interleaved: round 1 yolo-fastest --decode gpu and cpu, yolov3-416 cpu
# and gpu; round 2 yolo-fastest gpu, yolov3-416 cpu; the PyTorch peer (bench/peers/torch_e2e.py, ~20 s) once for
# yolo-fastest-1.1; last tests/golden/cuda-pipeline (its checks of the switches too) in what is left (60 s at most).
#   source .devcarry/env.sh && bash bench/device/e2e-fast.sh      (DRT_BIN, DRT_DATA, OUT; python3 with torch)
# VARIANTS may also name ctx: today's defaults with DRT_PIPELINE_CONTEXTS=1 (session 14: every other batch on a
# context of its own, HACKING.md), or any NAME given its switches as VARIANT_ENV_NAME="VAR=1 ..." (one switch alone).
# FULL_TIMELINE=1 keeps every TIMELINE line (the CUDA build's steps too); IMAGES_S (60) bounds making the images;
# GOLDEN=0 skips tests/golden/cuda-pipeline.
# Writes $OUT/results.txt line by line (what it prints): RESULT lines as bench/e2e-gpu.sh's, with decode=D/old, D/new
# or D/ctx;
# PROFILE lines (the pipeline's threads, DRT_TIMELINE=1) and, for round 1, TIMELINE lines: every step from the
# process's start to its exit (the plan's load, nvJPEG opening, first batch, the device's decoder taking over from
# the workers, the engine's teardown, "main: detect done, exiting"; the process's end is wall_s). SUMMARY lines at
# the end (bench/e2e-summary.sh). Rows are skipped, not faked, when the budget runs out. Env: COUNT (8000), REPS
# (2: round 2 as above; 1: none), VARIANTS ("old new"), PEERS (1), PEER_MODELS (yolo-fastest-1.1: the models the
# PyTorch peer runs, on the COUNT images), BUDGET_S (195); BIG_COUNT=N (> COUNT; 0: none):
# N images made (the rows above take the first COUNT), and yolo-fastest --decode gpu once more on all N
# (model=yolo-fastest-1.1-N; the issue asks for at least 2000 images: start-up and teardown spread over more).
# PLANS ("yolo-fastest-1.1 yolov3-416"): the plans built; NAME-int8 is NAME's model as an int8 plan (calibrated
# on Darknet's sample images, --calib $DRT_DATA/data), detected as NAME is. ROUND1 and ROUND2: the rows of each
# round as NAME:DECODE (defaults as above; ROUND2 is skipped with REPS 1). KEEP_PLANS=DIR: the plans moved there
# at the end (else removed).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/e2e-fast}; COUNT=${COUNT:-8000}; BIG_COUNT=${BIG_COUNT:-0}; REPS=${REPS:-2}; PEERS=${PEERS:-1}
BUDGET_S=${BUDGET_S:-195}; VARIANTS=${VARIANTS:-"old new"}; PY=${PYTHON:-python3}
NEW_ENV="DRT_NVJPEG_NO_WAIT=1 DRT_NVJPEG_PREFETCH=1 DRT_CUDA_PINNED_SLABS=1 DRT_CLI_FAST_EXIT=1" CTX_ENV="DRT_PIPELINE_CONTEXTS=1"
if ! nvidia-smi -L >/dev/null 2>&1; then echo "e2e-fast: skipped: no GPU here"; exit 0; fi
B=$DRT_BIN; DATA=$DRT_DATA; W=$OUT/w; IMG=$OUT/images; ALL=$OUT/all-images; RES=$OUT/results.txt
mkdir -p "$W"; : >"$RES"
log() { echo "$*" | tee -a "$RES"; }
now() { date +%s.%N; }
left() { echo $((BUDGET_S - SECONDS)); }
T() { # SECONDS CMD...: at most that long, and never past the budget (skipped when less than 3 s are left)
    local s=$1 l; shift; l=$(left); [ "$l" -lt "$s" ] && s=$l
    [ "$s" -ge 3 ] || { echo "e2e-fast: out of time, skipped: $*" | tee -a "$RES"; return 124; }
    timeout -k 3 "$s" "$@"
}
log "# $(date -u '+%Y-%m-%d %H:%M UTC') $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader), $(nproc) CPUs, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), budget ${BUDGET_S} s"
log "# RESULT engine=darkrt-detect: the CLI, whole process (img_per_s; first_line_s: its first output line, the engine's;"
log "#   after_first_line_img_per_s); decode=D/old: today's defaults, D/new: with $NEW_ENV, D/ctx: with $CTX_ENV;"
log "#   engine=torch: the PyTorch peer."

[ "$BIG_COUNT" -gt "$COUNT" ] || BIG_COUNT=0
T "${IMAGES_S:-60}" $PY "$ROOT/bench/e2e-gpu-images.py" "$DATA/data" "$ALL" --count "$((BIG_COUNT > 0 ? BIG_COUNT : COUNT))" >"$W/images.txt" 2>&1 &
imgs=$!
T 10 "$B/darkrt" synth "$DATA/cfg/yolov3.cfg" -o "$W/yolov3.weights" --seed 1 >/dev/null
source "$ROOT/bench/e2e-models.sh" # model_args
precision_args() { case $1 in *-int8) echo "--precision int8 --calib $DATA/data" ;; *) echo "--precision fp16" ;; esac; }
for name in ${PLANS:-yolo-fastest-1.1 yolov3-416}; do # the plans, while the images are made
    read -r cfg w size thresh <<<"$(model_args "${name%-int8}")"
    t=$(now)
    limit=50; [ "$name" = "${name%-int8}" ] || limit=120 # int8: calibration and bias correction too
    # shellcheck disable=SC2046
    T "$limit" "$B/darkrt" build "$cfg" -w "$w" --device cuda $(precision_args "$name") --size "${size}x$size" \
        --batch 32 -o "$W/$name.plan" >"$W/build-$name.txt" 2>&1
    rc=$?
    { grep -h 'int8' "$W/build-$name.txt"; [ "$rc" = 0 ] || tail -n 3 "$W/build-$name.txt"; } | sed "s|^|BUILD model=$name |" |
        tee -a "$RES"
    log "TIME model=$name build_exit=$rc build_s=$(awk "BEGIN{print $(now) - $t}")"
    cat "$W/$name.plan" >/dev/null 2>&1
done
wait $imgs; log "IMAGES exit=$? $(tail -1 "$W/images.txt")"
if [ "$BIG_COUNT" -gt 0 ]; then # the first COUNT, linked
    mkdir -p "$IMG"; ls "$ALL" | head -n "$COUNT" | while read -r f; do ln -s "$ALL/$f" "$IMG/$f"; done
else IMG=$ALL; fi
cat "$ALL"/* >/dev/null 2>&1
N=$(ls "$IMG" | wc -l)
log "[$SECONDS s] $N images"

stall_watch() { # LABEL: a detect still running after STALL_S (12) s: its threads' states, CPU ticks (a thread at R with
    # rising utime spins in a CUDA wait; S with a futex wchan waits on a lock), kernel waits and (with gdb) backtraces,
    # its ticker lines so far (flat: stuck; rising slowly: nvJPEG refused, files decoded one by one on the batch
    # thread) and dmesg's last lines, into $OUT/stall-LABEL.txt (the 24000-image rows' overruns, sessions 16, 18)
    sleep "${STALL_S:-12}"
    local pid; pid=$(pgrep -n -f "darkrt detect $W/") || return 0
    { echo "# $1: still running after ${STALL_S:-12} s (pid $pid)"; grep -h 'detect: .* results' "$W/cli-err.txt" | tail -20
      for t in /proc/"$pid"/task/*; do
          echo "$(basename "$t") $(cat "$t/comm") $(awk '{print $3, "utime=" $14, "stime=" $15}' "$t/stat") wchan=$(cat "$t/wchan" 2>/dev/null) $(tr '\0' ' ' <"$t/syscall" 2>/dev/null | cut -c1-40)"
      done
      dmesg 2>/dev/null | tail -20 # Xid errors of the GPU
      command -v gdb >/dev/null && timeout 15 gdb -p "$pid" -batch -ex "thread apply all bt 12" 2>&1
      nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv; free -m; } >"$OUT/stall-$1.txt" 2>&1
}
cli_row() { # name decode round variant [dir]
    local name=$1 dec=$2 r=$3 v=$4 dir=${5:-$IMG} t end N cfg w size thresh vars=""
    read -r cfg w size thresh <<<"$(model_args "${name%-int8}")"
    [ "$v" = new ] && vars=$NEW_ENV
    [ "$v" = ctx ] && vars=$CTX_ENV
    local own="VARIANT_ENV_$v" drop='cuda: batch 32: \|stored plans\|cuda: build: '
    [ -n "${!own:-}" ] && vars=${!own}
    [ "${FULL_TIMELINE:-0}" = 1 ] && drop='^$' # no timeline line is empty
    N=$(ls "$dir" | wc -l)
    local label=$name; [ "$dir" = "$IMG" ] || label=$name-$N # its own SUMMARY line
    [ "$(left)" -ge 8 ] || { log "SKIPPED engine=darkrt-detect decode=$dec/$v model=$label round=$r: $(left) s left"; return; }
    t=$(now)
    stall_watch "$label-$dec-$v" &
    local watch=$!
    # shellcheck disable=SC2086
    DRT_TIMELINE=1 T 20 env $vars stdbuf -oL "$B/darkrt" detect "$W/$name.plan" "$dir" --pre gpu --post gpu --decode "$dec" \
        --batch 32 -t "$thresh" --no-draw --json "$W/cli.json" 2>"$W/cli-err.txt" | { read -r _; now >"$W/first"; cat >/dev/null; }
    end=$(now)
    kill "$watch" 2>/dev/null; wait "$watch" 2>/dev/null
    log "RESULT engine=darkrt-detect decode=$dec/$v model=$label images=$N wall_s=$(awk "BEGIN{print $end - $t}") \
img_per_s=$(awk "BEGIN{print $N / ($end - $t)}") first_line_s=$(awk "BEGIN{print $(cat "$W/first") - $t}") \
after_first_line_img_per_s=$(awk "BEGIN{print $N / ($end - $(cat "$W/first"))}") round=$r \
json_images=$(grep -o '"image"' "$W/cli.json" 2>/dev/null | wc -l) $(grep -v '^timeline:\|^pipeline: profile' "$W/cli-err.txt" | tail -1)"
    grep -ho 'pipeline: profile.*' "$W/cli-err.txt" | sed "s|^pipeline: profile|PROFILE model=$label decode=$dec/$v round=$r|" | tee -a "$RES"
    [ "$r" = 1 ] && grep -h '^timeline:' "$W/cli-err.txt" | grep -v "$drop" |
        sed "s|^timeline: *|TIMELINE model=$label decode=$dec/$v |" | tee -a "$RES"
    rm -f "$W/cli.json"
}
both() { for v in $VARIANTS; do cli_row "$@" "$v"; done; } # name decode round: old and new one after the other
round() { # R NAME:DECODE...
    local r=$1 row; shift
    for row in "$@"; do both "${row%:*}" "${row#*:}" "$r"; done
    log "[$SECONDS s] round $r done"
}
round 1 ${ROUND1:-yolo-fastest-1.1:gpu yolo-fastest-1.1:cpu yolov3-416:cpu yolov3-416:gpu}
[ "$REPS" -ge 2 ] && round 2 ${ROUND2:-yolo-fastest-1.1:gpu yolov3-416:cpu}
[ "$BIG_COUNT" -gt 0 ] && for v in $VARIANTS; do cli_row yolo-fastest-1.1 gpu 1 "$v" "$ALL"; done
if [ "$PEERS" = 1 ]; then
    for name in ${PEER_MODELS:-yolo-fastest-1.1}; do
        read -r cfg w size thresh <<<"$(model_args "$name")"
        DRT_T0=$(now) T 40 $PY "$ROOT/bench/peers/torch_e2e.py" --cfg "$cfg" --weights "$w" --size "$size" --images "$IMG" \
            --thresh "$thresh" --label "$name" >"$W/torch.txt" 2>&1
        log "$(grep RESULT "$W/torch.txt" || tail -3 "$W/torch.txt") model=$name"
    done
fi
if [ "${GOLDEN:-1}" = 1 ]; then
    T 60 "$B/cuda-pipeline" >"$OUT/cuda-pipeline.txt" 2>&1 # the GPU pipeline's boxes, the switches' too (tests/golden)
    log "CUDA_PIPELINE exit=$? ok=$(grep -c '^ok' "$OUT/cuda-pipeline.txt") FAIL=$(grep -c '^FAIL' "$OUT/cuda-pipeline.txt") \
skip=$(grep -c '^skip' "$OUT/cuda-pipeline.txt") (lines in $OUT/cuda-pipeline.txt)"
    grep '^FAIL\|^skip' "$OUT/cuda-pipeline.txt" | head -8 | tee -a "$RES"
fi
bash "$ROOT/bench/e2e-summary.sh" "$RES"
log "e2e-fast: done after $SECONDS s"
[ -n "${KEEP_PLANS:-}" ] && mkdir -p "$KEEP_PLANS" && mv "$W"/*.plan "$KEEP_PLANS/"
rm -rf "$W" "$IMG" "$ALL"
