#!/usr/bin/env bash
# darkrt compare on dog.jpg: the table, the JSON (every engine ran or says why it could not),
# and a self-contained HTML report (embedded PNGs and inline SVG, nothing fetched).
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "darkrt is not built"
[ -f "$FASTEST_WEIGHTS" ] || skip "no yolo-fastest-1.1 weights"
out=$("$DARKRT" compare "$FASTEST_CFG" "$DN_DATA/dog.jpg" --weights "$FASTEST_WEIGHTS" --names "$COCO_NAMES" \
      --engines ref,cpu-fp32,cuda-fp16 --runs 2 --warmup 1 --json "$TMP/c.json" --html "$TMP/c.html" 2>"$TMP/err")
rc=$?
echo "$out"
# Exit 1 is right when an engine failed (it says so in the table); anything else is not.
if [ $rc -ne 0 ] && ! { [ $rc -eq 1 ] && grep -q "^| preprocess ms.* failed |" <<<"$out"; }; then
    fail "compare exited $rc: $(tail -5 "$TMP/err")"
fi
grep -q "failed:" <<<"$out" && echo "note: $(grep "failed:" <<<"$out")"
for row in "preprocess ms" "inference ms" "postprocess ms" "top confidence" "peak host RSS" "mAP@0.5 vs ref"; do
    grep -q "^| $row" <<<"$out" || fail "table has no '$row' row"
done
grep -q "^|  | ref (reference) | cpu-fp32 | cuda-fp16 |" <<<"$out" || fail "table header: one column per engine"
python3 - "$TMP/c.json" <<'PY' || fail "JSON report"
import json, sys
r = json.load(open(sys.argv[1]))
names = [e["engine"] for e in r["engines"]]
assert names == ["ref", "cpu-fp32", "cuda-fp16"], names
assert r["reference"] == "ref" and r["input"] == {"width": 320, "height": 320}
ref = r["engines"][0]
assert ref["available"] and not ref["failed"], ref
# AlexeyAB's Darknet finds a dog at 65% on dog.jpg with this model (stretch, greedynms: tests/cli/alexeyab.sh;
# Debian's finds it at 61% with letterbox and IoU NMS, darkrt's --bn pjreddie).
dogs = [d for d in ref["images"][0]["detections"] if d["label"] == "dog"]
assert dogs and abs(dogs[0]["score"] - 0.65) < 0.02, dogs
for e in r["engines"]:
    if e["failed"]:
        assert e["reason"], e   # a failed engine says why; its numbers are absent
    elif e["available"]:
        t = e["timing_ms"]
        assert all(0 < t[s]["median"] <= t[s]["p90"] for s in ("preprocess", "inference", "postprocess")), t
        assert e["peak_rss_bytes"] > 1 << 20, e["peak_rss_bytes"]
        if e["engine"] != "ref":   # darkrt engines compare their raw heads with the reference's
            assert e["heads_vs_reference"]["images"] == 1, e.get("heads_vs_reference")
            assert e["agreement"]["reference_detections"] == len(ref["images"][0]["detections"]), e["agreement"]
    else:
        assert e["reason"], e
print("json ok:", [(e["engine"], e["available"]) for e in r["engines"]])
PY
grep -q 'src="data:image/png;base64,' "$TMP/c.html" || fail "HTML has no embedded PNG"
[ "$(grep -o '<svg' "$TMP/c.html" | wc -l)" -ge 2 ] || fail "HTML has fewer than 2 SVG charts"
if grep -oE '(src|href)="[^"]*"' "$TMP/c.html" | grep -v '="data:' | grep -q .; then
    fail "HTML loads something from outside: $(grep -oE '(src|href)="[^"]*"' "$TMP/c.html" | grep -v '="data:' | head -3)"
fi
# Headless Chromium renders it (scripts/screenshot-report.sh): a blank or broken page compresses to a
# few KB; the table, charts and photos take hundreds.
if command -v chromium >/dev/null; then
    bash "$DRT_ROOT/scripts/screenshot-report.sh" "$TMP/c.html" "$TMP/shot.png" 1280x1300 || fail "screenshot script"
    size=$(stat -c %s "$TMP/shot.png" 2>/dev/null || echo 0)
    [ "$size" -gt 150000 ] || fail "screenshot of the report is only $size bytes"
    ok "chromium rendered the report ($size bytes of PNG)"
fi
ls "$TMP" | grep -q 'tmp-' && fail "a temporary file was left behind: $(ls "$TMP")"
finish
