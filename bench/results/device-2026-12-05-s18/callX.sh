#!/usr/bin/env bash
# Device call X (session 18, issue 13): why yolo-fastest-1.1 on 24000 JPEGs (bench/device/e2e-fast.sh's BIG_COUNT
# rows) ran past its 20 s limit in call H2 (both variants) and in session 16's nowait row, where session 16's old and
# exit rows took 6.5-7.1 s. Each run below: detect's stdout lines (one an image) counted every second (progress.txt),
# and at 25 s, if still running, every thread's state and kernel wait channel (threads.txt) and gdb's backtraces
# if gdb exists, then killed. Runs: nvJPEG on all 24000; CPU decode on all 24000; nvJPEG on the last 8000 only.
# Run: `CALL_COMMIT=<commit> LIMIT=280 NEED_X=240 bash bench/device/chain.sh X` with carry [".devcarry"], timeout_s 300.
set -u
source bench/device/call-lib.sh
call_start callX
B=$DRT_BIN DATA=$DRT_DATA W=/tmp/x; ALL=$W/all; mkdir -p "$W" "$W/last"
timeout 120 python3 bench/e2e-gpu-images.py "$DATA/data" "$ALL" --count 24000 >"$W/images.txt" 2>&1 & imgs=$!
M=$DATA/models/yolo-fastest-1.1
timeout 60 "$B/darkrt" build "$M/yolo-fastest-1.1.cfg" -w "$M/yolo-fastest-1.1.weights" --device cuda --precision fp16 \
    --size 320x320 --batch 32 -o "$W/yf.plan" >/dev/null 2>"$W/build.err"; el "plan built rc=$?"
wait $imgs; el "images: $(tail -1 "$W/images.txt")"
ls "$ALL" | tail -n 8000 | while read -r f; do ln -s "$ALL/$f" "$W/last/$f"; done
cat "$ALL"/* >/dev/null
run() { # NAME DIR DECODE
    local name=$1 dir=$2 dec=$3 d=$OUT/$1; mkdir -p "$d"
    local t0; t0=$(date +%s.%N)
    DRT_TIMELINE=1 stdbuf -oL "$B/darkrt" detect "$W/yf.plan" "$dir" --pre gpu --post gpu --decode "$dec" --batch 32 -t 0.25 \
        --no-draw --json "$W/$name.json" >"$W/$name.out" 2>"$d/err.txt" & local pid=$!
    for s in $(seq 1 25); do
        sleep 1
        kill -0 $pid 2>/dev/null || break
        echo "$s s: $(wc -l <"$W/$name.out") lines" >>"$d/progress.txt"
    done
    if kill -0 $pid 2>/dev/null; then
        for t in /proc/$pid/task/*; do
            echo "$(basename "$t") $(cat "$t/comm") $(awk '{print $3}' "$t/stat") wchan=$(cat "$t/wchan" 2>/dev/null) $(tr '\0' ' ' <"$t/syscall" 2>/dev/null | cut -c1-40)"
        done >"$d/threads.txt"
        command -v gdb >/dev/null && timeout 20 gdb -p $pid -batch -ex "thread apply all bt 12" >"$d/gdb.txt" 2>&1
        nvidia-smi >"$d/nvidia-smi.txt" 2>&1
        kill -9 $pid
        el "$name: STILL RUNNING at 25 s: $(wc -l <"$W/$name.out") lines; threads: $(awk '{print $3}' "$d/threads.txt" | sort | uniq -c | tr '\n' ' ')"
    else
        wait $pid; local rc=$?
        el "$name: rc=$rc in $(awk "BEGIN{print $(date +%s.%N) - $t0}") s, $(wc -l <"$W/$name.out") lines"
    fi
    tail -5 "$W/$name.out" >"$d/out-tail.txt"
}
run gpu24000 "$ALL" gpu
run cpu24000 "$ALL" cpu
run gpulast8000 "$W/last" gpu
el done
