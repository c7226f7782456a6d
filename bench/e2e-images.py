#!/usr/bin/env python3
"""Makes the end-to-end benchmark's folder of mixed JPEGs: Darknet's 7 sample photos and the 2
board photos of the Rust embedded book (found on this machine), each at 5 scales (0.5x to 2.5x,
longest side at most 2000), whole, centre-cropped and mirrored, at JPEG quality 60 and 92:
9 x 5 x 3 x 2 = 270 files from 92x92 to 2000x1500 pixels, no two alike.

  bench/e2e-images.py OUT_DIR"""
import glob
import os
import sys

import cv2

SOURCES = sorted(glob.glob("/usr/share/darknet/data/*.jpg")) + sorted(
    glob.glob("/root/.rustup/toolchains/stable-*/share/doc/rust/html/embedded-book/assets/*.jp*g"))


def variants(img):
    h, w = img.shape[:2]
    yield "whole", img
    yield "crop", img[h // 5:h - h // 5, w // 5:w - w // 5]
    yield "mirror", img[:, ::-1]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    n = 0
    for src in SOURCES:
        base = os.path.splitext(os.path.basename(src))[0]
        img = cv2.imread(src)
        for scale in (0.5, 0.8, 1.0, 1.6, 2.5):
            h, w = img.shape[:2]
            s = min(scale, 2000 / max(h, w))
            sized = cv2.resize(img, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA)
            for kind, v in variants(sized):
                for q in (60, 92):
                    name = f"{base}-{scale}x-{kind}-q{q}.jpg"
                    cv2.imwrite(os.path.join(out, name), v, [cv2.IMWRITE_JPEG_QUALITY, q])
                    n += 1
    print(f"{out}: {n} JPEGs from {len(SOURCES)} photos")


if __name__ == "__main__":
    main()
