#!/usr/bin/env python3
"""OpenCV's end-to-end video detection, the usual way: cv2.VideoCapture decodes, cv2.dnn runs the
Darknet model (readNetFromDarknet, blobFromImage 1/255 RGB at the network size, as Darknet), boxes
decoded from the YOLO outputs and cv2.dnn.NMSBoxes per class. Prints one JSON line: frames, seconds
(first frame read to last frame's boxes), fps. Engine and model load are not timed.
usage: opencv_video.py --cfg C --weights W --video V [--threads N] [--size S]"""
import argparse, json, sys, time

import cv2
import numpy as np


def detect(net, names, frame, size, thresh=0.25, nms=0.45):
    blob = cv2.dnn.blobFromImage(frame, 1 / 255.0, (size, size), swapRB=True, crop=False)
    net.setInput(blob)
    outs = np.concatenate([o.reshape(-1, o.shape[-1]) for o in net.forward(names)])
    scores = outs[:, 5:] * outs[:, 4:5]
    cls = scores.argmax(1)
    best = scores[np.arange(len(cls)), cls]
    keep = best > thresh
    h, w = frame.shape[:2]
    b = outs[keep, :4] * [w, h, w, h]
    boxes = np.stack([b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2, b[:, 2], b[:, 3]], 1) if len(b) else b
    picked = cv2.dnn.NMSBoxesBatched(boxes.tolist(), best[keep].tolist(), cls[keep].tolist(), thresh, nms) if len(b) else []
    return len(picked)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cfg", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--video", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--size", type=int, default=320)
    a = ap.parse_args()
    cv2.setNumThreads(a.threads)
    net = cv2.dnn.readNetFromDarknet(a.cfg, a.weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    names = net.getUnconnectedOutLayersNames()
    detect(net, names, np.zeros((a.size, a.size, 3), np.uint8), a.size)  # warm-up
    cap = cv2.VideoCapture(a.video)
    if not cap.isOpened():
        sys.exit(f"opencv_video.py: {a.video}: cannot open")
    frames = boxes = 0
    start = time.perf_counter()
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        boxes += detect(net, names, frame, a.size)
        frames += 1
    secs = time.perf_counter() - start
    print(json.dumps({"peer": f"opencv {cv2.__version__}", "frames": frames, "boxes": boxes, "seconds": secs,
                      "fps": frames / secs}))


if __name__ == "__main__":
    main()
