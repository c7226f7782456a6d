#!/usr/bin/env bash
# darkrt detect on the pipeline, yolo-fastest-1.1 CPU engine: the same boxes with 1 worker and
# batch 1 as with 3 workers (each running the engine: the default for several images; by default one a core
# and one more) and as
# batches of 4 on one thread with 2 engine threads (every box), fewer of them running the engine within
# --max-activations (the engine line's count), an empty folder, a batch larger than the
# folder, unreadable files in the middle, --no-draw, JSON only for one image draws nothing,
# -o DIR keeps same-named images apart, --max-det, a CPU plan without --device (device said), --decode,
# OpenMP's passive waiting, and SIGINT mid-folder leaving complete outputs only.
# With DRT_TIMELINE, a progress line each second.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no darkrt in $DRT_BUILD"
[ -f "$FASTEST_CFG" ] && [ -f "$FASTEST_WEIGHTS" ] || skip "yolo-fastest-1.1 not found (DRT_SHARED)"
M=("$FASTEST_CFG" --weights "$FASTEST_WEIGHTS")
PY=python3

# A folder: the samples, and two bad files in the middle (sorted by name: between dog and eagle).
mkdir -p "$TMP/in/a" "$TMP/in/b" "$TMP/empty"
cp "$DN_DATA"/{dog,eagle,giraffe,horses,kite,person}.jpg "$TMP/in/a/"
printf 'not an image' >"$TMP/in/a/dz-bad.jpg"
head -c 3000 "$DN_DATA/dog.jpg" >"$TMP/in/a/dz-truncated.jpg"
cp "$DN_DATA/dog.jpg" "$TMP/in/b/dog.jpg"

# A plan fixes the engine's choices (a cfg is tuned at each start: Winograd or not, last bits may differ).
"$DARKRT" build "${M[@]}" --device cpu -o "$TMP/f.plan" >/dev/null 2>&1 || fail "build a CPU plan"
"$DARKRT" detect "$TMP/f.plan" "$TMP/in/a" --workers 1 --batch 1 --no-draw --json "$TMP/serial.json" >/dev/null 2>"$TMP/err1"
rc1=$?
"$DARKRT" detect "$TMP/f.plan" "$TMP/in/a" --workers 3 --batch 4 --no-draw --json "$TMP/piped.json" >"$TMP/out2" 2>"$TMP/err2"
rc2=$?
"$DARKRT" detect "$TMP/f.plan" "$TMP/in/a" --workers 2 --batch 4 --threads 2 --no-draw --json "$TMP/batched.json" >"$TMP/out3" 2>"$TMP/err3"
rc3=$?
[ $rc1 -eq 1 ] && [ $rc2 -eq 1 ] && [ $rc3 -eq 1 ] || fail "a folder with 2 bad files: exits $rc1, $rc2 and $rc3, expected 1"
grep -q '^engine: cpu fp32 (from the plan), one image a run on each of 3 workers' "$TMP/out2" || fail "no engine line: $(head -1 "$TMP/out2")"
grep -q '^engine: cpu fp32 (from the plan), batch 4, 2 workers' "$TMP/out3" || fail "no engine line: $(head -1 "$TMP/out3")"
$PY - "$TMP/serial.json" "$TMP/piped.json" "$TMP/batched.json" <<'PY' && ok "pipeline with 1 worker at batch 1, 3 workers running the engine, 2 workers at batch 4: every box the same, failures in place (pipeline against no pipeline: unit/pipeline-same-boxes)" || fail "the 1-worker, 3-worker and batch-4 pipeline runs differ"
import json, sys
a, b, c = (json.load(open(p)) for p in sys.argv[1:4])
names = [x["image"].rsplit("/", 1)[1] for x in b]
assert names == ["dog.jpg", "dz-bad.jpg", "dz-truncated.jpg", "eagle.jpg", "giraffe.jpg", "horses.jpg",
                 "kite.jpg", "person.jpg"], names
assert ["error" in x for x in b] == [False, True, True] + [False] * 5
assert "unknown image format" in b[1]["error"] and "truncated" in b[2]["error"], b[1:3]
strip = lambda r: [{k: v for k, v in x.items() if k != "timing_ms"} for x in r]
assert strip(a) == strip(b) == strip(c)  # every box, printed the same
assert sum(len(x.get("detections", [])) for x in b) >= 20
PY
ls "$TMP"/*.png bboxes.png >/dev/null 2>&1 && fail "--no-draw drew something"

# Workers running a CPU engine by default: one a core and one more (the cores' fair share goes per thread).
want=$(( $(nproc) + 1 ))
out=$("$DARKRT" detect "$TMP/f.plan" "$TMP/in/a" --no-draw 2>&1)
grep -q "^engine: cpu fp32 (from the plan), one image a run on each of $want workers" <<<"$out" &&
    ok "default workers on a CPU engine: $want ($(nproc) cores and one)" || fail "default workers: $(head -1 <<<"$out")"

# Fewer contexts than workers fit --max-activations (2.9 MiB each here, the engine's own included): the engine
# line gives the count that runs the engine, as the pipeline's warning does, not the workers'.
out=$("$DARKRT" detect "$TMP/f.plan" "$TMP/in/a" --workers 4 --max-activations 10 --no-draw 2>&1)
k=$(sed -n 's/.*the engine runs on \([0-9]*\) of 4 workers at a time.*/\1/p' <<<"$out")
[ -n "$k" ] && [ "$k" -ge 1 ] && [ "$k" -lt 4 ] &&
    grep -q "^engine: cpu fp32 (from the plan), one image a run on $k of 4 workers at a time" <<<"$out" &&
    ok "--max-activations 10: the engine line says $k of 4 workers run the engine" ||
    fail "--max-activations 10: $(grep -E '^engine|workers at a time' <<<"$out")"

# --decode: the GPU's JPEG decoder needs a CUDA engine with --pre gpu; auto takes the CPU's here.
expect_error "--decode gpu, CPU engine" "GPU image decode needs pre on a device" \
    "$DARKRT" detect "$TMP/f.plan" "$TMP/in/b" --decode gpu --no-draw
expect_error "--decode x" "decode x: must be cpu, gpu, auto, fast or mixed" "$DARKRT" detect "$TMP/f.plan" "$TMP/in/b" --decode x
expect_error "--decode fast, drawing" "fast decode keeps no full-size pixels" \
    "$DARKRT" detect "$TMP/f.plan" "$DN_DATA/dog.jpg" --decode fast -o "$TMP/fast.png"
out=$("$DARKRT" detect "$TMP/f.plan" "$TMP/in/b" --decode auto --no-draw 2>&1)
grep -q ': 65%' <<<"$out" && ! grep -q 'JPEG decode on the gpu' <<<"$out" && ok "--decode auto on a CPU engine: the CPU's" \
    || fail "--decode auto on a CPU engine: $out"

# Batch larger than the folder, one image with JSON only (nothing drawn), --max-det.
(cd "$TMP" && "$DARKRT" detect "${M[@]}" "$DN_DATA/dog.jpg" --batch 16 --max-det 2 --json one.json >/dev/null 2>&1) \
    || fail "one image, batch 16: failed"
[ -e "$TMP/bboxes.png" ] && fail "one image with --json only: bboxes.png drawn anyway"
$PY -c 'import json,sys; a=json.load(open(sys.argv[1])); assert len(a)==1 and len(a[0]["detections"])==2, a' \
    "$TMP/one.json" && ok "batch 16 > 1 image; --max-det 2; no bboxes.png for JSON only" || fail "--max-det 2: $(cat "$TMP/one.json")"

# An empty folder: nothing to read, said in one line.
expect_error "empty folder" 'no images to read' "$DARKRT" detect "${M[@]}" "$TMP/empty"

# -o DIR keeps each input's path below the common directory: in/a/dog.jpg and in/b/dog.jpg differ.
"$DARKRT" detect "${M[@]}" "$TMP/in/a/dog.jpg" "$TMP/in/b/dog.jpg" -o "$TMP/drawn" >/dev/null 2>&1 || fail "-o DIR failed"
[ -s "$TMP/drawn/a/dog.png" ] && [ -s "$TMP/drawn/b/dog.png" ] && ok "-o DIR: a/dog.png and b/dog.png" \
    || fail "-o DIR: same-named images collide: $(cd "$TMP/drawn" && find . -type f)"

# A CPU plan runs without --device and says where it ran; a contradicting --device is refused.
out=$("$DARKRT" detect "$TMP/f.plan" "$DN_DATA/dog.jpg" --no-draw 2>&1) || fail "plan without --device: $out"
grep -q '^engine: cpu fp32 (from the plan)' <<<"$out" && grep -q ": 65%" <<<"$out" && ok "CPU plan: device from the plan" \
    || fail "CPU plan: $out"
expect_error "plan with another device" 'a cpu plan: --device ref does not match' \
    "$DARKRT" detect "$TMP/f.plan" "$DN_DATA/dog.jpg" --device ref --no-draw

# The program's OpenMP spins 10000 rounds, then sleeps (long spinning collapses on a shared machine,
# sleeping at once costs a wake-up per layer: cli/omp-wait.c); a user's own OMP_WAIT_POLICY is kept.
# libgomp shows 'PASSIVE' for an unset policy too: its spin count (300000 by default) says what it does.
OMP_DISPLAY_ENV=verbose "$DARKRT" --help 2>&1 | grep -q "GOMP_SPINCOUNT = '10000'" \
    || fail "OpenMP spins: $(OMP_DISPLAY_ENV=verbose "$DARKRT" --help 2>&1 | grep SPINCOUNT)"
OMP_WAIT_POLICY=active OMP_DISPLAY_ENV=true "$DARKRT" --help 2>&1 | grep -q "OMP_WAIT_POLICY = 'ACTIVE'" \
    && ok "OpenMP spins 10000 rounds, then sleeps, unless the user says otherwise" || fail "the user's OMP_WAIT_POLICY=active was overridden"

# SIGINT mid-folder: exit 130, every PNG written is complete, no temporaries, no JSON.
mkdir -p "$TMP/many"
for i in $(seq 1 40); do for n in dog horses person; do ln -s "$DN_DATA/$n.jpg" "$TMP/many/$n-$i.jpg"; done; done
"$DARKRT" detect "${M[@]}" "$TMP/many" --batch 2 --workers 1 -o "$TMP/many-out" --json "$TMP/many.json" >/dev/null 2>"$TMP/int-err" &
pid=$!
for _ in $(seq 1 300); do [ "$(ls "$TMP/many-out" 2>/dev/null | wc -l)" -ge 3 ] && break; sleep 0.05; done
kill -INT $pid
wait $pid; rc=$?
n=$(ls "$TMP/many-out" | grep -c '\.png$')
[ $rc -eq 130 ] || fail "SIGINT: exit $rc, expected 130 ($(cat "$TMP/int-err"))"
[ "$n" -ge 3 ] && [ "$n" -lt 120 ] || fail "SIGINT: $n PNGs: expected an interrupted run"
[ -e "$TMP/many.json" ] && fail "SIGINT: the JSON was written for an interrupted run"
[ -z "$(ls -A "$TMP/many-out" | grep -v '\.png$')" ] || fail "SIGINT: temporaries left: $(ls -A "$TMP/many-out")"
grep -q 'interrupted after' "$TMP/int-err" || fail "SIGINT: no message: $(cat "$TMP/int-err")"
$PY - "$TMP/many-out" <<'PY' && ok "SIGINT: exit 130, $n complete PNGs, no JSON, no temporaries" || fail "SIGINT: an incomplete PNG"
import sys, os, zlib, struct
for f in os.listdir(sys.argv[1]):
    d = open(os.path.join(sys.argv[1], f), 'rb').read()
    assert d[:8] == b'\x89PNG\r\n\x1a\n' and d[-12:-8] == b'\0\0\0\0' and d[-8:-4] == b'IEND', f
    w, h = struct.unpack('>II', d[16:24])
    data, i = b'', 8
    while i < len(d):
        n, t = struct.unpack('>I4s', d[i:i + 8]); i += 8
        if t == b'IDAT': data += d[i:i + n]
        i += n + 4
    assert len(zlib.decompress(data)) == h * (1 + 3 * w), f
PY

# DRT_CLI_FAST_EXIT (a debug switch): =all ends the process once every output is committed, without freeing
# (the default, and =1, do so for device engines only: this CPU run frees as usual); the outputs and exit
# code are the same.
args=("$TMP/f.plan" "$TMP/in/a" --workers 3 --batch 4 -o "$TMP/png-base" --json "$TMP/base.json" --save-txt "$TMP/txt-base")
"$DARKRT" detect "${args[@]}" >"$TMP/base.out" 2>/dev/null
rcb=$?
for v in all 1; do
    DRT_TIMELINE=1 DRT_CLI_FAST_EXIT=$v "$DARKRT" detect "${args[@]/base/$v}" >"$TMP/$v.out" 2>"$TMP/$v.err"
    echo $? >"$TMP/$v.rc"
done
fast=$(grep -c 'detect: fast exit' "$TMP/all.err"; grep -c 'detect: fast exit' "$TMP/1.err")
[ "$rcb" -eq 1 ] && [ "$(cat "$TMP/all.rc")" -eq 1 ] && [ "$(cat "$TMP/1.rc")" -eq 1 ] || fail "fast exit: exits $rcb, $(cat "$TMP/all.rc"), $(cat "$TMP/1.rc"): expected 1 (2 bad files)"
[ "$fast" = "$(printf '1\n0')" ] && grep -q 'main: detect done' "$TMP/1.err" && ! grep -q 'main: detect done' "$TMP/all.err" ||
    fail "fast exit: =all should end in detect, =1 on a CPU engine free and return ($(echo $fast))"
diff -r "$TMP/txt-base" "$TMP/txt-all" >/dev/null && diff -r "$TMP/png-base" "$TMP/png-all" >/dev/null ||
    fail "fast exit: the label files or PNGs differ"
sed 's/ in [0-9.]* ms (.*//' "$TMP/base.out" >"$TMP/base.sum"; sed 's/ in [0-9.]* ms (.*//' "$TMP/all.out" >"$TMP/all.sum"
cmp -s "$TMP/base.sum" "$TMP/all.sum" || fail "fast exit: the summaries differ: $(diff "$TMP/base.sum" "$TMP/all.sum" | head -3)"
$PY - "$TMP/base.json" "$TMP/all.json" "$TMP/1.json" <<'PY' && ok "DRT_CLI_FAST_EXIT=all: the same JSON, labels, PNGs, summary and exit code, no frees; =1 on a CPU engine frees" || fail "fast exit: the JSON differs"
import json, sys
strip = lambda r: [{k: v for k, v in x.items() if k != "timing_ms"} for x in r]
a, b, c = (strip(json.load(open(p))) for p in sys.argv[1:4])
assert len(a) == 8 and a == b == c
PY

# DRT_TIMELINE's ticker: while detect runs, a line each second with the results so far (a run that stalls shows when
# and at which image; session 18's device runs killed at their limit said nothing past their first result). 300
# links to one photo at one worker and one thread: seconds of work anywhere.
mkdir -p "$TMP/ticks"
for i in $(seq -w 1 300); do ln -s "$(readlink -f "$DN_DATA/dog.jpg")" "$TMP/ticks/$i.jpg"; done
t0=$(date +%s.%N)
DRT_TIMELINE=1 "$DARKRT" detect "$TMP/f.plan" "$TMP/ticks" --workers 1 --threads 1 --no-draw >/dev/null 2>"$TMP/tick.err"
rct=$?
wall=$(awk "BEGIN{print $(date +%s.%N) - $t0}")
$PY - "$TMP/tick.err" "$wall" "$rct" <<'PY' && ok "DRT_TIMELINE ticker: a line a second (run of $wall s), counts rising to at most 300" || fail "the ticker: $(grep -c 'results$' "$TMP/tick.err") lines in $wall s (exit $rct)"
import re, sys
counts = [int(m.group(1)) for m in re.finditer(r'detect: (\d+) of 300 results', open(sys.argv[1]).read())]
wall, rc = float(sys.argv[2]), int(sys.argv[3])
assert rc == 0 and wall >= 1.5, (rc, wall)  # the run itself must be long enough to tick
assert len(counts) >= max(1, int(wall) - 2) and len(counts) <= int(wall) + 1, (len(counts), wall)
assert counts == sorted(counts) and all(0 <= c <= 300 for c in counts), counts
PY
finish
