#!/usr/bin/env python3
"""Agreement of two engines' results for bench/device/compiler.sh (python3 with numpy).

  compiler-agree.py dets REF.json OTHER.json --label L --thresh T --tol TOL [--require]
      detect --json files: per image and class, boxes matched greedily by IoU (highest reference
      score first). Prints one AGREE line: matched boxes, the smallest IoU, the largest score
      change, unmatched boxes (a box within TOL of the threshold is "borderline": it may cross it).
      --require: exit 1 unless every non-borderline box is matched with IoU >= 0.99 and
      |score change| <= TOL.
  compiler-agree.py heads REF.f32 OTHER.f32 --label L [--tol REL]
      darkrt run outputs: the largest absolute difference, relative to the largest |REF| value.
      --tol: exit 1 when that relative difference exceeds REL.
"""
import argparse
import json
import sys

import numpy as np


def iou(a, b):
    ix = max(0.0, min(a["x2"], b["x2"]) - max(a["x1"], b["x1"]))
    iy = max(0.0, min(a["y2"], b["y2"]) - max(a["y1"], b["y1"]))
    inter = ix * iy
    union = (a["x2"] - a["x1"]) * (a["y2"] - a["y1"]) + (b["x2"] - b["x1"]) * (b["y2"] - b["y1"]) - inter
    return inter / union if union > 0 else 0.0


def match_image(ref, other):
    """Pairs (ref det, other det or None) and the other dets left over."""
    left = list(other)
    pairs = []
    for r in sorted(ref, key=lambda d: -d["score"]):
        cands = [(iou(r["box"], o["box"]), k) for k, o in enumerate(left) if o["class_id"] == r["class_id"]]
        best = max(cands, default=(0.0, -1))
        if best[1] >= 0 and best[0] > 0.5:
            pairs.append((r, left.pop(best[1])))
        else:
            pairs.append((r, None))
    return pairs, left


def dets(a):
    ref = {d["image"]: d.get("detections", []) for d in json.load(open(a.ref))}
    oth = {d["image"]: d.get("detections", []) for d in json.load(open(a.other))}
    if set(ref) != set(oth):
        print(f"AGREE {a.label} FAIL: the two runs saw different images")
        return 1
    n_ref = n_oth = matched = borderline = bad = 0
    min_iou, max_ds = 1.0, 0.0
    for img in sorted(ref):
        pairs, extra = match_image(ref[img], oth[img])
        n_ref += len(ref[img])
        n_oth += len(oth[img])
        for r, o in pairs:
            if o is None:
                near = abs(r["score"] - a.thresh) <= a.tol
                borderline += near
                bad += not near
                continue
            matched += 1
            v, ds = iou(r["box"], o["box"]), abs(r["score"] - o["score"])
            min_iou, max_ds = min(min_iou, v), max(max_ds, ds)
            bad += v < 0.99 or ds > a.tol
        for o in extra:
            near = abs(o["score"] - a.thresh) <= a.tol
            borderline += near
            bad += not near
    ok = bad == 0
    verdict = ("PASS" if ok else "FAIL") if a.require else "REPORT"
    print(f"AGREE {a.label} images={len(ref)} ref_boxes={n_ref} other_boxes={n_oth} matched={matched} "
          f"min_iou={min_iou:.4f} max_dscore={max_ds:.5f} borderline={borderline} outside_tolerance={bad} "
          f"tol={a.tol} {verdict}")
    return 0 if ok or not a.require else 1


def heads(a):
    r = np.fromfile(a.ref, dtype=np.float32)
    o = np.fromfile(a.other, dtype=np.float32)
    if r.shape != o.shape:
        print(f"HEADS {a.label} FAIL: {r.size} vs {o.size} values")
        return 1
    d = float(np.max(np.abs(r - o))) if r.size else 0.0
    scale = float(np.max(np.abs(r))) if r.size else 1.0
    rel = d / scale if scale > 0 else d
    verdict = "REPORT" if a.tol is None else ("PASS" if rel <= a.tol else "FAIL")
    print(f"HEADS {a.label} values={r.size} max_abs_diff={d:.6g} max_abs_ref={scale:.6g} rel={rel:.3g} "
          f"tol={a.tol} {verdict}")
    return 1 if verdict == "FAIL" else 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["dets", "heads"])
    p.add_argument("ref")
    p.add_argument("other")
    p.add_argument("--label", required=True)
    p.add_argument("--thresh", type=float, default=0.25)
    p.add_argument("--tol", type=float)
    p.add_argument("--require", action="store_true")
    a = p.parse_args()
    if a.mode == "dets" and a.tol is None:
        a.tol = 0.01
    return dets(a) if a.mode == "dets" else heads(a)


if __name__ == "__main__":
    sys.exit(main())
