#!/usr/bin/env python3
"""End-to-end peer: OpenCV DNN 4.x (cv2.dnn.readNetFromDarknet) on a folder, with its own loop:
e2e_common.run's cv2.imread and letterbox, net.forward, OpenCV's YOLO rows decoded, NMS per class
(cv2.dnn.NMSBoxesBatched); one line per image.

  bench/peers/opencv_e2e.py CFG WEIGHTS DIR [--threads N]"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_common as ec  # noqa: E402  (first: its clock starts)
import cv2  # noqa: E402
import numpy as np  # noqa: E402

from darknet_cfg import parse_cfg, yolo_heads  # noqa: E402


def boxes_of(outs, geo, img_w, img_h, net_w, net_h, thresh):
    new_w, new_h, dx, dy = geo
    rows = np.concatenate([o.reshape(-1, o.shape[-1]) for o in outs])
    scores = rows[:, 5:]
    cls = scores.argmax(1)
    conf = scores[np.arange(len(rows)), cls]
    keep = conf > thresh
    r, cls, conf = rows[keep], cls[keep], conf[keep]
    cx, cy = (r[:, 0] * net_w - dx) * img_w / new_w, (r[:, 1] * net_h - dy) * img_h / new_h
    w, h = r[:, 2] * net_w * img_w / new_w, r[:, 3] * net_h * img_h / new_h
    return np.stack([cx - w / 2, cy - h / 2, w, h], 1), conf, cls


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cfg")
    ap.add_argument("weights")
    ap.add_argument("folder")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--thresh", type=float, default=0.25)
    args = ap.parse_args()
    cv2.setNumThreads(args.threads)
    net = cv2.dnn.readNetFromDarknet(args.cfg, args.weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    names = net.getUnconnectedOutLayersNames()
    net_w, net_h, _ = yolo_heads(parse_cfg(args.cfg))

    def infer(blob):
        net.setInput(blob)
        return net.forward(names)

    def post(outs, bgr, geo):
        b, conf, cls = boxes_of(outs, geo, bgr.shape[1], bgr.shape[0], net_w, net_h, args.thresh)
        return cv2.dnn.NMSBoxesBatched(b.tolist(), conf.tolist(), cls.tolist(), args.thresh, 0.45) if len(b) else []

    ec.run(args.folder, net_w, net_h, infer, post)


if __name__ == "__main__":
    main()
