#!/usr/bin/env python3
# mAP@0.5 of detections against a truth file (darkrt eval's VOC all-point AP, averaged over the truth's classes) and a
# bootstrap over images of the difference between two engines (bench/int8-asym-folds.sh): each resample draws the
# truth's images with replacement, a drawn image's detections are matched within the image (so a detection's TP/FP
# is fixed per image) and both engines are scored on the same draw.
#   python3 bench/int8-boot.py TRUTH.json A.json B.json [--draws N] [--seed S]
#   prints: mAP_A mAP_B B-A, then the draws' B-A at 5%, 50%, 95% and the share of draws where B < A
import json
import sys

import numpy as np


def iou(a, b):
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    aa = (a[2] - a[0]) * (a[3] - a[1])
    ab = (b[2] - b[0]) * (b[3] - b[1])
    if not (iw > 0 and ih > 0 and aa > 0 and ab > 0):
        return 0.0
    return iw * ih / (aa + ab - iw * ih)


def load(path):
    out = {}
    for item in json.load(open(path)):
        if "detections" not in item:
            continue
        out[item["image"]] = [(d["class_id"], d["score"], (d["box"]["x1"], d["box"]["y1"], d["box"]["x2"], d["box"]["y2"]))
                              for d in item["detections"]]
    return out


def per_image(truth, eng):
    """For each truth image: ({class: n_truth}, [(class, score, tp)] in the engine's order)."""
    rows = []
    for name, gts in truth.items():
        dets = eng.get(name)
        if dets is None:
            continue
        npos = {}
        for c, _, _ in gts:
            npos[c] = npos.get(c, 0) + 1
        used = [False] * len(gts)
        order = sorted(range(len(dets)), key=lambda k: -dets[k][1])  # stable: ties keep input order
        tp = [0] * len(dets)
        for k in order:
            c, _, box = dets[k]
            best, best_g = -1.0, -1
            for g, (gc, _, gbox) in enumerate(gts):
                if gc == c:
                    v = iou(box, gbox)
                    if v > best:
                        best, best_g = v, g
            if best >= 0.5 and not used[best_g]:
                used[best_g] = True
                tp[k] = 1
        rows.append((npos, [(c, s, tp[k]) for k, (c, s, _) in enumerate(dets)]))
    return rows


def mean_ap(rows, draw):
    npos, cls, score, tp, order = {}, [], [], [], []
    for i in draw:
        n, dets = rows[i]
        for c, v in n.items():
            npos[c] = npos.get(c, 0) + v
        for c, s, t in dets:
            cls.append(c)
            score.append(s)
            tp.append(t)
    if not npos:
        return 1.0 if not cls else 0.0
    cls, score, tp = np.array(cls), np.array(score), np.array(tp)
    aps = []
    for c, n in npos.items():
        sel = cls == c
        s, t = score[sel], tp[sel]
        k = np.argsort(-s, kind="stable")
        t = t[k]
        ctp = np.cumsum(t)
        cfp = np.cumsum(1 - t)
        rec = np.concatenate(([0.0], ctp / n, [1.0]))
        prec = np.concatenate(([0.0], ctp / np.maximum(ctp + cfp, 1), [0.0]))
        prec = np.maximum.accumulate(prec[::-1])[::-1]
        step = rec[1:] != rec[:-1]
        aps.append(float(np.sum((rec[1:] - rec[:-1])[step] * prec[1:][step])))
    return sum(aps) / len(aps)


def main(argv):
    args = argv[1:]
    draws, seed = 2000, 1
    if "--draws" in args:
        i = args.index("--draws")
        draws = int(args[i + 1])
        del args[i:i + 2]
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 3:
        sys.stderr.write("usage: int8-boot.py TRUTH.json A.json B.json [--draws N] [--seed S]\n")
        return 2
    truth = load(args[0])
    a, b = per_image(truth, load(args[1])), per_image(truth, load(args[2]))
    if len(a) != len(b):
        sys.stderr.write("int8-boot.py: %s and %s score different images\n" % (args[1], args[2]))
        return 1
    every = range(len(a))
    ma, mb = mean_ap(a, every), mean_ap(b, every)
    rng = np.random.default_rng(seed)
    d = []
    for _ in range(draws):
        draw = rng.integers(0, len(a), len(a))
        d.append(mean_ap(b, draw) - mean_ap(a, draw))
    d = np.array(d)
    q = np.quantile(d, [0.05, 0.5, 0.95])
    print("%.4f %.4f %+.4f %+.4f %+.4f %+.4f %.3f" % (ma, mb, mb - ma, q[0], q[1], q[2], float(np.mean(d < 0))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
