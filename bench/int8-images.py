#!/usr/bin/env python3
# Views of photos for bench/int8-accuracy.sh: each photo whole, mirrored, its four corner crops of
# 75% and its centre crop of 60%, as PNG files STEM-VIEW.png in OUT. More boxes from the few real
# photos on a machine; the caller keeps the views of one photo on one side of its split.
#   python3 bench/int8-images.py OUT PHOTO...        (pyenv's python3, with Pillow)
#   python3 bench/int8-images.py --skimage           (prints the photos of COCO scenes that
#                                                     scikit-image ships, one path a line)
import os
import sys

from PIL import Image, ImageOps

# scikit-image's photos of things COCO names (person, cat, cup, motorcycle, clock...).
SKIMAGE_PHOTOS = ["astronaut.png", "camera.png", "chelsea.png", "clock_motion.png", "coffee.png",
                  "motorcycle_left.png", "rocket.jpg"]


def views(img):
    w, h = img.size
    yield "whole", img
    yield "mirror", ImageOps.mirror(img)
    cw, ch = int(w * 0.75), int(h * 0.75)
    for name, (x, y) in {"tl": (0, 0), "tr": (w - cw, 0), "bl": (0, h - ch), "br": (w - cw, h - ch)}.items():
        yield name, img.crop((x, y, x + cw, y + ch))
    cw, ch = int(w * 0.6), int(h * 0.6)
    yield "centre", img.crop(((w - cw) // 2, (h - ch) // 2, (w - cw) // 2 + cw, (h - ch) // 2 + ch))


def main(argv):
    if argv[1:] == ["--skimage"]:
        import skimage.data
        for name in SKIMAGE_PHOTOS:
            print(os.path.join(os.path.dirname(skimage.data.__file__), name))
        return 0
    if len(argv) < 3:
        sys.stderr.write("usage: int8-images.py OUT PHOTO... | --skimage\n")
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    for path in argv[2:]:
        stem = os.path.splitext(os.path.basename(path))[0]
        with Image.open(path) as src:
            img = src.convert("RGB")
        for name, v in views(img):
            v.save(os.path.join(out, "%s-%s.png" % (stem, name)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
