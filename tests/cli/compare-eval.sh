#!/usr/bin/env bash
# darkrt eval on two JSON files of detections: identical sets score mAP 1; a set with one of two
# dogs missing and a cat found as a dog scores what is worked out by hand.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "darkrt is not built"
box() { printf '{"class_id": %d, "label": null, "score": %s, "box": {"x1": %s, "y1": %s, "x2": %s, "y2": %s}}' "$@"; }
ref="[{\"image\": \"a.jpg\", \"width\": 100, \"height\": 100, \"detections\": [$(box 16 0.9 0 0 10 10), $(box 16 0.8 20 0 30 10)]},
      {\"image\": \"b.jpg\", \"width\": 100, \"height\": 100, \"detections\": [$(box 15 0.7 0 0 50 50)]}]"
echo "$ref" >"$TMP/ref.json"
out=$("$DARKRT" eval "$TMP/ref.json" "$TMP/ref.json" --json "$TMP/same.json") || fail "eval identical exited $?"
echo "$out"
grep -q "mAP@0.5 1.0000 over 2 classes" <<<"$out" || fail "identical sets: mAP 1 over 2 classes"
grep -q "matched 3  missing 0  extra 0  mean IoU 1.0000  largest score change 0.0000" <<<"$out" || fail "identical sets: counts"
# Engine: the first dog found at 0.85 with its box shifted 2 px right (IoU 8x10 / (2*100 - 80) = 2/3),
# the second dog missing; in b.jpg the cat reported as a dog (class mismatch: not matched).
# dog AP: one true positive at precision 1 reaching recall 1/2 -> 0.5; cat AP 0 -> mAP 0.25.
eng="{\"image\": \"a.jpg\", \"detections\": [$(box 16 0.85 2 0 12 10)]}
     {\"image\": \"dir/b.jpg\", \"detections\": [$(box 16 0.7 0 0 50 50)]}"
echo "$eng" >"$TMP/eng.json"   # JSON Lines, and b.jpg found by its base name
out=$("$DARKRT" eval "$TMP/ref.json" "$TMP/eng.json" --json "$TMP/r.json") || fail "eval exited $?"
echo "$out"
python3 - "$TMP/r.json" <<'PY' || fail "eval figures"
import json, sys
r = json.load(open(sys.argv[1]))
assert (r["images"], r["matched"], r["missing"], r["extra"]) == (2, 1, 2, 1), r
assert abs(r["mean_iou"] - 2 / 3) < 1e-6 and abs(r["max_score_delta"] - 0.05) < 1e-6, r
assert abs(r["map"] - 0.25) < 1e-9 and r["classes"] == 2, r
print("ok")
PY
"$DARKRT" eval "$TMP/ref.json" "$TMP/eng.json" --min-map 0.5 >/dev/null 2>"$TMP/err"
[ $? -eq 1 ] && grep -q "below --min-map" "$TMP/err" || fail "--min-map 0.5 must fail at mAP 0.25"
finish
