#!/usr/bin/env python3
"""The int8 peer a CPU user would pick: ONNX Runtime's static quantization (onnxruntime.quantization.quantize_static,
its defaults: QDQ, int8 activations and weights, MinMax calibration) of the ONNX `darkrt convert` writes, calibrated
on a folder's images letterboxed as the e2e peers do (e2e_common.letterbox); ort_e2e.py then runs the result.

  bench/peers/ort_quantize.py IN.onnx CFG CALIB_DIR OUT.onnx"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cv2  # noqa: E402
import onnx  # noqa: E402
from onnxruntime.quantization import CalibrationDataReader, quantize_static  # noqa: E402

import e2e_common as ec  # noqa: E402
from darknet_cfg import parse_cfg, yolo_heads  # noqa: E402


class Folder(CalibrationDataReader):
    def __init__(self, folder, name, net_w, net_h):
        self.blobs = iter([{name: ec.letterbox(cv2.imread(p), net_w, net_h)[0]} for p in ec.images(folder)])

    def get_next(self):
        return next(self.blobs, None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for a in ("onnx", "cfg", "calib", "out"):
        ap.add_argument(a)
    args = ap.parse_args()
    name = onnx.load(args.onnx).graph.input[0].name
    net_w, net_h, _ = yolo_heads(parse_cfg(args.cfg))
    quantize_static(args.onnx, args.out, Folder(args.calib, name, net_w, net_h))


if __name__ == "__main__":
    main()
