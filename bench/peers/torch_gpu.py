#!/usr/bin/env python3
"""PyTorch's side of bench/gpu.sh: the same cfg and .weights on the same GPU, at its best.

The model comes from bench/peers/torch_darknet.py (Darknet semantics, AlexeyAB batchnorm); for
speed it is then rewritten the way a PyTorch user would deploy it: batchnorm folded into the conv
weights and bias, leaky as F.leaky_relu, nearest upsample as F.interpolate, and each layer's output
dropped once no later layer needs it. Modes:
  eager32     float32, NCHW, eager
  fp16graph   float16, channels_last, captured once as a CUDA graph and replayed
  compile     float16, channels_last, torch.compile(mode="max-autotune-no-cudagraphs") then a CUDA graph
Per mode and batch: GPU latency (CUDA events around each call: median, p99), throughput, the run with
host copies (input from pinned host memory, heads back to host), peak allocated device memory.
Prints one RESULT line per measurement (key=value), like bench/gpu-bench.c.
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_darknet import _maxpool, _route, build_model  # noqa: E402


class Fast(torch.nn.Module):
    """The Darknet model with BN folded and dead outputs freed."""

    def __init__(self, m):
        super().__init__()
        self.specs = m.specs
        self.ws, self.bs, self.meta = torch.nn.ParameterList(), torch.nn.ParameterList(), []
        for c in m.convs:
            w, b = c.weight.clone(), c.bias.clone()
            if c.bn:
                mul = c.scale / torch.sqrt(c.var + 1e-5)
                w = w * mul.view(-1, 1, 1, 1)
                b = c.bias - c.mean * mul
            self.ws.append(torch.nn.Parameter(w, requires_grad=False))
            self.bs.append(torch.nn.Parameter(b, requires_grad=False))
            self.meta.append((c.stride, c.pad, c.groups, c.act_name))
        n = len(self.specs)
        last = [-1] * n  # last layer reading each output
        for i, (kind, p) in enumerate(self.specs):
            if kind == "route":
                for v in p["layers"]:
                    last[v] = max(last[v], i)
            elif kind == "shortcut":
                last[p["from"]] = max(last[p["from"]], i)
        self.last = last

    def forward(self, x):
        outs, heads = {}, []
        for i, (kind, p) in enumerate(self.specs):
            if kind == "conv":
                k = p["index"]
                stride, pad, groups, act = self.meta[k]
                x = F.conv2d(x, self.ws[k], self.bs[k], stride, pad, 1, groups)
                if act == "leaky":
                    x = F.leaky_relu(x, 0.1)
                elif act == "relu":
                    x = F.relu(x)
                elif act == "logistic":
                    x = torch.sigmoid(x)
                elif act == "mish":
                    x = F.mish(x)
                elif act == "swish":
                    x = F.silu(x)
            elif kind == "maxpool":
                x = _maxpool(x, p["size"], p["stride"], p["padding"])
            elif kind == "route":
                x = _route(outs, p)
            elif kind == "shortcut":
                x = x + outs[p["from"]]  # the benchmark models' shortcuts have equal shapes, linear
            elif kind == "upsample":
                x = F.interpolate(x, scale_factor=p["stride"], mode="nearest")
            elif kind == "yolo":
                heads.append(x)
            if self.last[i] > i:
                outs[i] = x
            for v in [v for v in outs if self.last[v] <= i]:
                del outs[v]
        return heads


def timed(fn, iters):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    ms = []
    for _ in range(iters):
        start.record()
        fn()
        end.record()
        end.synchronize()
        ms.append(start.elapsed_time(end))
    ms.sort()
    k = 0.99 * (len(ms) - 1)
    lo = int(k)
    p99 = ms[lo] + (ms[min(lo + 1, len(ms) - 1)] - ms[lo]) * (k - lo)
    return ms[len(ms) // 2], p99


def run_mode(args, base, mode, batch):
    dev = torch.device("cuda")
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    half = mode != "eager32"
    fmt = torch.channels_last if half else torch.contiguous_format
    model = Fast(base).to(dev)
    if half:
        model = model.half().to(memory_format=fmt)
    dtype = torch.float16 if half else torch.float32
    c, h, w = base.channels, base.height, base.width
    host = torch.rand(batch, c, h, w).pin_memory()
    x = torch.empty(batch, c, h, w, device=dev, dtype=dtype).contiguous(memory_format=fmt)
    x.copy_(host)
    build_start = time.time()
    with torch.inference_mode():
        fwd = model
        if mode == "compile":
            fwd = torch.compile(model, mode="max-autotune-no-cudagraphs")
        if mode in ("fp16graph", "compile"):
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for _ in range(3):
                    fwd(x)
            torch.cuda.current_stream().wait_stream(s)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                outs = fwd(x)
            step = graph.replay
        else:
            outs = None

            def step():
                nonlocal outs
                outs = fwd(x)
        for _ in range(5):
            step()
        torch.cuda.synchronize()
        build_s = time.time() - build_start
        med, p99 = timed(step, args.iters)
        runs = []
        for _ in range(min(args.iters, 50)):  # with copies: pinned host input in, heads out
            t = time.perf_counter()
            x.copy_(host, non_blocking=True)
            step()
            res = [o.float().cpu() for o in outs]
            runs.append((time.perf_counter() - t) * 1e3)
        del res
    runs.sort()
    peak = torch.cuda.max_memory_allocated() / 2**20
    print(f"RESULT engine=torch-{mode} label={args.label} precision={'fp16' if half else 'fp32'} batch={batch} "
          f"gpu_median_ms={med:.4f} gpu_p99_ms={p99:.4f} throughput_ips={batch * 1e3 / med:.1f} "
          f"run_median_ms={runs[len(runs) // 2]:.3f} peak_alloc_mib={peak:.1f} build_s={build_s:.1f}", flush=True)
    del model, fwd, x, outs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cfg", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--size", type=int, default=0)
    ap.add_argument("--label", default="model")
    ap.add_argument("--batches", default="1,8,32")
    ap.add_argument("--modes", default="eager32,fp16graph")
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--check", help="darkrt heads (raw f32 from `darkrt run --random SEED`) to compare with")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    cfg = args.cfg
    if args.size:  # a copy of the cfg at another input size
        text = open(cfg).read().splitlines()
        out = [("width=%d" % args.size) if l.strip().startswith("width") else
               ("height=%d" % args.size) if l.strip().startswith("height") else l for l in text]
        cfg = os.path.join(os.environ.get("TMPDIR", "/tmp"), "torch_gpu_%d_%s" % (args.size, os.path.basename(cfg)))
        open(cfg, "w").write("\n".join(out) + "\n")
    base = build_model(cfg, args.weights)
    torch.backends.cudnn.benchmark = True
    print(f"# torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, {torch.cuda.get_device_name()}",
          flush=True)
    if args.check:
        check(args, base)
    for mode in args.modes.split(","):
        for b in [int(v) for v in args.batches.split(",")]:
            try:
                run_mode(args, base, mode, b)
            except Exception as e:  # noqa: BLE001 -- one failing mode must not hide the others
                print(f"# torch-{mode} batch {b} failed: {type(e).__name__}: {e}", flush=True)


def splitmix_input(seed, n):
    """darkrt run --random SEED: value k is splitmix64 output k >> 40, / 2^24."""
    import numpy as np
    mask = (1 << 64) - 1
    state = seed & mask
    out = np.empty(n, dtype=np.float32)
    for k in range(n):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        out[k] = (z >> 40) / 16777216.0
    return out


def check(args, base):
    """darkrt's CUDA heads against PyTorch fp32 on the same input: proves both ran the same weights."""
    import numpy as np
    c, h, w = base.channels, base.height, base.width
    x = torch.from_numpy(splitmix_input(args.seed, c * h * w).reshape(1, c, h, w)).cuda()
    torch.backends.cudnn.allow_tf32 = False
    with torch.inference_mode():
        heads = [t.float().cpu().numpy().ravel() for t in Fast(base).cuda()(x)]
    ours = np.fromfile(args.check, dtype=np.float32)
    ref = np.concatenate(heads)
    rel = float(np.abs(ours - ref).max() / np.abs(ref).max()) if ours.size == ref.size else float("inf")
    print(f"CHECK label={args.label} darkrt_vs_torch_fp32 max_rel_diff={rel:.3g} values={ref.size}", flush=True)


if __name__ == "__main__":
    main()
