#!/usr/bin/env bash
# Two darkrt builds' CPU results byte for byte (a compiler change must not move them): plans built with
# both (no timing-based choices: DRT_CPU_TUNE=0, 2 threads) for yolo-fastest-1.1 (real weights),
# yolov3-tiny and yolov3 at 320 (synth weights), fp32, bf16, int8, each pass switched off in turn
# (yolov3: all on); each run on the same random batch of 2. Prints one line per case and a RESULT.
#   OLD=old/darkrt NEW=build/darkrt bash bench/compiler-bitexact.sh   (results: bench/results/compiler-cpu-bitexact.md)
# PRECS="int8" limits the precisions (default "fp32 bf16 int8"): a calibration change moves only int8.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OLD=${OLD:?OLD: the darkrt of the other build}; NEW=${NEW:-$ROOT/build/darkrt}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
F=${DRT_SHARED:-$ROOT/../shared}/models/yolo-fastest-1.1
[ -f $T/yolov3.weights ] || $NEW synth /usr/share/darknet/cfg/yolov3.cfg -o $T/yolov3.weights --seed 1 >/dev/null
[ -f $T/yolov3-tiny.weights ] || $NEW synth /usr/share/darknet/cfg/yolov3-tiny.cfg -o $T/yolov3-tiny.weights --seed 1 >/dev/null
export DRT_CPU_TUNE=0
same=0 diff=0
for m in fastest tiny v3; do
  case $m in
    fastest) a=($F/yolo-fastest-1.1.cfg -w $F/yolo-fastest-1.1.weights) ;;
    tiny) a=(/usr/share/darknet/cfg/yolov3-tiny.cfg -w $T/yolov3-tiny.weights) ;;
    v3) a=(/usr/share/darknet/cfg/yolov3.cfg -w $T/yolov3.weights --size 320x320) ;;
  esac
  for p in ${PRECS:-fp32 bf16 int8}; do
    for off in "" fuse-add concat-inplace memplan fold-bn,fuse-act; do
      [ "$m" = v3 ] && [ -n "$off" ] && continue
      extra=(); [ -n "$off" ] && extra=(--passes-off "$off")
      # run takes no --passes-off: build a plan, then run it
      for b in OLD NEW; do
        bin=${!b}
        $bin build "${a[@]}" --device cpu --threads 2 --precision $p "${extra[@]}" -o $T/$b.plan >/dev/null 2>$T/$b.err || { echo "$b build failed: $m $p $off: $(tail -1 $T/$b.err)"; continue; }
        $bin run $T/$b.plan --random 7 --batch 2 -o $T/$b.f32 >/dev/null 2>$T/$b.err || echo "$b run failed: $m $p $off"
      done
      if cmp -s $T/OLD.f32 $T/NEW.f32; then same=$((same+1)); r=same; else diff=$((diff+1)); r=DIFFERENT; fi
      pl=$(cmp -s $T/OLD.plan $T/NEW.plan && echo "plan same" || echo "plan differs")
      echo "$m $p passes-off=[${off}] heads $r ($pl, $(stat -c %s $T/NEW.f32) bytes)"
    done
  done
done
echo "RESULT: $same identical, $diff different"
