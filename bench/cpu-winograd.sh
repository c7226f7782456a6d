#!/usr/bin/env bash
# darkrt fp32 with DRT_CPU_WINOGRAD=auto (the default) against off, interleaved in one run on this
# machine: each round builds a plan in each mode (as bench/cpu.sh does: --batch 8, --threads 2), counts
# the convs the build's timing gave to Winograd, and runs `darkrt bench` on it in its own process
# (batch-1 median and p90, batch-8 throughput, peak RSS). Rounds alternate which mode goes first.
# Prints one markdown row a build and bench, then each mode's medians over the rounds.
# KEEP=DIR keeps the --verbose build logs (their "layer N winograd X ms, direct Y ms" lines).
#   usage: bash bench/cpu-winograd.sh [BUILD_DIR]   (ROUNDS=3, MODELS="yolov3-416 yolo-fastest-1.1-320")
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/cpu-args.sh" "${1:-}"
ROUNDS=${ROUNDS:-3}
FASTEST="$SHARED/models/yolo-fastest-1.1"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export OMP_NUM_THREADS=$THREADS
[ -x "$DARKRT" ] || { echo "bench/cpu-winograd.sh: $DARKRT missing (make BUILD=... first)" >&2; exit 1; }

spec_of() { # name -> cfg|weights|size|runs
  case $1 in
    yolov3-416) echo "/usr/share/darknet/cfg/yolov3.cfg|synth:yolov3|416|20" ;;
    yolo-fastest-1.1-320) echo "$FASTEST/yolo-fastest-1.1.cfg|$FASTEST/yolo-fastest-1.1.weights|320|100" ;;
    *) return 1 ;;
  esac
}
weights_of() { # synth:NAME CFG -> a synthesised weights file (reused from the test data when present)
  [[ "$1" != synth:* ]] && { echo "$1"; return; }
  local m=${1#synth:} f
  for f in "$BUILD/testdata/$m.weights" "$WORK/$m.weights"; do [ -s "$f" ] && { echo "$f"; return; }; done
  "$DARKRT" synth "$2" -o "$WORK/$m.weights" --seed 1 >/dev/null && echo "$WORK/$m.weights"
}

echo "| model | round | DRT_CPU_WINOGRAD | Winograd convs | batch-1 median (ms) | p90 (ms) | batch-8 (img/s) | peak RSS (MiB) | loadavg before |"
echo "|---|---:|---|---:|---:|---:|---:|---:|---|"
for name in ${MODELS:-yolov3-416 yolo-fastest-1.1-320}; do
  IFS='|' read -r cfg wspec size runs <<<"$(spec_of "$name")" || { echo "unknown model $name" >&2; exit 2; }
  [ -r "$cfg" ] || { echo "bench/cpu-winograd.sh: $cfg missing" >&2; exit 1; }
  w=$(weights_of "$wspec" "$cfg") || { echo "bench/cpu-winograd.sh: no weights for $name" >&2; exit 1; }
  for r in $(seq 1 "$ROUNDS"); do
    modes="auto off"; [ $((r % 2)) = 0 ] && modes="off auto"
    for mode in $modes; do
      load=$(cut -d' ' -f1-3 /proc/loadavg)
      log="$WORK/$name-$r-$mode.log"
      DRT_CPU_WINOGRAD=$mode "$DARKRT" build "$cfg" --weights "$w" --size ${size}x$size --threads $THREADS --batch 8 \
        --precision fp32 --verbose -o "$WORK/p.plan" >"$log" 2>&1 || { echo "build failed: $(tail -1 "$log")" >&2; exit 1; }
      nw=$(grep -c '^layer .* conv .*darkrt:winograd' "$log")
      DRT_CPU_WINOGRAD=$mode "$DARKRT" bench "$WORK/p.plan" --threads $THREADS --runs "$runs" --warmup 3 --batch 8 \
        --json "$WORK/b.json" >"$WORK/bench.log" 2>&1 || { echo "bench failed: $(tail -1 "$WORK/bench.log")" >&2; exit 1; }
      python3 - "$WORK/b.json" "$name" "$r" "$mode" "$nw" "$load" <<'PY' | tee -a "$WORK/rows.txt"
import json, sys
j = json.load(open(sys.argv[1])); l = j["latency_ms"]
print(f"| {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4]} | {sys.argv[5]} | {l['median']:.1f} | {l['p90']:.1f} | "
      f"{j['throughput_ips']:.2f} | {j['peak_rss_kib'] / 1024:.0f} | {sys.argv[6]} |")
PY
      [ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$log" "$KEEP/"
      rm -f "$WORK/p.plan"
    done
  done
done
echo
python3 - "$WORK/rows.txt" <<'PY'
import statistics, sys
rows = [[c.strip() for c in l.strip().strip("|").split("|")] for l in open(sys.argv[1]) if l.startswith("|")]
print("| model | DRT_CPU_WINOGRAD | rounds | Winograd convs | median of batch-1 medians (ms) | of p90s (ms) | batch-8 (img/s) | peak RSS (MiB) |")
print("|---|---|---:|---|---:|---:|---:|---:|")
for key in dict.fromkeys((r[0], r[2]) for r in rows):
    g = [r for r in rows if (r[0], r[2]) == key]
    med = lambda k: statistics.median(float(r[k]) for r in g)
    print(f"| {key[0]} | {key[1]} | {len(g)} | {', '.join(r[3] for r in g)} | {med(4):.1f} | {med(5):.1f} | {med(6):.2f} | "
          f"{med(7):.0f} |")
PY
