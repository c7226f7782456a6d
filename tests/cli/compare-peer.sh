#!/usr/bin/env bash
# darkrt compare --peer-json: a peer identical to the reference agrees perfectly; a peer with one
# box shifted and one dropped shows the IoU, the missing box and the mAP worked out here by hand.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "darkrt is not built"
[ -f "$FASTEST_WEIGHTS" ] || skip "no yolo-fastest-1.1 weights"
"$DARKRT" compare "$FASTEST_CFG" "$DN_DATA/dog.jpg" --weights "$FASTEST_WEIGHTS" --engines ref --runs 1 --warmup 0 \
    --json "$TMP/ref.json" >/dev/null 2>"$TMP/err" || { fail "compare: $(cat "$TMP/err")"; finish; exit 1; }
# Peers made from the reference's own entry. The shifted box moves right by a tenth of its width:
# IoU = 0.9 w h / (1.1 w h) = 9/11. The dropped box is the reference's lowest-scoring one of a class
# with only that box, so that class's AP is 0 and the others' are 1.
python3 - "$TMP" <<'PY' || fail "making peers"
import copy, json, sys
tmp = sys.argv[1]
ref = json.load(open(f"{tmp}/ref.json"))["engines"][0]
dets = ref["images"][0]["detections"]
assert len(dets) >= 3, dets
same = copy.deepcopy(ref); same["engine"] = "same"; same["kind"] = "peer"
json.dump(same, open(f"{tmp}/same.json", "w"))
off = copy.deepcopy(ref); off["engine"] = "off"
off["images"][0]["image"] = "elsewhere/dog.jpg"   # a peer run from another directory: matched by file name
d = off["images"][0]["detections"]
b = d[0]["box"]; dx = (b["x2"] - b["x1"]) / 10; b["x1"] += dx; b["x2"] += dx
classes = [x["class_id"] for x in dets]
single = [i for i, x in enumerate(dets) if classes.count(x["class_id"]) == 1 and i != 0]
drop = single[-1]
del d[drop]
n_cls = len(set(classes))
expect = {"map": (n_cls - 1) / n_cls, "iou": (len(dets) - 2 + 9 / 11) / (len(dets) - 1), "n": len(dets)}
json.dump(expect, open(f"{tmp}/expect.json", "w"))
json.dump([off], open(f"{tmp}/off.json", "w"))   # an array of entries is accepted too
PY
out=$("$DARKRT" compare "$FASTEST_CFG" "$DN_DATA/dog.jpg" --weights "$FASTEST_WEIGHTS" --engines ref --runs 1 \
      --warmup 0 --peer-json "$TMP/same.json" --peer-json "$TMP/off.json" --json "$TMP/all.json" 2>"$TMP/err") \
    || fail "compare with peers: $(cat "$TMP/err")"
echo "$out"
python3 - "$TMP" <<'PY' || fail "agreement figures"
import json, sys
tmp = sys.argv[1]
r = {e["engine"]: e for e in json.load(open(f"{tmp}/all.json"))["engines"]}
x = json.load(open(f"{tmp}/expect.json"))
s, o = r["same"]["agreement"], r["off"]["agreement"]
assert (s["matched"], s["missing"], s["extra"]) == (x["n"], 0, 0), s
assert s["mean_iou"] == 1 and s["max_score_delta"] == 0 and s["map50"] == 1, s
assert (o["matched"], o["missing"], o["extra"]) == (x["n"] - 1, 1, 0), o
assert abs(o["mean_iou"] - x["iou"]) < 1e-5, (o["mean_iou"], x["iou"])
assert abs(o["map50"] - x["map"]) < 1e-6, (o["map50"], x["map"])
print("agreement ok:", s, o)
PY
grep -q "^| matched / missing / extra vs ref | (reference) | .* | .* |" <<<"$out" || fail "agreement row in the table"
finish
