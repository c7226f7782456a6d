#!/usr/bin/env bash
# The CPU benchmark: darkrt (fp32, fp32 with DRT_CPU_WINOGRAD=off, bf16, int8 plans) against ONNX
# Runtime (on darkrt's exported ONNX), PyTorch (bench/peers/torch_darknet.py) and Darknet (Debian's
# libdarknet), in one run on this machine with the same thread count. Models: yolov3-416 (synthesised
# weights), yolov3-tiny-416 (synthesised), yolo-fastest-1.1-320 (real weights). Each engine runs in
# its own process (warm-up first); batch-1 latency (median, p90), batch-8 throughput, peak RSS.
# Writes bench/results/cpu.md (BENCH_OUT=file to write elsewhere; QUICK=1 for a short smoke run).
# DARKNET_NEW=1: AlexeyAB's newer families instead, yolov4-416 and yolov7-tiny-416 (its cfgs from
# ../shared/reference, synthesised weights; Debian's 2018 Darknet cannot run them), into
# bench/results/cpu-darknet.md.
#   usage: bash bench/cpu.sh [BUILD_DIR]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/cpu-args.sh" "${1:-}"
DARKNET_NEW=${DARKNET_NEW:-0}
OUT=${BENCH_OUT:-$ROOT/bench/results/$([ "$DARKNET_NEW" = 1 ] && echo cpu-darknet || echo cpu).md}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
[ -x "$DARKRT" ] || { echo "bench/cpu.sh: $DARKRT missing (make BUILD=... first)"; exit 1; }
START=$(date -u +%s)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# name cfg weights size runs(darkrt/ort/torch) darknet-runs darknet-batch-runs
FASTEST="$SHARED/models/yolo-fastest-1.1"
MODELS=(
  "yolov3-416|/usr/share/darknet/cfg/yolov3.cfg|synth:yolov3|416|20|2|0"
  "yolov3-tiny-416|/usr/share/darknet/cfg/yolov3-tiny.cfg|synth:yolov3-tiny|416|50|10|2"
  "yolo-fastest-1.1-320|$FASTEST/yolo-fastest-1.1.cfg|$FASTEST/yolo-fastest-1.1.weights|320|100|20|3"
)
AB_CFG="$SHARED/reference/alexeyab-darknet/cfg"
if [ "$DARKNET_NEW" = 1 ]; then # darknet runs 0: Debian's Darknet has no mish and no yolov7 layers
  MODELS=(
    "yolov4-416|$AB_CFG/yolov4.cfg|synth:yolov4|416|10|0|0"
    "yolov7-tiny-416|$AB_CFG/yolov7-tiny.cfg|synth:yolov7-tiny|416|30|0|0"
  )
fi
if [ "${QUICK:-0}" = 1 ]; then
  MODELS=("yolo-fastest-1.1-320|$FASTEST/yolo-fastest-1.1.cfg|$FASTEST/yolo-fastest-1.1.weights|320|5|2|1")
fi

weights_of() { # synth:NAME CFG -> a synthesised weights file (reused from the test data when present)
  local w=$1
  [[ "$w" != synth:* ]] && { echo "$w"; return; }
  local m=${w#synth:}
  for f in "$BUILD/testdata/$m.weights" "$WORK/$m.weights"; do [ -s "$f" ] && { echo "$f"; return; }; done
  "$DARKRT" synth "$2" -o "$WORK/$m.weights" --seed 1 >/dev/null && echo "$WORK/$m.weights"
}

NOTES=()
run_json() { # label outfile cmd...: runs one engine in its own process, keeps its JSON line
  local label=$1 out=$2; shift 2
  echo "  $label: $*" >&2
  if "$@" >"$WORK/stdout" 2>"$WORK/stderr"; then
    grep '^{' "$WORK/stdout" | tail -1 >"$out"
    [ -s "$out" ] || NOTES+=("$label: no result ($(tail -1 "$WORK/stderr"))")
  else
    NOTES+=("$label: failed: $(tail -1 "$WORK/stderr")")
  fi
}

cc -O2 "$ROOT/bench/darknet-bench.c" -I/usr/lib/darknet/include -L/usr/lib/darknet -Wl,-rpath,/usr/lib/darknet \
   -ldarknet -o "$WORK/darknet-bench" 2>"$WORK/cc.log" || NOTES+=("darknet: harness did not build: $(tail -1 "$WORK/cc.log")")

for spec in "${MODELS[@]}"; do
  IFS='|' read -r name cfg wspec size runs dn_runs dn_batch_runs <<<"$spec"
  echo "== $name" >&2
  [ -r "$cfg" ] || { NOTES+=("$name: $cfg missing, skipped"); continue; }
  w=$(weights_of "$wspec" "$cfg") || { NOTES+=("$name: no weights, skipped"); continue; }
  d="$WORK/$name"; mkdir -p "$d"
  # fp32-wino-off: fp32 with DRT_CPU_WINOGRAD=off (the default, auto, trades memory for speed: cpu-winograd.md)
  for prec in fp32 fp32-wino-off bf16 int8; do
    calib=(); [ $prec = int8 ] && calib=(--calib /usr/share/darknet/data)
    wino=auto; [ $prec = fp32-wino-off ] && wino=off
    if DRT_CPU_WINOGRAD=$wino "$DARKRT" build "$cfg" --weights "$w" --size ${size}x$size --threads $THREADS --batch 8 \
        --precision ${prec%%-*} "${calib[@]}" -o "$d/$prec.plan" >"$d/build-$prec.log" 2>&1; then
      echo "  darkrt $prec: darkrt bench $prec.plan --threads $THREADS --runs $runs --warmup 3 --batch 8" >&2
      DRT_CPU_WINOGRAD=$wino "$DARKRT" bench "$d/$prec.plan" --threads $THREADS --runs $runs --warmup 3 --batch 8 \
        --json "$d/darkrt-$prec.json" >"$d/bench-$prec.log" 2>&1 || NOTES+=("$name darkrt $prec: bench failed: $(tail -1 "$d/bench-$prec.log")")
    else
      NOTES+=("$name darkrt $prec: build failed: $(tail -1 "$d/build-$prec.log")")
    fi
    [ -n "${KEEP_PLANS:-}" ] && mkdir -p "$KEEP_PLANS" && cp "$d/$prec.plan" "$d/build-$prec.log" "$KEEP_PLANS/" 2>/dev/null
    [ -n "${KEEP_PLANS:-}" ] && mv "$KEEP_PLANS/$prec.plan" "$KEEP_PLANS/$name-$prec.plan" 2>/dev/null
    rm -f "$d/$prec.plan"
  done
  if "$DARKRT" convert "$cfg" "$w" --size ${size}x$size --batch dynamic -o "$d/model.onnx" >"$d/convert.log" 2>&1; then
    run_json "onnxruntime" "$d/ort.json" python3 "$ROOT/bench/peers/ort_bench.py" --onnx "$d/model.onnx" \
      --threads $THREADS --runs $runs --warmup 3 --batch 8 --batch-runs $(( runs >= 50 ? 5 : 2 ))
    rm -f "$d/model.onnx"
  else
    NOTES+=("$name onnxruntime: skipped, darkrt convert failed: $(tail -1 "$d/convert.log")")
  fi
  if [ -r "$ROOT/bench/peers/torch_darknet.py" ]; then
    run_json "pytorch" "$d/torch.json" /usr/bin/python3 "$ROOT/bench/peers/torch_bench.py" --cfg "$cfg" --weights "$w" \
      --size $size --threads $THREADS --runs $runs --warmup 3 --batch 8 --batch-runs $(( runs >= 50 ? 5 : 2 ))
  else
    NOTES+=("$name pytorch: skipped, bench/peers/torch_darknet.py missing")
  fi
  if [ -x "$WORK/darknet-bench" ] && [ "$dn_runs" -gt 0 ]; then
    for b in 1 8; do
      sed -e "s/^batch *=.*/batch=$b/" -e "s/^subdivisions *=.*/subdivisions=1/" -e "s/^width *=.*/width=$size/" \
          -e "s/^height *=.*/height=$size/" "$cfg" >"$d/dn$b.cfg"
    done
    run_json "darknet" "$d/darknet.json" "$WORK/darknet-bench" "$d/dn1.cfg" "$d/dn8.cfg" "$w" $size $dn_runs 1 8 $dn_batch_runs
  fi
done

ELAPSED=$(( $(date -u +%s) - START ))
printf '%s\n' "${NOTES[@]+"${NOTES[@]}"}" >"$WORK/notes.txt"
python3 "$ROOT/bench/cpu-table.py" --work "$WORK" --out "$OUT" --threads $THREADS --elapsed $ELAPSED \
  --load "before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)" \
  --command "$([ "$DARKNET_NEW" = 1 ] && echo 'DARKNET_NEW=1 ')bash bench/cpu.sh ${1:-build}" --notes "$WORK/notes.txt" --root "$ROOT" \
  --models "$(IFS=,; for s in "${MODELS[@]}"; do printf '%s,' "${s%%|*}"; done)"
echo "wrote $OUT (${ELAPSED}s)" >&2
