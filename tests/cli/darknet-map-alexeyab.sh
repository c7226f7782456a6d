#!/usr/bin/env bash
# darkrt eval MODEL --data against AlexeyAB's Darknet `detector map` itself (built on the CPU from
# ../shared/reference and cached in the build dir): yolo-fastest-1.1 on 49 views of Darknet's seven
# sample images (each whole, mirrored, four corner crops and a centre crop: bench/int8-images.py; PNG,
# so both decode the same pixels) with YOLO labels beside them (made from darkrt's detections, some
# dropped and some moved). Every class's AP line and the mAP line must be identical (area under the
# curve at IoU 0.5; VOC 2007's 11 points at 0.5 and at -iou_thresh 0.75; 101 points at 0.75), and
# darkrt's --json APs must equal the APs the cached Darknet prints to 9 decimals (its copy's AP
# printf widened from %2.2f) to 1e-9. The TP/FP counts at 0.25 are not compared: Darknet counts a
# duplicate by network order, which darkrt's detections do not keep.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "darkrt is not built"
[ -f "$FASTEST_WEIGHTS" ] || skip "no yolo-fastest-1.1 weights in $SHARED/models"
[ -d "$SHARED/reference/alexeyab-darknet" ] || skip "no AlexeyAB Darknet source in $SHARED/reference"
ABDK="$DRT_BUILD/alexeyab-darknet"
if [ ! -x "$ABDK/darknet" ]; then
    rm -rf "$ABDK" && cp -r "$SHARED/reference/alexeyab-darknet" "$ABDK" && sed -i 's/ -msse4a//' "$ABDK/Makefile"
    (cd "$ABDK" && nice make -j2 GPU=0 CUDNN=0 OPENCV=0 OPENMP=1 AVX=0 LIBSO=0 >build.log 2>&1) ||
        skip "AlexeyAB Darknet did not build on this machine (see $ABDK/build.log)"
fi
# The AP lines to 9 decimals instead of 2 (only detector.o is rebuilt in a cached copy).
if ! grep -q 'ap = %.9f%%' "$ABDK/src/detector.c"; then
    sed -i 's/ap = %2.2f%%/ap = %.9f%%/' "$ABDK/src/detector.c"
    (cd "$ABDK" && nice make -j2 GPU=0 CUDNN=0 OPENCV=0 OPENMP=1 AVX=0 LIBSO=0 >>build.log 2>&1) ||
        fail "AlexeyAB Darknet with 9-decimal AP lines did not build (see $ABDK/build.log)"
fi
export OMP_NUM_THREADS=2
mkdir -p "$TMP/photos"
"$DARKRT" detect "$FASTEST_CFG" --weights "$FASTEST_WEIGHTS" "$DN_DATA"/{dog,eagle,giraffe,horses,kite,person,scream}.jpg \
    -o "$TMP/photos" --thresh 1 >/dev/null || fail "PNG copies of the sample images"
python3 "$DRT_ROOT/bench/int8-images.py" "$TMP/imgs" "$TMP"/photos/*.png || fail "views of the sample images"
"$DARKRT" detect "$FASTEST_CFG" --weights "$FASTEST_WEIGHTS" "$TMP/imgs" --thresh 0.3 --resize stretch \
    --json "$TMP/found.json" -o "$TMP/drawn" >/dev/null || fail "detections for the labels"
python3 - "$TMP" <<'PY' || fail "labels"
import json, os, random, sys
tmp = sys.argv[1]
rng = random.Random(1)
paths = []
for im in json.load(open(os.path.join(tmp, "found.json"))):
    W, H = im["width"], im["height"]
    paths.append(os.path.abspath(im["image"]))
    with open(paths[-1][:-4] + ".txt", "w") as f:
        for d in im["detections"]:
            if rng.random() < 0.15:
                continue
            b, j = d["box"], rng.choice([0, 0.05, 0.15])
            w, h = (b["x2"] - b["x1"]) / W, (b["y2"] - b["y1"]) / H
            f.write("%d %.6f %.6f %.6f %.6f\n" % (d["class_id"], (b["x1"] + b["x2"]) / 2 / W + rng.gauss(0, j * w),
                    (b["y1"] + b["y2"]) / 2 / H + rng.gauss(0, j * h), w * (1 + rng.gauss(0, j)), h * (1 + rng.gauss(0, j))))
open(os.path.join(tmp, "valid.txt"), "w").write("\n".join(paths) + "\n")
open(os.path.join(tmp, "obj.data"), "w").write("classes = 80\nvalid = %s/valid.txt\nnames = %s\n"
                                               % (tmp, "/usr/share/darknet/data/coco.names"))
PY
# Darknet prints a progress line with \r before the first class: keep what follows the last \r.
lines() { tr '\r' '\n' | grep -E '^class_id|mean average precision \(' | sed 's/(TP = .*//'; }
# same_as_darknet DARKNET.txt DARKRT.txt DARKRT.json: the AP lines without their value (2 decimals in darkrt's,
# 9 in this Darknet's) and the mAP line identical, the values from the JSON equal to 1e-9; prints the APs > 0.
same_as_darknet() {
    [ "$(grep -c '^class_id' "$1")" -eq 80 ] &&
        diff <(sed 's/ap = [0-9.]*%/ap = AP%/' "$1") <(sed 's/ap = [0-9.]*%/ap = AP%/' "$2") >"$TMP/diff.txt" &&
        python3 - "$1" "$3" 2>&1 <<'PY'
import json, re, sys
dn = [float(m) / 100 for m in re.findall(r"ap = ([0-9.]+)%", open(sys.argv[1]).read())]
ours = [c["ap"] for c in json.load(open(sys.argv[2]))["classes"]]
bad = [(c, a, b) for c, (a, b) in enumerate(zip(dn, ours)) if abs(a - b) > 1e-9]
if len(dn) != 80 or len(ours) != 80 or bad:
    sys.exit("APs (class, Darknet, darkrt) differ: %s" % bad[:5])
print("%d with AP > 0" % sum(a > 0 for a in dn))
PY
}
for args in "-points 0" "-points 11" "-points 11 -iou_thresh 0.75" "-points 101 -iou_thresh 0.75"; do
    ours=$(sed 's/-points/--points/; s/-iou_thresh/--iou-thresh/' <<<"$args")
    (cd "$ABDK" && ./darknet detector map "$TMP/obj.data" "$FASTEST_CFG" "$FASTEST_WEIGHTS" $args -dont_show 2>/dev/null) |
        lines >"$TMP/darknet.txt"
    [ "$args" = "-points 0" ] && cp "$TMP/darknet.txt" "$TMP/darknet-auc.txt"
    # shellcheck disable=SC2086
    "$DARKRT" eval "$FASTEST_CFG" --weights "$FASTEST_WEIGHTS" --data "$TMP/obj.data" $ours --engine ref \
        --json "$TMP/darkrt.json" 2>/dev/null | lines >"$TMP/darkrt.txt"
    if res=$(same_as_darknet "$TMP/darknet.txt" "$TMP/darkrt.txt" "$TMP/darkrt.json"); then
        ok "$args: 80 class APs equal to 1e-9 ($res), the mAP line identical: $(grep mean "$TMP/darkrt.txt")"
    else
        fail "$args: Darknet and darkrt differ: ${res:-}$(head -20 "$TMP/diff.txt")"
    fi
done
# `eval --results` scores a detect --json file: equal to Darknet's AUC lines only when detect wrote the
# boxes unclipped (--no-clip), as validate_detector_map matches them; clipped, a box past an edge of
# these crops matches differently (the check that the views have such boxes).
"$DARKRT" detect "$FASTEST_CFG" --weights "$FASTEST_WEIGHTS" "$TMP/imgs" --device ref --thresh 0.005 --max-det 0 \
    --no-draw --no-clip --json "$TMP/raw.json" >/dev/null || fail "detect --no-clip"
"$DARKRT" detect "$FASTEST_CFG" --weights "$FASTEST_WEIGHTS" "$TMP/imgs" --device ref --thresh 0.005 --max-det 0 \
    --no-draw --json "$TMP/clipped.json" >/dev/null || fail "detect (clipped)"
for kind in raw clipped; do
    "$DARKRT" eval --data "$TMP/obj.data" --results "$TMP/$kind.json" --json "$TMP/$kind-map.json" 2>"$TMP/$kind.err" |
        lines >"$TMP/$kind.txt"
    [ -s "$TMP/$kind-map.json" ] || fail "eval --results $kind.json: $(head -2 "$TMP/$kind.err")"
done
if res=$(same_as_darknet "$TMP/darknet-auc.txt" "$TMP/raw.txt" "$TMP/raw-map.json"); then
    ok "eval --data --results of detect --no-clip --json: 80 class APs equal to Darknet's (AUC) to 1e-9 ($res)"
else
    fail "eval --results of detect --no-clip --json differs from Darknet: ${res:-}$(head -6 "$TMP/diff.txt")"
fi
same_as_darknet "$TMP/darknet-auc.txt" "$TMP/clipped.txt" "$TMP/clipped-map.json" >/dev/null &&
    fail "clipped boxes scored as Darknet's too: the views no longer test boxes past an edge"
finish
