#!/usr/bin/env python3
"""A folder of mixed JPEGs for the end-to-end benchmarks, made from a few source photos.

  bench/e2e-gpu-images.py SRC_DIR OUT_DIR [--count 2400] [--seed 1] [--min-side 160] [--max-side 1600]

Each image is a different variant of one of the source JPEGs (taken in turn): a random crop of 55-100%
of each side, resized (Lanczos) so its long side is log-uniform in [min-side, max-side] (small thumbnails
to large photos, some upscaled past the source), saved at a random JPEG quality 60-95, 4:2:0 or 4:4:4
chroma, a tenth of them progressive. Deterministic for a seed (each image has its own random stream); made by a pool of processes. Prints the size distribution.
Needs Pillow (a dependency of torchvision, so present wherever the GPU benchmark's PyTorch peer runs).
"""
import argparse
import glob
import math
import multiprocessing
import os
import random
import sys

from PIL import Image, ImageFile

ImageFile.MAXBLOCK = 1 << 26  # progressive JPEGs of large images need a larger encoder buffer


_images = {}


def make_one(job):
    """Variant i, from its own random stream (the same for any number of processes)."""
    a, srcs, i = job
    src = srcs[i % len(srcs)]
    if src not in _images:
        _images[src] = Image.open(src).convert("RGB")
    im = _images[src]
    rng = random.Random(a.seed * 1000003 + i)
    w, h = im.size
    cw, ch = int(w * rng.uniform(0.55, 1.0)), int(h * rng.uniform(0.55, 1.0))
    x0, y0 = rng.randint(0, w - cw), rng.randint(0, h - ch)
    crop = im.crop((x0, y0, x0 + cw, y0 + ch))
    side = math.exp(rng.uniform(math.log(a.min_side), math.log(a.max_side)))
    k = side / max(cw, ch)
    size = (max(1, round(cw * k)), max(1, round(ch * k)))
    path = os.path.join(a.out, f"{i:05d}.jpg")
    crop.resize(size, Image.LANCZOS).save(path, "JPEG", quality=rng.randint(60, 95), subsampling=rng.choice([0, 2]),
                                          progressive=rng.random() < 0.1)
    return size[0], size[1], os.path.getsize(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=2400)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-side", type=int, default=160)
    ap.add_argument("--max-side", type=int, default=1600)
    a = ap.parse_args()
    srcs = sorted(glob.glob(os.path.join(a.src, "*.jpg")))
    if not srcs:
        sys.exit(f"{a.src}: no .jpg files")
    os.makedirs(a.out, exist_ok=True)
    with multiprocessing.Pool() as pool:
        made = pool.map(make_one, [(a, srcs, i) for i in range(a.count)], chunksize=64)
    pixels = sum(w * h for w, h, _ in made)
    total_bytes = sum(b for _, _, b in made)
    sides = [max(w, h) for w, h, _ in made]
    sides.sort()
    q = lambda f: sides[int(f * (len(sides) - 1))]
    print(f"{a.count} JPEGs from {len(srcs)} sources in {a.out}: long side min {sides[0]} / median {q(0.5)} / "
          f"p90 {q(0.9)} / max {sides[-1]} px; mean {pixels / a.count / 1e6:.2f} Mpixel, "
          f"{total_bytes / a.count / 1024:.0f} KiB per file")


if __name__ == "__main__":
    main()
