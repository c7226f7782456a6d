#!/usr/bin/env bash
# A stateful model (tests/alexeyab/crnn.cfg: [crnn], recurrent) through darkrt's CLI: inspect says it is stateful,
# detect runs the images as one sequence in input order on one run state whatever the workers, threads and batch
# (the last image's boxes differ from the same image alone: the state carried), a folder, the images named after a
# folder and each video start a sequence of their own (two videos run one after another), compare's engines agree (each run
# from a zero state), and ONNX export refuses it by name. Its boxes against AlexeyAB's on the same sequence: tests/cli/alexeyab.sh.
source "$(dirname "$0")/../lib.sh"
D=/usr/share/darknet/data
[ -f "$D/dog.jpg" ] || skip "Darknet's sample images not found"
CFG="$DRT_ROOT/tests/alexeyab/crnn.cfg"
"$DARKRT" synth "$CFG" -o "$TMP/w.weights" --seed 3 >/dev/null || fail "synth"
"$DARKRT" inspect "$CFG" 2>/dev/null | grep -q '^stateful: yes' && ok "inspect: stateful" || fail "inspect does not say stateful"
"$DARKRT" inspect "$CFG" >"$TMP/inspect.txt" 2>&1
n=$(grep -cE '^ +[0-9]+  crnn (conv|state|sum) ' "$TMP/inspect.txt")
[ "$n" = 10 ] && ok "inspect: the two [crnn] sections' 10 layers" || fail "inspect: $n crnn rows, not 10"
"$DARKRT" inspect "$FASTEST_CFG" 2>/dev/null | grep -q '^stateful' && fail "inspect: yolo-fastest called stateful" || ok "inspect: yolo-fastest is not stateful"
imgs=("$D/dog.jpg" "$D/person.jpg" "$D/horses.jpg")
run() { # NAME ARGS...: detect's JSON into $TMP/NAME.json, its summary into $TMP/NAME.out
    local name=$1; shift
    "$DARKRT" detect "$CFG" --weights "$TMP/w.weights" --no-draw --json "$TMP/$name.json" "$@" >"$TMP/$name.out" 2>&1 ||
        fail "detect $name: $(tail -n 1 "$TMP/$name.out")"
}
run one --workers 1 --threads 1 --batch 1 "${imgs[@]}"
grep -q '^model: stateful' "$TMP/one.out" && ok "detect says the images are one sequence" || fail "detect: no stateful line"
# a one-thread CPU engine with several workers would run the images on the workers' contexts (worker_engines)
run workers --workers 3 --threads 1 "${imgs[@]}"
run batch3 --workers 2 --threads 2 --batch 3 "${imgs[@]}"
for r in workers batch3; do
    cmp -s <(grep -v timing_ms "$TMP/one.json") <(grep -v timing_ms "$TMP/$r.json") && ok "$r: the same boxes as one worker, batch 1" || fail "$r: boxes differ from one worker, batch 1"
done
run alone "${imgs[2]}"
n_seq=$(grep -c '"class_id"' "$TMP/one.json")
python3 - "$TMP/one.json" "$TMP/alone.json" <<'PY' && ok "horses after dog and person differ from horses alone (state carried)" || fail "horses: the sequence changed nothing"
import json, sys
seq, alone = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
sys.exit(0 if seq[2]["detections"] != alone[0]["detections"] and seq[2]["image"] == alone[0]["image"] else 1)
PY
[ "$n_seq" -gt 0 ] && ok "$n_seq boxes in the sequence" || fail "no boxes: the comparison proves nothing"
# a new source starts a sequence from zeros: a folder, the images named after a folder, and each video
mkdir -p "$TMP/d1" "$TMP/d2"
ln -s "${imgs[0]}" "$TMP/d1/a.jpg" && ln -s "${imgs[1]}" "$TMP/d1/b.jpg" && ln -s "${imgs[2]}" "$TMP/d2/c.jpg" || fail "links"
run dirs "$TMP/d1" "$TMP/d2"
run dir_file "$TMP/d1" "${imgs[2]}"
python3 - "$TMP/dirs.json" "$TMP/dir_file.json" "$TMP/one.json" "$TMP/alone.json" <<'PY' && ok "a folder and the images named after a folder start from zeros; a folder's images carry the state" || fail "folders: not sequences of their own"
import json, sys
dirs, dir_file, seq, alone = (json.load(open(p)) for p in sys.argv[1:])
assert dirs[2]["detections"] == alone[0]["detections"] == dir_file[2]["detections"], "the second source's boxes"
assert dirs[1]["detections"] == seq[1]["detections"] == dir_file[1]["detections"], "the first folder's second image"
PY
grep -q 'each folder, and each run of images named one after another, is a sequence' "$TMP/dirs.out" &&
    ok "detect says what a sequence is" || fail "detect: $(grep stateful "$TMP/dirs.out")"
if command -v ffmpeg >/dev/null; then
    FF=(ffmpeg -nostdin -v error -y)
    for k in 0 1 2; do "${FF[@]}" -i "${imgs[$k]}" -vf scale=320:240 "$TMP/f$k.png" || fail "ffmpeg png"; done
    "${FF[@]}" -framerate 5 -i "$TMP/f%d.png" -c:v mjpeg -q:v 4 -pix_fmt yuvj420p "$TMP/a.avi" || fail "a.avi"
    "${FF[@]}" -framerate 5 -start_number 1 -i "$TMP/f%d.png" -c:v mjpeg -q:v 4 -pix_fmt yuvj420p "$TMP/b.avi" || fail "b.avi"
    for v in ab b; do
        files=("$TMP/b.avi"); [ $v = ab ] && files=("$TMP/a.avi" "$TMP/b.avi")
        "$DARKRT" detect "$CFG" --weights "$TMP/w.weights" --json "$TMP/$v.jsonl" "${files[@]}" >"$TMP/$v.out" 2>&1 ||
            fail "detect on video $v: $(tail -n 1 "$TMP/$v.out")"
    done
    python3 - "$TMP/ab.jsonl" "$TMP/b.jsonl" "$TMP/b.avi" <<'PY' && ok "two videos: one after another, the second from zeros (its boxes those of it alone)" || fail "two videos: $(cat "$TMP/ab.out")"
import json, sys
ab, b = ([json.loads(l) for l in open(p)] for p in sys.argv[1:3])
src = [l["source"] for l in ab]
assert len(ab) == 5 and src == sorted(src, key=lambda s: s == sys.argv[3]), src  # a's 3 frames, then b's 2
second = [l["detections"] for l in ab if l["source"] == sys.argv[3]]
assert len(b) == 2 and second == [l["detections"] for l in b]
assert ab[1]["detections"] != b[0]["detections"], "person after dog in a.avi is person alone: the state proves nothing"
PY
fi
# compare runs each image warm-up + runs times (2 + 10): each run from a zero state, so the engines see the same
# (without the reset the repeated runs grew shortcut=1's state and the cpu engine matched 550 of ref's 1958 boxes)
"$DARKRT" compare "$CFG" --weights "$TMP/w.weights" "${imgs[@]:0:2}" --engines ref,cpu-fp32 \
    >"$TMP/compare.md" 2>&1 || fail "compare: $(tail -n 1 "$TMP/compare.md")"
grep -qE '^\| matched / missing / extra vs ref \| \(reference\) \| [1-9][0-9]* / 0 / 0 \|' "$TMP/compare.md" &&
    ok "compare: the cpu engine matches every box of ref's" || fail "compare: $(grep 'matched /' "$TMP/compare.md")"
expect_error "convert refuses it" "\[crnn\]: not exported to ONNX \(recurrent" "$DARKRT" convert "$CFG" --weights "$TMP/w.weights" -o "$TMP/m.onnx"
[ -e "$TMP/m.onnx" ] && fail "convert wrote m.onnx" || ok "convert wrote nothing"
finish
