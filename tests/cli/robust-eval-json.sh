#!/usr/bin/env bash
# eval's JSON inputs are hostile too (issue 19 item 4 and the eval bullet): a reference class_id of
# 2147483647 or 2e9 is one class, scored at once (it was a loop over the id range: never finished or
# 11 s), 1e10 or 1.5 is refused with one line, and eval without arguments points to its own help.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no $DARKRT"
refs() { # CLASS_ID FILE: one image, two boxes of that class
    printf '{"image": "a.jpg", "width": 100, "height": 100, "detections": [
  {"class_id": %s, "label": "x", "score": 0.9, "box": {"x1": 10, "y1": 10, "x2": 50, "y2": 50}},
  {"class_id": %s, "label": "x", "score": 0.8, "box": {"x1": 60, "y1": 60, "x2": 90, "y2": 90}}]}\n' "$1" "$1" > "$2"
}
for id in 2147483647 2e9 7; do
    refs $id "$TMP/ref.json"; refs $id "$TMP/eng.json"
    start=$(date +%s)
    timeout 30 "$DARKRT" eval "$TMP/ref.json" "$TMP/eng.json" --json "$TMP/out.json" >"$TMP/log" 2>&1; rc=$?
    secs=$(( $(date +%s) - start ))
    if [ $rc -ne 0 ]; then fail "class_id $id: rc=$rc after ${secs}s: $(tail -n 2 "$TMP/log")"
    elif python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(0 if m["map"] == 1 and m["classes"] == 1 else 1)' "$TMP/out.json"; then
        ok "class_id $id: scored in ${secs}s, mAP 1 over 1 class"
    else fail "class_id $id: mAP is not 1: $(cat "$TMP/log" | head -n 5)"; fi
done
for id in 1e10 1.5 -3; do
    refs $id "$TMP/ref.json"; refs 0 "$TMP/eng.json"
    expect_error "class_id $id refused" 'class_id' timeout 30 "$DARKRT" eval "$TMP/ref.json" "$TMP/eng.json"
done
expect_error "eval without arguments" 'darkrt eval --help' "$DARKRT" eval
finish
