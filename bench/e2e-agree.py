#!/usr/bin/env python3
"""Agreement of two e2e-bench --boxes 1 outputs on the same images (bench/e2e-bench.c), e.g. JPEG
decode on the GPU (nvJPEG) against the CPU (libjpeg): decoders differ slightly (IDCT, chroma
upsampling), so boxes are close, not equal.

  bench/e2e-agree.py REFERENCE OTHER [--iou 0.5]

Per image, boxes of the same class are matched greedily by falling IoU (at least --iou). Prints one
AGREE line (key=value): images in both, boxes in each, matched boxes and their share of the
reference's, exactly equal boxes, the IoU of matched boxes (mean, min, 1st percentile), their score
differences (mean and max absolute), and images whose box lists are identical. Needs numpy (through
bench/peers/peer_common.py's IoU).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))
from peer_common import _iou  # noqa: E402  (corners x1, y1, x2, y2)


def read_boxes(path):
    """{image: [(class, score, x1, y1, x2, y2)]} from e2e-bench's "IMAGE: N objects" + indented lines."""
    out, cur = {}, None
    with open(path) as f:
        for line in f:
            if line.startswith("  ") and cur is not None:
                v = line.split()
                out[cur].append((int(v[0]),) + tuple(float(x) for x in v[1:6]))
            elif line.endswith(" objects\n") and ": " in line:
                cur = line.rsplit(": ", 1)[0]
                out[cur] = []
            else:
                cur = None
    return out


def iou(a, b):
    return _iou(a[2:], b[2:])


def match(ref, other, min_iou):
    """Greedy one-to-one matching of same-class boxes by falling IoU: [(iou, ref box, other box)]."""
    pairs = sorted(((iou(a, b), i, j) for i, a in enumerate(ref) for j, b in enumerate(other)
                    if a[0] == b[0]), reverse=True)
    used_a, used_b, out = set(), set(), []
    for v, i, j in pairs:
        if v < min_iou:
            break
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            out.append((v, ref[i], other[j]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reference")
    ap.add_argument("other")
    ap.add_argument("--iou", type=float, default=0.5)
    a = ap.parse_args()
    ref, oth = read_boxes(a.reference), read_boxes(a.other)
    common = sorted(set(ref) & set(oth))
    if not common:
        print(f"e2e-agree: no image in both {a.reference} and {a.other}", file=sys.stderr)
        return 1
    n_ref = n_oth = exact = same_images = 0
    ious, dscore = [], []
    for name in common:
        r, o = ref[name], oth[name]
        n_ref += len(r)
        n_oth += len(o)
        same_images += r == o
        for v, x, y in match(r, o, a.iou):
            ious.append(v)
            dscore.append(abs(x[1] - y[1]))
            exact += x == y
    m = len(ious)
    ious.sort()
    stats = (f"iou_mean={sum(ious) / m:.4f} iou_min={ious[0]:.4f} iou_p1={ious[m // 100]:.4f} "
             f"score_diff_mean={sum(dscore) / m:.5f} score_diff_max={max(dscore):.5f}") if m else "iou_mean=nan"
    print(f"AGREE images={len(common)} ref_boxes={n_ref} other_boxes={n_oth} matched={m} "
          f"matched_share={m / n_ref if n_ref else 1:.4f} exact={exact} {stats} "
          f"identical_images={same_images} only_ref={len(set(ref) - set(oth))} only_other={len(set(oth) - set(ref))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
