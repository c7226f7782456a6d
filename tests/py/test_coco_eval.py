#!/usr/bin/env python3
"""darkrt eval --coco against pycocotools' COCOeval on generated annotation and result files:
many images and categories (ids not contiguous), crowd regions, small/medium/large objects with
areas on the range boundaries and "area" fields unlike w*h, duplicate and missing detections,
more than 100 detections in an image, tied scores, "ignore" flags (which COCOeval overwrites),
a ground truth with id 0, images without annotations, detections of unknown categories.
All 12 stats and every per-category AP (all, .50, .75) must agree to 1e-6. Also: the HTML's
precision-recall curves (every category's and the mean, IoU .50 and .75) equal COCOeval's precision
array to the 0.05 pixel they are printed to, and one-line errors for bad files."""
import contextlib
import io
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
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
except ImportError as e:  # the reason goes on the last line: the runner reports it as skipped
    print("skipped: pycocotools or numpy missing (%s); make deps installs them" % e)
    sys.exit(77)

CAT_IDS = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 90, 144]  # 144: no ground truth; 90: no detections


def jitter(rng, box, scale):
    x, y, w, h = box
    return [x + rng.gauss(0, scale * w), y + rng.gauss(0, scale * h),
            max(0.5, w * (1 + rng.gauss(0, scale))), max(0.5, h * (1 + rng.gauss(0, scale)))]


def object_box(rng, width, height):
    side = rng.choice([rng.uniform(4, 31), 32.0, rng.uniform(33, 95), 96.0, rng.uniform(97, 300)])
    aspect = rng.choice([1.0, 1.0, rng.uniform(0.4, 2.5)])
    w, h = side * aspect ** 0.5, side / aspect ** 0.5
    return [rng.uniform(0, width - w), rng.uniform(0, height - h), w, h]


def make_gt(rng, n_images):
    images, anns = [], []
    for i in range(n_images):
        image_id = 1000 + 7 * i
        images.append({"id": image_id, "file_name": "%012d.jpg" % image_id, "width": 640, "height": 480})
        for _ in range(rng.choice([0, 1, 3, 6, 12])):
            box = object_box(rng, 640, 480)
            crowd = rng.random() < 0.08
            area = box[2] * box[3] * (rng.uniform(0.5, 1.0) if rng.random() < 0.5 else 1.0)
            if rng.random() < 0.1:
                area = rng.choice([1024.0, 9216.0])  # exactly on a range boundary
            ann = {"id": len(anns), "image_id": image_id, "category_id": rng.choice(CAT_IDS[:-1]),
                   "bbox": box, "area": area, "iscrowd": int(crowd)}
            if rng.random() < 0.1:
                ann["ignore"] = 1
            anns.append(ann)
    anns.append({"id": len(anns), "image_id": 424242, "category_id": 1, "bbox": [1, 1, 5, 5],
                 "area": 25, "iscrowd": 0})  # an image not in the list: left out
    cats = [{"id": c, "name": "class-%d" % c} for c in CAT_IDS]
    return {"images": images, "annotations": anns, "categories": cats}


def make_results(rng, gt):
    res = []
    by_image = {}
    for a in gt["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    for img in gt["images"]:
        for a in by_image.get(img["id"], []):
            if a["category_id"] == 90 or rng.random() < 0.15:
                continue  # missed
            for _ in range(rng.choice([1, 1, 1, 2, 3])):  # duplicates
                res.append({"image_id": img["id"], "category_id": a["category_id"],
                            "bbox": jitter(rng, a["bbox"], rng.choice([0.02, 0.08, 0.2])),
                            "score": round(rng.random(), 2)})  # rounding makes ties
        crowded = img["id"] == gt["images"][3]["id"]  # 130 boxes of one category: past maxDets 100
        for _ in range(130 if crowded else rng.choice([0, 1, 4])):
            res.append({"image_id": img["id"], "category_id": 3 if crowded else rng.choice(CAT_IDS[:-2] + [144, 999]),
                        "bbox": object_box(rng, 640, 480), "score": rng.random() * 0.6})
    return res


def pycoco_eval(ann_path, res_path):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(ann_path)
        dt = gt.loadRes(res_path)
        e = COCOeval(gt, dt, "bbox")
        e.evaluate()
        e.accumulate()
        e.summarize()
    return e


def pycoco(ann_path, res_path):
    e = pycoco_eval(ann_path, res_path)
    prec = e.eval["precision"][:, :, :, 0, 2]  # T, R, K at area all, 100 detections
    per_class = {}
    for k, cat in enumerate(e.params.catIds):
        p = prec[:, :, k]
        if not (p > -1).any():
            continue
        per_class[cat] = [float(np.mean(p[p > -1])), float(np.mean(p[0][p[0] > -1])),
                          float(np.mean(p[5][p[5] > -1]))]
    return [float(x) for x in e.stats], per_class


def darkrt(ann_path, res_path, out_dir, extra=()):
    js = os.path.join(out_dir, "eval.json")
    cmd = [DARKRT, "eval", "--coco", ann_path, "--results", res_path, "--json", js] + list(extra)
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode == 0, "%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr)
    with open(js) as f:
        out = json.load(f)
    stats = [out["stats"][k] for k in ["AP", "AP50", "AP75", "APs", "APm", "APl",
                                        "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]]
    per_class = {c["id"]: [c["AP"], c["AP50"], c["AP75"]] for c in out["categories"] if c["AP"] >= 0}
    return stats, per_class, p.stdout


def check_seed(seed, tmp):
    rng = random.Random(seed)
    gt = make_gt(rng, 40 + seed * 10)
    res = make_results(rng, gt)
    ann_path, res_path = os.path.join(tmp, "ann%d.json" % seed), os.path.join(tmp, "res%d.json" % seed)
    with open(ann_path, "w") as f:
        json.dump(gt, f)
    with open(res_path, "w") as f:
        json.dump(res, f)
    want_stats, want_cls = pycoco(ann_path, res_path)
    got_stats, got_cls, text = darkrt(ann_path, res_path, tmp)
    for i, (w, g) in enumerate(zip(want_stats, got_stats)):
        assert abs(w - g) <= 1e-6, "seed %d stat %d: pycocotools %.9f darkrt %.9f" % (seed, i, w, g)
    assert sorted(want_cls) == sorted(got_cls), (seed, sorted(want_cls), sorted(got_cls))
    for cat in want_cls:
        for w, g in zip(want_cls[cat], got_cls[cat]):
            assert abs(w - g) <= 1e-6, "seed %d category %d: pycocotools %s darkrt %s" % (seed, cat, want_cls[cat],
                                                                                          got_cls[cat])
    assert "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = %.3f" % want_stats[0] in text
    n_gt = len(gt["annotations"])
    print("seed %d: %d images, %d annotations, %d detections: AP %.4f AP50 %.4f AR100 %.4f, %d categories agree"
          % (seed, len(gt["images"]), n_gt, len(res), want_stats[0], want_stats[1], want_stats[8], len(want_cls)))


def test_equal_to_pycocotools():
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(4):
            check_seed(seed, tmp)


def html_curves(page):
    """{(card title, IoU): [(recall, precision)]} from the HTML's polylines, mapped back from pixels
    (coco-html.c: x = 28 + recall * plot, y = 4 + (1 - precision) * plot, plot = size - 36)."""
    curves = {}
    for title, size, body in re.findall(r"<div class=card><h3>(.*?)</h3><svg width=(\d+) (.*?)</svg>", page):
        plot = int(size) - 36
        for pts, iou in re.findall(r'<polyline [^>]*points="([^"]*)"><title>IoU ([0-9.]+)</title>', body):
            xy = [tuple(map(float, p.split(","))) for p in pts.split()]
            curves[(title, iou)] = [((x - 28) / plot, 1 - (y - 4) / plot) for x, y in xy], plot
    return curves


def check_html_curves(page, e, gt):
    """Every curve's points (the mean over categories and each category's, IoU 0.50 and 0.75) are
    COCOeval's precision at its 101 recall thresholds (area all, 100 detections), to the 0.05 pixel
    the HTML rounds to."""
    prec = e.eval["precision"][:, :, :, 0, 2]  # T, R, K
    names = {c["id"]: c["name"] for c in gt["categories"]}
    curves = html_curves(page)
    want = {}
    for t, iou in ((0, "0.50"), (5, "0.75")):
        p = prec[t]
        has = p > -1
        means = [float(np.mean(p[r][has[r]])) for r in range(p.shape[0]) if has[r].any()]
        want[("mean over categories", iou)] = means
        for k, cat in enumerate(e.params.catIds):
            if has[:, k].all():
                want[(names[cat], iou)] = [float(v) for v in p[:, k]]
    assert sorted(curves) == sorted(want), (sorted(curves), sorted(want))
    for key, ps in want.items():
        got, plot = curves[key]
        assert len(got) == len(ps) == 101, (key, len(got), len(ps))
        for r, ((rec, pr), w) in enumerate(zip(got, ps)):
            assert abs(rec - e.params.recThrs[r]) * plot <= 0.051 and abs(pr - w) * plot <= 0.051, \
                "%s IoU %s point %d: HTML (%.4f, %.4f), COCOeval (%.4f, %.4f)" % (key + (r, rec, pr, e.params.recThrs[r], w))
    print("HTML: %d curves (%d categories and the mean, IoU 0.50 and 0.75) equal COCOeval's precision to 0.05 px"
          % (len(want), len(want) // 2 - 1))


def test_html_and_errors():
    with tempfile.TemporaryDirectory() as tmp:
        rng = random.Random(7)
        gt = make_gt(rng, 12)
        res = make_results(rng, gt)
        ann, good, bad = (os.path.join(tmp, n) for n in ("a.json", "r.json", "bad.json"))
        with open(ann, "w") as f:
            json.dump(gt, f)
        with open(good, "w") as f:
            json.dump(res, f)
        html = os.path.join(tmp, "eval.html")
        darkrt(ann, good, tmp, ["--html", html])
        with open(html) as f:
            page = f.read()
        assert page.count("<svg") >= 2 and "polyline" in page and "class-1<" in page
        check_html_curves(page, pycoco_eval(ann, good), gt)
        cases = [([{"image_id": 5, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}], "image_id 5 is not in"),
                 ([{"image_id": 1000, "category_id": 1, "bbox": [0, 0, 1], "score": 1}], "\"bbox\" must be"),
                 ([{"image_id": 1000, "category_id": 1, "bbox": [0, 0, 1, 1]}], "\"score\" must be a number"),
                 ({"x": 1}, "must be a list")]
        for content, message in cases:
            with open(bad, "w") as f:
                json.dump(content, f)
            p = subprocess.run([DARKRT, "eval", "--coco", ann, "--results", bad], capture_output=True, text=True)
            assert p.returncode != 0 and message in p.stderr and bad in p.stderr, (content, p.stderr)
            assert len(p.stderr.strip().splitlines()) == 1, p.stderr
        p = subprocess.run([DARKRT, "eval", "--coco", good, "--results", good], capture_output=True, text=True)
        assert p.returncode != 0 and "must be a JSON object" in p.stderr, p.stderr


if __name__ == "__main__":
    if not os.access(DARKRT, os.X_OK):
        print("skipped: %s is not built" % DARKRT)
        sys.exit(77)
    test_equal_to_pycocotools()
    test_html_and_errors()
    print("ok")
