#!/usr/bin/env python3
"""The ONNX Runtime peer of `darkrt compare`: the ONNX that `darkrt convert` writes, run by
onnxruntime's CPU provider, with its own letterbox, decode and NMS (peer_common.py); writes the
JSON entry --peer-json reads.

  darkrt convert M.cfg --weights M.weights -o M.onnx
  bench/peers/ort_peer.py --onnx M.onnx --cfg M.cfg [--names coco.names] IMAGES... -o ort.json
  darkrt compare M.cfg IMAGES... --weights M.weights --peer-json ort.json
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnxruntime as ort  # noqa: E402

import peer_common  # noqa: E402


def main():
    ap = peer_common.common_args(__doc__.splitlines()[0])
    ap.add_argument("--onnx", required=True, help="from darkrt convert (outputs head0, head1, ...)")
    args = ap.parse_args()
    so = ort.SessionOptions()
    if args.threads:
        so.intra_op_num_threads = args.threads
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(args.onnx, so, providers=["CPUExecutionProvider"])
    input_name = sess.get_inputs()[0].name
    outputs = [o.name for o in sess.get_outputs()]

    def infer(x):
        return [h[0] for h in sess.run(outputs, {input_name: x})]

    identity = {"name": "onnxruntime-cpu", "runtime": f"onnxruntime {ort.__version__}", "device": "cpu",
                "precision": "fp32", "threads": args.threads or os.cpu_count()}
    peer_common.run_peer(args, infer, identity)


if __name__ == "__main__":
    main()
