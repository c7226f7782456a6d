#!/usr/bin/env bash
# End to end on one GPU: a folder of mixed JPEGs to detections, darkrt's pipeline from a plan against
# the PyTorch pipeline of bench/peers/torch_e2e.py, in one run, whole processes.
#   bench/e2e-gpu.sh BIN_DIR DATA_DIR OUT_DIR
# BIN_DIR: darkrt and e2e-bench, built from this tree with CUDA (scripts/device-bundle.sh builds both
# into .devcarry/bin; on the device: bench/device/e2e.sh), or by hand:
#   make && cc -Iinclude -Isrc -D_GNU_SOURCE -O2 -o build/e2e-bench bench/e2e-bench.c \
#     build/libdarkrt.a -pthread $(make -s print-libs)
# (both load the CUDA backend from libdarkrt-cuda.so beside them: src/core/module.h.)
# DATA_DIR: cfg/ (Debian's darknet cfgs), models/yolo-fastest-1.1/, data/ (Darknet's sample JPEGs, the
# sources of the folder). Writes OUT_DIR/results.txt (RESULT, TIME and EQUIV lines).
# Env: COUNT (images, 2400), MODELS ("yolov3-416 yolo-fastest-1.1"), REPS (2 runs of each, alternating),
# DECODES ("cpu fast gpu mixed": --decode of the darkrt rows: libjpeg on the workers, the same at 1/2, 1/4,
# 1/8 scale for photos at least twice the network input, nvJPEG on the GPU, nvJPEG and the workers at once),
# ONE_IN_FLIGHT=1 (e2e-bench again with DRT_CUDA_ASYNC=0: one batch in flight, for comparison),
# PEERS=0 (darkrt only), EQUIV=1 (pipeline with GPU stages against today's path, drt_image_load +
# drt_detect_batch with host stages: every box, on the first EQ_COUNT=600 images; and the boxes of
# the GPU's JPEG decode against them: AGREE lines), PYTHON (python3),
# WORKERS_SWEEP ("12 24": e2e-bench again with each worker count, decode cpu; "" for none),
# REPEAT=1 (nvJPEG's boxes on the same EQ_COUNT images three times, two batches in flight and one, and
# its GPU hybrid backend: REPEAT lines, same=1 when every box is the same each time),
# LOAD_ROWS=1 (decode cpu, round 1: e2e-bench with the engine loaded before the pipeline starts,
# load=first, against the default, the pipeline made from the plan with its workers decoding while
# the engine loads, load=overlapped; and the overlapped run again with each INFLIGHT_SWEEP ("1024 4096")
# items in flight: how much of the load the decoding can fill), TTFD_RUNS (5: one-image first
# detections, whose median is the TTFD_MEDIAN line).
# Every step runs under timeout -k 5 (STEP_S, 60 s; builds 120 s).
# Diagnostics (DRT_TIMELINE=1, src/core/timeline.h): TTFD lines, the time since the process started at
# each step of a plan's load and first batch (one image through the CLI, then the same with CUDA's
# modules loaded eagerly); PROFILE lines, where e2e-bench's pipeline threads spent the run (workers'
# busy and idle shares, the producer blocked on a full ring, the batch thread waiting for decoded
# items, staging, launching, waiting for results; the consumer waiting).
# Each run is one process, timed from just before it starts (DRT_T0) to its exit; the images are read
# once before the runs so that both sides find them in the page cache. With two batches in flight,
# e2e-bench's inference_ms is the engine's launch (the batch thread does not wait for it): the wait
# is in postprocess_ms; with DRT_CUDA_ASYNC=0 (in_flight=1) the two are as before.
set -u
BIN=${1:?BIN_DIR}; DATA=${2:?DATA_DIR}; OUT=${3:?OUT_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
COUNT=${COUNT:-2400}; REPS=${REPS:-2}; PEERS=${PEERS:-1}; EQUIV=${EQUIV:-1}; EQ_COUNT=${EQ_COUNT:-600}
DECODES=${DECODES:-"cpu fast gpu mixed"}; ONE_IN_FLIGHT=${ONE_IN_FLIGHT:-1}; WORKERS_SWEEP=${WORKERS_SWEEP-"12 24"}; REPEAT=${REPEAT:-1}
LOAD_ROWS=${LOAD_ROWS:-1}; INFLIGHT_SWEEP=${INFLIGHT_SWEEP-"1024 4096"}; TTFD_RUNS=${TTFD_RUNS:-5}; STEP_S=${STEP_S:-60}
T() { timeout -k 5 "$STEP_S" "$@"; } # every step bounded
median() { sort -g | awk '{v[NR] = $1} END {print NR ? (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) : "nan"}'; }
MODELS=${MODELS:-"yolov3-416 yolo-fastest-1.1"}
W=$OUT/w; IMG=$OUT/images; RES=$OUT/results.txt
mkdir -p "$W"
: >"$RES"
now() { date +%s.%N; }
log() { echo "$*" | tee -a "$RES"; }
profile() { # FILE LABEL: e2e-bench's pipeline profile and first-batch timeline (DRT_TIMELINE=1)
    grep -ho 'pipeline: profile.*' "$1" | sed "s/^pipeline: profile/PROFILE model=$name $2/" | tee -a "$RES" # (stdout may share its line)
    grep -ho 'timeline: .*\(engine built\|engine ready\|first batch\|first result\|JPEG thread\|nvJPEG decoder\|pipeline: freed\).*' "$1" | sed "s/^timeline: */PROFILE model=$name $2 /" | tee -a "$RES"
}

log "# $(date -u '+%Y-%m-%d %H:%M UTC') $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader), $(nproc) CPUs"
log "# ROWS. RESULT engine=darkrt-detect: THE number: the CLI (darkrt detect PLAN DIR --json, from the plan), whole process"
log "#   from start to exit (img_per_s); after_first_line_img_per_s: the images over the time after its first output line."
log "# RESULT engine=darkrt: the library's pipeline (bench/e2e-bench.c), load=overlapped (made from the plan: the workers"
log "#   decode while the engine loads) or load=first (engine loaded, then the pipeline); after_first_img_per_s: after the"
log "#   first detection. RESULT engine=torch: the PyTorch peer (same files, same run). SUMMARY lines at the end."
log "# PROFILE lines follow the RESULT they belong to, with its labels: where the pipeline's threads spent the run; late_pinned:"
log "#   items decoded during the load moved to page-locked memory by the workers; pageable_staged: items the batch thread"
log "#   copied from pageable memory itself; jpeg_thread_*: --decode mixed's nvJPEG thread (files, busy and idle ms)."
T $PY "$ROOT/bench/e2e-gpu-images.py" "$DATA/data" "$IMG" --count "$COUNT" | tee -a "$RES"
cat "$IMG"/* >/dev/null
N=$(ls "$IMG" | wc -l)
T "$BIN/darkrt" synth "$DATA/cfg/yolov3.cfg" -o "$W/yolov3.weights" --seed 1 >/dev/null
source "$ROOT/bench/e2e-models.sh" # model_args

for name in $MODELS; do
    read -r cfg w size thresh <<<"$(model_args "$name")"
    plan=$W/$name.plan
    t=$(now)
    timeout -k 5 120 "$BIN/darkrt" build "$cfg" -w "$w" --device cuda --precision fp16 --size "${size}x$size" --batch 32 -o "$plan" >/dev/null
    log "TIME model=$name build_s=$(awk "BEGIN{print $(now) - $t}") plan_mib=$(($(stat -c %s "$plan") >> 20))"
    : >"$W/ttfd"
    for i in $(seq "$TTFD_RUNS"); do # a plan to the first detection printed, whole process (one image)
        t=$(now)
        T stdbuf -oL "$BIN/darkrt" detect "$plan" "$DATA/data/dog.jpg" -t "$thresh" --no-draw 2>/dev/null |
            { read -r _; now >"$W/l1"; grep -m1 ' objects in ' >/dev/null; now >"$W/d1"; cat >/dev/null; }
        # first line: "engine: ..." (the engine loaded); first detection: the image's "N objects in" line
        d=$(awk "BEGIN{print $(cat "$W/d1") - $t}"); echo "$d" >>"$W/ttfd"
        log "TIME model=$name one_image_first_line_s=$(awk "BEGIN{print $(cat "$W/l1") - $t}") one_image_first_detection_s=$d"
    done
    log "TTFD_MEDIAN model=$name runs=$TTFD_RUNS first_detection_s=$(median <"$W/ttfd") (goal for yolov3-416: <= 1.0)"
    for env in CUDA_MODULE_LOADING=LAZY CUDA_MODULE_LOADING=EAGER; do # where the first second goes
        env DRT_TIMELINE=1 "$env" timeout -k 5 "$STEP_S" "$BIN/darkrt" detect "$plan" "$DATA/data/dog.jpg" -t "$thresh" --no-draw 2>&1 >/dev/null |
            grep '^timeline:' | sed "s/^timeline: */TTFD model=$name $env /" | tee -a "$RES"
    done
    DRT_CUDA_VERBOSE=1 T "$BIN/darkrt" detect "$plan" "$DATA/data/dog.jpg" -t "$thresh" --no-draw >/dev/null 2>"$W/verbose.txt"
    log "LOAD model=$name plans_from_json=$(grep -c "plan's JSON" "$W/verbose.txt") shared=$(grep -c 'shared with' "$W/verbose.txt") \
heuristic=$(grep -c 'engine config' "$W/verbose.txt") legacy=$(grep -c 'legacy algo' "$W/verbose.txt")"
    grep 'cuda: build:' "$W/verbose.txt" | sed "s/^/LOAD model=$name /" | tee -a "$RES"
    for i in 1 2 3; do
        t=$(now); T "$BIN/darkrt" inspect "$plan" >/dev/null
        log "TIME model=$name inspect_s=$(awk "BEGIN{print $(now) - $t}")"
    done
    for r in $(seq "$REPS"); do
        for dec in $DECODES; do # the product: darkrt detect on the pipeline, GPU stages, JSON written, nothing drawn
            t=$(now)
            DRT_TIMELINE=1 T stdbuf -oL "$BIN/darkrt" detect "$plan" "$IMG" --pre gpu --post gpu --decode "$dec" --batch 32 -t "$thresh" \
                --no-draw --json "$W/cli.json" 2>"$W/cli-err.txt" | { read -r _; now >"$W/first"; cat >/dev/null; }
            end=$(now)
            log "RESULT engine=darkrt-detect decode=$dec model=$name images=$N wall_s=$(awk "BEGIN{print $end - $t}") \
img_per_s=$(awk "BEGIN{print $N / ($end - $t)}") first_line_s=$(awk "BEGIN{print $(cat "$W/first") - $t}") \
after_first_line_img_per_s=$(awk "BEGIN{print $N / ($end - $(cat "$W/first"))}") \
json_images=$(grep -o '"image"' "$W/cli.json" | wc -l) $(grep -v '^timeline:\|^pipeline: profile' "$W/cli-err.txt" | tail -1)"
            profile "$W/cli-err.txt" "engine=darkrt-detect decode=$dec"
            DRT_TIMELINE=1 DRT_T0=$(now) T "$BIN/e2e-bench" "$plan" "$IMG" -t "$thresh" --decode "$dec" >"$W/darkrt-$name.txt" 2>&1
            log "$(grep RESULT "$W/darkrt-$name.txt" || tail -2 "$W/darkrt-$name.txt") in_flight=2 model=$name"
            profile "$W/darkrt-$name.txt" "decode=$dec in_flight=2"
            for extra in $([ "$dec" = cpu ] && [ "$r" = 1 ] && [ "$LOAD_ROWS" = 1 ] && echo engine-first:1 && for n in $INFLIGHT_SWEEP; do echo "in-flight:$n"; done); do
                DRT_TIMELINE=1 DRT_T0=$(now) T "$BIN/e2e-bench" "$plan" "$IMG" -t "$thresh" --decode "$dec" "--${extra%%:*}" "${extra#*:}" >"$W/darkrt-$name.txt" 2>&1
                log "$(grep RESULT "$W/darkrt-$name.txt" || tail -2 "$W/darkrt-$name.txt") in_flight=2 model=$name"
                profile "$W/darkrt-$name.txt" "decode=$dec in_flight=2 $extra"
            done
            for nw in $([ "$dec" = cpu ] && echo "$WORKERS_SWEEP"); do
                DRT_TIMELINE=1 DRT_T0=$(now) T "$BIN/e2e-bench" "$plan" "$IMG" -t "$thresh" --decode "$dec" --workers "$nw" >"$W/darkrt-$name.txt" 2>&1
                log "$(grep RESULT "$W/darkrt-$name.txt" || tail -2 "$W/darkrt-$name.txt") in_flight=2 model=$name"
                profile "$W/darkrt-$name.txt" "decode=$dec in_flight=2"
            done
            [ "$ONE_IN_FLIGHT" = 1 ] || continue # the same with every run waiting for the device
            DRT_TIMELINE=1 DRT_CUDA_ASYNC=0 DRT_T0=$(now) T "$BIN/e2e-bench" "$plan" "$IMG" -t "$thresh" --decode "$dec" >"$W/darkrt-$name.txt" 2>&1
            log "$(grep RESULT "$W/darkrt-$name.txt" || tail -2 "$W/darkrt-$name.txt") in_flight=1 model=$name"
            profile "$W/darkrt-$name.txt" "decode=$dec in_flight=1"
        done
        [ "$PEERS" = 1 ] || continue
        DRT_T0=$(now) T $PY "$ROOT/bench/peers/torch_e2e.py" --cfg "$cfg" --weights "$w" --size "$size" --images "$IMG" \
            --thresh "$thresh" --label "$name" >"$W/torch-$name.txt" 2>&1
        log "$(grep RESULT "$W/torch-$name.txt" || tail -3 "$W/torch-$name.txt") model=$name"
    done
    if [ "$REPEAT" = 1 ] && [ "$name" = yolo-fastest-1.1 ]; then # is nvJPEG's output the same each time?
        mkdir -p "$W/eq" && ls "$IMG" | head -"$EQ_COUNT" | while read -r f; do ln -sf "$IMG/$f" "$W/eq/$f"; done
        for mode in async=1 async=0 hybrid; do
            for i in 1 2 3; do
                DRT_CUDA_ASYNC=$([ $mode = async=0 ] && echo 0 || echo 1) DRT_NVJPEG_BACKEND=$([ $mode = hybrid ] && echo hybrid || echo hardware) \
                    T "$BIN/e2e-bench" "$plan" "$W/eq" -t 0.01 --boxes 1 --decode gpu 2>&1 | grep -v RESULT >"$W/rep$i.txt"
            done
            log "REPEAT model=$name decode=gpu $mode thresh=0.01 boxes=$(grep -c '^  ' "$W/rep1.txt") same=$(cmp -s "$W/rep1.txt" "$W/rep2.txt" && cmp -s "$W/rep1.txt" "$W/rep3.txt" && echo 1 || echo 0) \
differing_lines=$(( $(diff "$W/rep1.txt" "$W/rep2.txt" | grep -c '^[<>]') + $(diff "$W/rep1.txt" "$W/rep3.txt" | grep -c '^[<>]') ))"
        done
    fi
    if [ "$EQUIV" = 1 ] && [ "$name" = yolo-fastest-1.1 ]; then # every box, pipeline (GPU stages) against today's path
        mkdir -p "$W/eq" && ls "$IMG" | head -"$EQ_COUNT" | while read -r f; do ln -sf "$IMG/$f" "$W/eq/$f"; done
        for t in 0.25 0.01; do
            T "$BIN/e2e-bench" "$plan" "$W/eq" -t $t --boxes 1 >"$W/on.txt" 2>&1
            T "$BIN/e2e-bench" "$plan" "$W/eq" -t $t --boxes 1 --no-pipeline 1 --pre cpu --post cpu >"$W/off.txt" 2>&1
            boxes=$(grep -c '^  ' "$W/off.txt")
            if diff <(grep -v RESULT "$W/on.txt") <(grep -v RESULT "$W/off.txt") >"$W/diff.txt"; then
                log "EQUIV model=$name thresh=$t images=$(grep -c objects "$W/off.txt") boxes=$boxes same=1"
            else
                log "EQUIV model=$name thresh=$t boxes=$boxes same=0 differing_lines=$(grep -c '^[<>]' "$W/diff.txt")"
                head -20 "$W/diff.txt" >>"$RES"
            fi
            # JPEG decode on the GPU (nvJPEG) against the CPU's libjpeg: close, not equal (bench/e2e-agree.py)
            DRT_CUDA_VERBOSE=1 T "$BIN/e2e-bench" "$plan" "$W/eq" -t $t --boxes 1 --decode gpu >"$W/gpu.txt" 2>"$W/gpu-err.txt"
            log "NVJPEG model=$name thresh=$t $(grep -h 'nvJPEG (' "$W/gpu-err.txt" | tail -1)"
            log "AGREE model=$name thresh=$t decode=gpu-vs-cpu $(T $PY "$ROOT/bench/e2e-agree.py" "$W/off.txt" "$W/gpu.txt" 2>&1 | tail -1)"
            T "$BIN/e2e-bench" "$plan" "$W/eq" -t $t --boxes 1 --decode fast >"$W/fast.txt" 2>&1 # libjpeg's DCT scaling
            log "AGREE model=$name thresh=$t decode=fast-vs-cpu $(T $PY "$ROOT/bench/e2e-agree.py" "$W/off.txt" "$W/fast.txt" 2>&1 | tail -1)"
        done
    fi
done
bash "$ROOT/bench/e2e-summary.sh" "$RES" # the headline lines, at the end
rm -rf "$W" "$IMG"
