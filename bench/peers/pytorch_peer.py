#!/usr/bin/python3
"""The PyTorch peer of `darkrt compare`: the same cfg + weights through torch_darknet.py, with its
own letterbox, decode and NMS (peer_common.py); writes the JSON entry --peer-json reads.

  bench/peers/pytorch_peer.py --cfg M.cfg --weights M.weights [--names coco.names] IMAGES... -o pytorch.json
  darkrt compare M.cfg IMAGES... --weights M.weights --peer-json pytorch.json
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

import peer_common  # noqa: E402
from torch_darknet import build_model  # noqa: E402


def main():
    ap = peer_common.common_args(__doc__.splitlines()[0])
    ap.add_argument("--weights", required=True)
    ap.add_argument("--bn", choices=["alexeyab", "pjreddie"], default="alexeyab")
    ap.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    ap.add_argument("--half", action="store_true", help="fp16 (CUDA)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    model = build_model(args.cfg, args.weights, args.bn).to(device)
    dtype = torch.float16 if args.half else torch.float32
    model = model.to(dtype)

    def infer(x):
        with torch.no_grad():
            heads = model(torch.from_numpy(x).to(device, dtype))
            return [h.float().cpu().numpy()[0] for h in heads]

    def device_memory():
        return torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None

    identity = {"name": f"pytorch-{device.type}" + ("-fp16" if args.half else ""),
                "runtime": f"torch {torch.__version__}", "device": str(device),
                "precision": "fp16" if args.half else "fp32", "threads": torch.get_num_threads(),
                "device_memory": device_memory if device.type == "cuda" else None}
    peer_common.run_peer(args, infer, identity)


if __name__ == "__main__":
    main()
