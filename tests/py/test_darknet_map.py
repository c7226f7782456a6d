#!/usr/bin/env python3
"""darkrt eval --data (Darknet's layout) against a line-by-line Python transcription of AlexeyAB
Darknet's validate_detector_map scoring (src/detector.c at the snapshot in ../shared/reference),
in float32 where Darknet computes in float: label lookup (JPEGImages/ -> labels/, else beside
the image), matching (best IoU strictly above -iou_thresh, same class), ranking, TP/FP per class
at every rank, AP by area under the curve, 11 and 101 points, mAP over all classes (those
without labels count 0), TP/FP/precision/recall at conf 0.25. Generated data: many images and
classes, duplicates, misses, a class never labelled, an image without a label file. Every AP,
the mAP and the counts must agree to 1e-6. (AlexeyAB's Darknet itself cannot score given
detections, and its own forward pass decodes JPEGs with stb_image, so it is not the oracle here.)"""
import json
import os
import random
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("DRT_BUILD") or os.path.join(ROOT, "build-asan")
DARKRT = os.path.join(BUILD, "darkrt")
try:
    import numpy as np
except ImportError as e:
    print("skipped: numpy missing (%s)" % e)
    sys.exit(77)

f32 = np.float32
CLASSES = 7  # class 6 is never labelled
NAMES = ["cls%d" % c for c in range(CLASSES)]


def exact(v):
    """A float32 value written so that both strtof and strtod read that value back."""
    return float(f32(v))


def label_path(image):  # replace_image_to_label for the layouts generated here
    return image.replace("/JPEGImages/", "/labels/").rsplit(".", 1)[0] + ".txt"


# --- validate_detector_map, transcribed ---
def overlap(x1, w1, x2, w2):
    l1, l2 = x1 - w1 / f32(2), x2 - w2 / f32(2)
    r1, r2 = x1 + w1 / f32(2), x2 + w2 / f32(2)
    return min(r1, r2) - max(l1, l2)


def box_iou(a, b):
    w, h = overlap(a[0], a[2], b[0], b[2]), overlap(a[1], a[3], b[1], b[3])
    inter = f32(0) if w < 0 or h < 0 else w * h
    union = a[2] * a[3] + b[2] * b[3] - inter
    return f32(0) if inter == 0 or union == 0 else inter / union


def darknet_map(images, iou_thresh, points, conf=f32(0.25)):
    iou_thresh = f32(iou_thresh)
    dets, unique_truth_count = [], 0
    truth_count = [0] * CLASSES
    tp_c, fp_c = [0] * CLASSES, [0] * CLASSES
    avg_iou = f32(0)
    for truth, boxes in images:
        for t in truth:
            truth_count[t[0]] += 1
        checkpoint = len(dets)
        for cls, box, prob in boxes:
            truth_index, max_iou = -1, f32(0)
            for j, t in enumerate(truth):
                iou = box_iou(box, t[1])
                if iou > iou_thresh and cls == t[0] and iou > max_iou:
                    max_iou, truth_index = iou, unique_truth_count + j
            dets.append((prob, cls, truth_index))
            if prob > conf:
                found = any(dets[z][2] == truth_index for z in range(checkpoint, len(dets) - 1))
                if truth_index > -1 and not found:
                    avg_iou += max_iou
                    tp_c[cls] += 1
                else:
                    fp_c[cls] += 1
        unique_truth_count += len(truth)
    order = sorted(range(len(dets)), key=lambda i: -dets[i][0])  # probabilities are distinct here
    ranked = [dets[i] for i in order]
    aps, curves = [], []
    for c in range(CLASSES):
        flags, tp, fp, prec, rec = set(), 0, 0, [], []
        for prob, cls, ti in ranked:
            if cls == c:
                if ti >= 0 and ti not in flags:
                    flags.add(ti)
                    tp += 1
                else:
                    fp += 1
            fn = truth_count[c] - tp
            prec.append(tp / (tp + fp) if tp + fp > 0 else 0.0)
            rec.append(tp / (tp + fn) if tp + fn > 0 else 0.0)
        curves.append([(rec[i], prec[i]) for i, d in enumerate(ranked) if d[1] == c])  # at c's own detections
        ap = 0.0
        if points == 0:
            last_r, last_p = rec[-1], prec[-1]
            for r in range(len(ranked) - 2, -1, -1):
                delta = last_r - rec[r]
                last_r = rec[r]
                last_p = max(last_p, prec[r])
                ap += delta * last_p
            ap += last_r * last_p
        else:
            for p in range(points):
                cur = p * (1.0 / (points - 1))  # -Ofast: Darknet as built multiplies by the reciprocal
                ap += max([pr for pr, rc in zip(prec, rec) if rc >= cur] + [0.0])
            ap /= points
        aps.append(ap)
    tp_all, fp_all = sum(tp_c), sum(fp_c)
    return {"map": sum(aps) / CLASSES, "ap": aps, "curves": curves, "labels": truth_count, "tp": tp_all, "fp": fp_all, "fn": unique_truth_count - tp_all,
            "tp_c": tp_c, "fp_c": fp_c, "avg_iou": float(avg_iou / f32(tp_all + fp_all)) if tp_all + fp_all else 0.0}


# --- generated data ---
def make_data(rng, tmp, n_images):
    os.makedirs(os.path.join(tmp, "voc", "JPEGImages"))
    os.makedirs(os.path.join(tmp, "voc", "labels"))
    os.makedirs(os.path.join(tmp, "flat"))
    paths, results, scored = [], [], []
    scores = rng.sample(range(1, 10 ** 6), 40 * n_images)
    for i in range(n_images):
        sub = "voc/JPEGImages" if i % 2 else "flat"
        path = os.path.join(tmp, sub, "img%03d.jpg" % i)
        W, H = rng.choice([(640, 480), (500, 375), (416, 416)])
        truth = []
        for _ in range(rng.choice([0, 1, 2, 4, 7])):
            w, h = rng.uniform(0.03, 0.6), rng.uniform(0.03, 0.6)
            truth.append((rng.randrange(CLASSES - 1),
                          tuple(f32(exact(v)) for v in (rng.uniform(w / 2, 1 - w / 2), rng.uniform(h / 2, 1 - h / 2), w, h))))
        if i != 5:  # image 5 has no label file
            with open(label_path(path), "w") as f:
                for c, b in truth:
                    f.write("%d %r %r %r %r\n" % (c, float(b[0]), float(b[1]), float(b[2]), float(b[3])))
        dets = []
        for c, b in truth:
            if rng.random() < 0.2:
                continue  # missed
            for _ in range(rng.choice([1, 1, 2, 3])):  # duplicates
                s = rng.choice([0.03, 0.1, 0.25])
                cx, cy = float(b[0]) * W + rng.gauss(0, s * float(b[2]) * W), float(b[1]) * H + rng.gauss(0, s * float(b[3]) * H)
                bw, bh = float(b[2]) * W * rng.uniform(1 - s, 1 + s), float(b[3]) * H * rng.uniform(1 - s, 1 + s)
                cls = c if rng.random() < 0.9 else rng.randrange(CLASSES)
                dets.append((cls, (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)))
        for _ in range(rng.choice([0, 2, 5])):  # false positives
            x, y = rng.uniform(0, W - 20), rng.uniform(0, H - 20)
            dets.append((rng.randrange(CLASSES), (x, y, x + rng.uniform(5, 200), y + rng.uniform(5, 200))))
        items = []
        for cls, box in dets:
            items.append((exact(scores.pop() / 1e6), cls, [exact(v) for v in box]))
        items.sort(key=lambda t: -t[0])
        results.append({"image": path, "width": W, "height": H, "detections": [
            {"class_id": c, "score": s, "box": {"x1": b[0], "y1": b[1], "x2": b[2], "y2": b[3]}} for s, c, b in items]})
        boxes = []
        for s, c, b in items:
            x1, y1, x2, y2 = (f32(v) for v in b)
            fw, fh = f32(W), f32(H)
            boxes.append((c, ((x1 + x2) / f32(2) / fw, (y1 + y2) / f32(2) / fh, (x2 - x1) / fw, (y2 - y1) / fh), f32(s)))
        scored.append((truth if i != 5 else [], boxes))
        paths.append(path)
    with open(os.path.join(tmp, "valid.txt"), "w") as f:
        f.write("\n".join(paths) + "\n")
    with open(os.path.join(tmp, "obj.names"), "w") as f:
        f.write("\n".join(NAMES) + "\n")
    with open(os.path.join(tmp, "obj.data"), "w") as f:
        f.write("classes = %d\ntrain = train.txt\nvalid = valid.txt\nnames = obj.names\nbackup = backup/\n" % CLASSES)
    with open(os.path.join(tmp, "dets.json"), "w") as f:
        json.dump(results, f)
    return scored


def run_darkrt(tmp, points, iou, extra=()):
    out = os.path.join(tmp, "map.json")
    cmd = [DARKRT, "eval", "--data", os.path.join(tmp, "obj.data"), "--results", os.path.join(tmp, "dets.json"),
           "--points", str(points), "--iou-thresh", str(iou), "--json", out] + list(extra)
    p = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
    assert p.returncode == 0, "%s: %s" % (" ".join(cmd), p.stderr)
    assert "1 of" in p.stderr and "no label file" in p.stderr, p.stderr
    with open(out) as f:
        return json.load(f), p.stdout


def check_html(path, want):
    """--html: a card for each class with labels whose curve is the transcription's (recall, precision)
    at each of the class's detections by rank, mapped back from pixels (report/pr-svg.h: x = 28 +
    recall * plot, y = 4 + (1 - precision) * plot, plot = size - 36), to the 0.05 px printed."""
    with open(path) as f:
        page = f.read()
    cards = re.findall(r'<div class=card><h3>(\d+) [^<]*</h3><svg width=(\d+) .*?points="([^"]*)"', page)
    assert [int(c) for c, _, _ in cards] == [c for c in range(CLASSES) if want["labels"][c]], cards
    for c, size, pts in cards:
        plot, c = int(size) - 36, int(c)
        got = [((x - 28) / plot, 1 - (y - 4) / plot) for x, y in (map(float, p.split(",")) for p in pts.split())]
        assert len(got) == len(want["curves"][c]), (c, len(got), len(want["curves"][c]))
        for (gr, gp), (wr, wp) in zip(got, want["curves"][c]):
            assert abs(gr - wr) * plot <= 0.051 and abs(gp - wp) * plot <= 0.051, (c, gr, gp, wr, wp)
    return len(cards)


def test_equal_to_transcription():
    for seed in range(3):
        rng = random.Random(seed)
        with tempfile.TemporaryDirectory() as tmp:
            scored = make_data(rng, tmp, 30 + 15 * seed)
            for points in (0, 11, 101):
                for iou in (0.5, 0.75):
                    want = darknet_map(scored, iou, points)
                    html = os.path.join(tmp, "map.html")
                    got, text = run_darkrt(tmp, points, iou, ["--html", html] if points == 0 else [])
                    if points == 0:
                        n_cards = check_html(html, want)
                    assert abs(got["map"] - want["map"]) <= 1e-6, (seed, points, iou, got["map"], want["map"])
                    for c in range(CLASSES):
                        g = got["classes"][c]
                        assert abs(g["ap"] - want["ap"][c]) <= 1e-6, (seed, points, iou, c, g, want["ap"][c])
                        assert (g["tp"], g["fp"]) == (want["tp_c"][c], want["fp_c"][c]), (seed, c, g)
                    assert (got["tp"], got["fp"], got["fn"]) == (want["tp"], want["fp"], want["fn"]), (got, want)
                    assert abs(got["average_iou"] - want["avg_iou"]) <= 1e-6, (got["average_iou"], want["avg_iou"])
                    assert "mean average precision (mAP@%0.2f) = %f" % (iou, want["map"]) in text, text
                    assert got["classes"][6]["ap"] == 0 and got["classes"][6]["labels"] == 0
            print("seed %d: %d images, mAP@0.50 (AUC) %.4f, all points and thresholds agree; %d HTML curves too"
                  % (seed, len(scored), darknet_map(scored, 0.5, 0)["map"], n_cards))


def test_bad_input():
    with tempfile.TemporaryDirectory() as tmp:
        make_data(random.Random(9), tmp, 8)
        data = os.path.join(tmp, "obj.data")
        with open(label_path(os.path.join(tmp, "flat", "img000.jpg")), "a") as f:
            f.write("1 0.5 0.5 oops\n")
        p = subprocess.run([DARKRT, "eval", "--data", data, "--results", os.path.join(tmp, "dets.json")],
                           capture_output=True, text=True)
        assert p.returncode != 0 and "img000.txt:" in p.stderr and "expected \"class x y w h\"" in p.stderr, p.stderr
        with open(label_path(os.path.join(tmp, "flat", "img000.jpg")), "w") as f:
            f.write("9 0.5 0.5 0.1 0.1\n")
        p = subprocess.run([DARKRT, "eval", "--data", data, "--results", os.path.join(tmp, "dets.json")],
                           capture_output=True, text=True)
        assert p.returncode != 0 and "class 9 is outside 0..6" in p.stderr, p.stderr
        with open(data, "w") as f:
            f.write("names = obj.names\n")
        p = subprocess.run([DARKRT, "eval", "--data", data, "--results", os.path.join(tmp, "dets.json")],
                           capture_output=True, text=True)
        assert p.returncode != 0 and "no valid= line" in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
        with open(data, "w") as f:
            f.write("# a comment\nvalid =\n")
        p = subprocess.run([DARKRT, "eval", "--data", data, "--results", os.path.join(tmp, "dets.json")],
                           capture_output=True, text=True)
        assert p.returncode != 0 and "obj.data:2: valid= is empty" in p.stderr, p.stderr


if __name__ == "__main__":
    if not os.access(DARKRT, os.X_OK):
        print("skipped: %s is not built" % DARKRT)
        sys.exit(77)
    test_equal_to_transcription()
    test_bad_input()
    print("ok")
