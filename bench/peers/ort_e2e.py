#!/usr/bin/env python3
"""End-to-end peer: ONNX Runtime (CPU provider) on the ONNX `darkrt convert` writes, with its own
loop: e2e_common.run's cv2.imread and letterbox, session.run, Darknet's YOLO decode and per-class NMS in
numpy (peer_common); one line per image.

  bench/peers/ort_e2e.py M.onnx CFG DIR [--threads N]"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_common as ec  # noqa: E402  (first: its clock starts)
import onnxruntime as ort  # noqa: E402

import peer_common  # noqa: E402
from darknet_cfg import parse_cfg, yolo_heads  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("onnx")
    ap.add_argument("cfg")
    ap.add_argument("folder")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--thresh", type=float, default=0.25)
    args = ap.parse_args()
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    sess = ort.InferenceSession(args.onnx, so, providers=["CPUExecutionProvider"])
    inp, outs = sess.get_inputs()[0].name, [o.name for o in sess.get_outputs()]
    net_w, net_h, metas = yolo_heads(parse_cfg(args.cfg))

    def post(heads, bgr, geo):
        h, w = bgr.shape[:2]
        return peer_common.nms(peer_common.decode(heads, metas, net_w, net_h, w, h, args.thresh), 0.45, w, h)

    ec.run(args.folder, net_w, net_h, lambda x: [h[0] for h in sess.run(outs, {inp: x})], post)


if __name__ == "__main__":
    main()
