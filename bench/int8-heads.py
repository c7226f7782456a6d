#!/usr/bin/env python3
# Heads' error of an int8 engine against fp32 per image (bench/int8-asym-folds.sh): a cheaper, less noisy signal than
# mAP. `inputs` writes each image stretched to W x H, RGB / 255, float32 NCHW (darkrt run --input; the same input
# goes to every engine, so the resize's details cancel); `err` reads the heads `darkrt run` wrote for each input under
# two folders and prints the mean and median over images of ||int8 - fp32|| / ||fp32|| (all heads together).
#   python3 bench/int8-heads.py inputs W H OUT IMAGE...
#   python3 bench/int8-heads.py err FP32DIR INT8DIR
import os
import sys

import numpy as np
from PIL import Image


def main(argv):
    if len(argv) >= 6 and argv[1] == "inputs":
        w, h, out = int(argv[2]), int(argv[3]), argv[4]
        os.makedirs(out, exist_ok=True)
        for path in argv[5:]:
            with Image.open(path) as src:
                img = np.asarray(src.convert("RGB").resize((w, h), Image.BILINEAR), dtype=np.float32) / 255
            stem = os.path.splitext(os.path.basename(path))[0]
            np.ascontiguousarray(img.transpose(2, 0, 1)).tofile(os.path.join(out, stem + ".f32"))
        return 0
    if len(argv) == 4 and argv[1] == "err":
        errs = []
        for name in sorted(os.listdir(argv[2])):
            f = np.fromfile(os.path.join(argv[2], name), dtype=np.float32).astype(np.float64)
            q = np.fromfile(os.path.join(argv[3], name), dtype=np.float32).astype(np.float64)
            if f.shape != q.shape or not f.size:
                sys.stderr.write("int8-heads.py: %s: %d and %d values\n" % (name, f.size, q.size))
                return 1
            errs.append(np.linalg.norm(q - f) / np.linalg.norm(f))
        if not errs:
            sys.stderr.write("int8-heads.py: no heads under %s\n" % argv[2])
            return 1
        print("%.4f %.4f %d" % (np.mean(errs), np.median(errs), len(errs)))
        return 0
    sys.stderr.write("usage: int8-heads.py inputs W H OUT IMAGE... | err FP32DIR INT8DIR\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
