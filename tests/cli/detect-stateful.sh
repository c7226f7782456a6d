#!/usr/bin/env bash
# A stateful model (tests/alexeyab/crnn.cfg: [crnn], recurrent) through darkrt's CLI: inspect says it is stateful,
# detect runs the images as one sequence in input order on one run state whatever the workers, threads and batch
# (the last image's boxes differ from the same image alone: the state carried), compare's engines agree (each run
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
# compare runs each image warm-up + runs times (2 + 10): each run from a zero state, so the engines see the same
# (without the reset the repeated runs grew shortcut=1's state and the cpu engine matched 550 of ref's 1958 boxes)
"$DARKRT" compare "$CFG" --weights "$TMP/w.weights" "${imgs[@]:0:2}" --engines ref,cpu-fp32 \
    >"$TMP/compare.md" 2>&1 || fail "compare: $(tail -n 1 "$TMP/compare.md")"
grep -qE '^\| matched / missing / extra vs ref \| \(reference\) \| [1-9][0-9]* / 0 / 0 \|' "$TMP/compare.md" &&
    ok "compare: the cpu engine matches every box of ref's" || fail "compare: $(grep 'matched /' "$TMP/compare.md")"
expect_error "convert refuses it" "\[crnn\]: not exported to ONNX \(recurrent" "$DARKRT" convert "$CFG" --weights "$TMP/w.weights" -o "$TMP/m.onnx"
[ -e "$TMP/m.onnx" ] && fail "convert wrote m.onnx" || ok "convert wrote nothing"
finish
