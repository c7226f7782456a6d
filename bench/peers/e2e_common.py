"""What the end-to-end CPU peers share: their loop over a folder (run), OpenCV decode and letterbox
(cv2.imread, cv2.resize bilinear, a 0.5 grey canvas, RGB), stage timers, and the one line each image prints."""
import os
import sys
import time

import cv2
import numpy as np

START = time.monotonic()  # as close to process start as Python allows (imports come before)


def letterbox(bgr, net_w, net_h):
    """NCHW float32 RGB in [0,1], Darknet's letterbox geometry, OpenCV's bilinear resize."""
    h, w = bgr.shape[:2]
    if net_w / w < net_h / h:
        new_w, new_h = net_w, h * net_w // w
    else:
        new_w, new_h = w * net_h // h, net_h
    canvas = np.full((net_h, net_w, 3), 127, np.uint8)
    dx, dy = (net_w - new_w) // 2, (net_h - new_h) // 2
    canvas[dy:dy + new_h, dx:dx + new_w] = cv2.resize(bgr, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    return cv2.dnn.blobFromImage(canvas, 1 / 255.0, swapRB=True), (new_w, new_h, dx, dy)


class Stages:
    def __init__(self):
        self.ms = {"decode": 0.0, "preprocess": 0.0, "inference": 0.0, "postprocess": 0.0}
        self.t = time.monotonic()

    def lap(self, name):
        now = time.monotonic()
        self.ms[name] += (now - self.t) * 1e3
        self.t = now


def images(folder):
    exts = (".jpg", ".jpeg", ".png", ".bmp")
    return sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.lower().endswith(exts))


def report(path, dets, first):
    """One line per image (the first one marks the time to first detection)."""
    print(f"{path}: {len(dets)} objects", flush=first)


def summary(stages, n):
    total = sum(stages.ms.values())
    shares = ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in stages.ms.items())
    print(f"stages: {shares} of {total / 1e3:.2f} s in {n} images", file=sys.stderr)


def run(folder, net_w, net_h, infer, post):
    """The peers' one loop, timed per stage: cv2.imread, letterbox, infer(blob) -> outputs,
    post(outputs, bgr, geo) -> detections; one line per image, then the stage shares."""
    paths = images(folder)
    st = Stages()
    for i, p in enumerate(paths):
        bgr = cv2.imread(p)
        st.lap("decode")
        if bgr is None:
            print(f"{p}: cannot decode", file=sys.stderr)
            continue
        blob, geo = letterbox(bgr, net_w, net_h)
        st.lap("preprocess")
        outs = infer(blob)
        st.lap("inference")
        dets = post(outs, bgr, geo)
        st.lap("postprocess")
        report(p, dets, i == 0)
    summary(st, len(paths))
