#!/usr/bin/env python3
"""darkrt detect's standard outputs on yolo-fastest-1.1 and Darknet's sample images:
 - --coco-json with --coco ANN.json: pycocotools reads it (loadRes), its image ids are the
   annotations' ids by file name and its category ids COCO's 91-ids; pycocotools' 12 stats on it
   equal `darkrt eval MODEL --coco ANN.json --images DIR` (the same engine run in process) to 1e-6;
 - --save-txt/--save-conf: each label line is the JSON detection's box clipped to the image and
   normalized (class cx cy w h score), one file per image, empty when nothing is found;
 - image ids from numeric file names, --category-ids, --names obj.data (Darknet's names=);
 - bad combinations fail with one line and leave no results file behind."""
import contextlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("DRT_BUILD") or os.path.join(ROOT, "build-asan")
DARKRT = os.path.join(BUILD, "darkrt")
SHARED = os.environ.get("DRT_SHARED") or os.path.join(ROOT, "..", "shared")
CFG = os.path.join(SHARED, "models", "yolo-fastest-1.1", "yolo-fastest-1.1.cfg")
WEIGHTS = os.path.join(SHARED, "models", "yolo-fastest-1.1", "yolo-fastest-1.1.weights")
SAMPLES = "/usr/share/darknet/data"
IMAGES = ["dog.jpg", "eagle.jpg", "giraffe.jpg", "horses.jpg", "kite.jpg", "person.jpg", "scream.jpg"]
COCO91 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33,
          34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61,
          62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90]

try:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
except ImportError as e:
    print("skipped: pycocotools missing (%s); make deps installs it" % e)
    sys.exit(77)


def run(args, ok=True):
    p = subprocess.run([DARKRT] + args, capture_output=True, text=True)
    if ok:
        assert p.returncode == 0, "darkrt %s: %s" % (" ".join(args), p.stderr)
    return p


def model():
    return [CFG, "--weights", WEIGHTS]


def annotations(tmp):
    """Ground truth made from darkrt's own detections at 0.3, some dropped and moved, one crowd."""
    found = os.path.join(tmp, "found.json")
    run(["detect"] + model() + [os.path.join(SAMPLES, f) for f in IMAGES] + ["--thresh", "0.3", "--json", found,
                                                                           "-o", os.path.join(tmp, "drawn")])
    names = open(os.path.join(SAMPLES, "coco.names")).read().split("\n")[:80]
    rng = random.Random(3)
    images, anns = [], []
    for k, im in enumerate(json.load(open(found))):
        images.append({"id": 100 + k, "file_name": os.path.basename(im["image"]), "width": im["width"],
                       "height": im["height"]})
        for d in im["detections"]:
            if rng.random() < 0.2:
                continue
            b = d["box"]
            w, h = b["x2"] - b["x1"], b["y2"] - b["y1"]
            j = rng.choice([0, 0.05, 0.15])
            box = [b["x1"] + rng.gauss(0, j * w), b["y1"] + rng.gauss(0, j * h), w * (1 + rng.gauss(0, j)), h]
            anns.append({"id": len(anns) + 1, "image_id": 100 + k, "category_id": COCO91[d["class_id"]],
                         "bbox": box, "area": box[2] * box[3], "iscrowd": int(rng.random() < 0.1)})
    cats = [{"id": c, "name": n} for c, n in zip(COCO91, names)]
    path = os.path.join(tmp, "ann.json")
    json.dump({"images": images, "annotations": anns, "categories": cats}, open(path, "w"))
    return path


def pycoco_stats(ann, res):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(ann)
        e = COCOeval(gt, gt.loadRes(res), "bbox")
        e.evaluate()
        e.accumulate()
        e.summarize()
    return list(e.stats)


def test_coco_json_and_labels():
    with tempfile.TemporaryDirectory() as tmp:
        ann = annotations(tmp)
        res, js, txt = (os.path.join(tmp, n) for n in ("res.json", "dets.json", "labels"))
        run(["detect"] + model() + [os.path.join(SAMPLES, f) for f in IMAGES] +
            ["--thresh", "0.001", "--max-det", "0", "--coco", ann, "--coco-json", res, "--save-txt", txt, "--save-conf",
             "--json", js, "-o", os.path.join(tmp, "drawn")])
        results = json.load(open(res))
        assert {r["image_id"] for r in results} <= set(range(100, 107)) and len(results) > 100, len(results)
        assert {r["category_id"] for r in results} <= set(COCO91)
        want = pycoco_stats(ann, res)
        ev = os.path.join(tmp, "eval.json")
        run(["eval"] + model() + ["--coco", ann, "--images", SAMPLES, "--json", ev])
        got = json.load(open(ev))["stats"]
        keys = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
        for k, w in zip(keys, want):
            assert abs(got[k] - w) <= 1e-6, (k, got[k], w)
        print("detect --coco-json scored by pycocotools = eval --coco in process: AP %.4f AP50 %.4f" % (want[0], want[1]))
        for im in json.load(open(js)):
            W, H = im["width"], im["height"]
            lines = open(os.path.join(txt, os.path.basename(im["image"])[:-4] + ".txt")).read().split("\n")[:-1]
            assert len(lines) == len(im["detections"]), (im["image"], len(lines))
            for line, d in zip(lines, im["detections"]):
                c, cx, cy, w, h, conf = line.split()
                b = d["box"]
                x1, y1, x2, y2 = max(b["x1"], 0), max(b["y1"], 0), min(b["x2"], W), min(b["y2"], H)
                assert int(c) == d["class_id"] and abs(float(conf) - d["score"]) < 2e-6, (line, d)
                # the JSON's corners have 2 decimals: within 0.01 px, plus the labels' 6 decimals
                for v, e, size in zip((cx, cy, w, h), ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), (W, H, W, H)):
                    assert abs(float(v) * size - e) < 0.011 + size * 1e-6 and 0 <= float(v) <= 1, (line, d)


def test_numeric_names_ids_and_errors():
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "000000000042.jpg")
        shutil.copy(os.path.join(SAMPLES, "dog.jpg"), img)
        names = os.path.join(tmp, "coco.names")
        shutil.copy(os.path.join(SAMPLES, "coco.names"), names)
        data = os.path.join(tmp, "obj.data")
        open(data, "w").write("classes = 80\nnames = coco.names\n")
        res, js = os.path.join(tmp, "r.json"), os.path.join(tmp, "d.json")
        ids = ",".join(str(1000 + c) for c in range(80))
        run(["detect"] + model() + [img, "--coco-json", res, "--category-ids", ids, "--names", data, "--json", js,
                                    "-o", os.path.join(tmp, "x.png")])
        results, dets = json.load(open(res)), json.load(open(js))[0]  # detect --json: always an array
        assert [r["image_id"] for r in results] == [42] * len(dets["detections"]) and results, results
        assert [r["category_id"] for r in results] == [1000 + d["class_id"] for d in dets["detections"]]
        assert "dog" in [d["label"] for d in dets["detections"]], dets
        bad = os.path.join(tmp, "dog.jpg")
        shutil.copy(os.path.join(SAMPLES, "dog.jpg"), bad)
        out = os.path.join(tmp, "bad.json")
        for args, message in [([bad, "--coco-json", out], "file name is not a number"),
                              ([img, "--save-conf"], "--save-conf needs --save-txt"),
                              ([img, "--coco-json", out, "--category-ids", "1,2"], "needs 80 comma-separated"),
                              ([img, "--names", os.path.join(tmp, "none.data")], "none.data")]:
            p = run(["detect"] + model() + args + ["-o", os.path.join(tmp, "y.png")], ok=False)
            assert p.returncode != 0 and message in p.stderr, (args, p.stderr)
            assert not os.path.exists(out), args


if __name__ == "__main__":
    if not os.access(DARKRT, os.X_OK):
        print("skipped: %s is not built" % DARKRT)
        sys.exit(77)
    if not os.path.exists(WEIGHTS) or not os.path.exists(os.path.join(SAMPLES, "dog.jpg")):
        print("skipped: needs %s and Darknet's sample images in %s" % (WEIGHTS, SAMPLES))
        sys.exit(77)
    test_coco_json_and_labels()
    test_numeric_names_ids_and_errors()
    print("ok")
