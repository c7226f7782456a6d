#!/usr/bin/env python3
"""End-to-end peer: ONNX Runtime (CPU provider) on the ONNX `darkrt convert` writes, with its own
loop: cv2.imread, letterbox (e2e_common), session.run, Darknet's YOLO decode and per-class NMS in
numpy (peer_common); one line per image.

  bench/peers/ort_e2e.py M.onnx CFG DIR [--threads N]"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_common as ec  # noqa: E402  (first: its clock starts)
import cv2  # noqa: E402
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
    paths = ec.images(args.folder)
    st = ec.Stages()
    for i, p in enumerate(paths):
        bgr = cv2.imread(p)
        st.lap("decode")
        if bgr is None:
            print(f"{p}: cannot decode", file=sys.stderr)
            continue
        x, _ = ec.letterbox(bgr, net_w, net_h)
        st.lap("preprocess")
        heads = [h[0] for h in sess.run(outs, {inp: x})]
        st.lap("inference")
        h, w = bgr.shape[:2]
        dets = peer_common.nms(peer_common.decode(heads, metas, net_w, net_h, w, h, args.thresh), 0.45, w, h)
        st.lap("postprocess")
        ec.report(p, dets, i == 0)
    ec.summary(st, len(paths))


if __name__ == "__main__":
    main()
