#!/usr/bin/env python3
"""The PyTorch peer of bench/e2e-gpu.sh: a folder of JPEGs to detections on one GPU, written the way a
PyTorch user would: file bytes read ahead by a thread, torchvision.io.decode_jpeg on the GPU (batched),
Darknet's letterbox with F.interpolate (bilinear) onto a 0.5 canvas, the model (bench/peers/torch_gpu.py's
Fast: BN folded) in fp16 channels_last captured once as a CUDA graph, YOLO decode in torch and
torchvision.ops.batched_nms per image and class, results to the host.

  torch_e2e.py --cfg CFG --weights W --size 416 --images DIR [--batch 32] [--thresh 0.25] [--nms 0.45]

Prints "path: N objects" per image and one RESULT line (key=value): images, wall seconds of the process
(from DRT_T0, the epoch the caller set just before starting it, else the interpreter's start), img/s,
time to the first detection printed, and each stage's share of the GPU time (CUDA events around the
stages of every batch). Not bit-exact with Darknet's resize (PyTorch's bilinear): it is a speed peer.
"""
import os
import time

T0 = float(os.environ.get("DRT_T0", time.time()))

import argparse  # noqa: E402
import queue  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402
from torchvision.io import ImageReadMode, decode_jpeg  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_darknet import build_model  # noqa: E402
from torch_gpu import Fast  # noqa: E402


def reader(paths, batch, out):
    """Reads the files' bytes a batch at a time, ahead of the GPU (a bounded queue)."""
    for i in range(0, len(paths), batch):
        out.put([(p, torchvision.io.read_file(p)) for p in paths[i:i + batch]])
    out.put(None)


def decode(datas):
    """GPU decode of a batch; images nvJPEG refuses are decoded on the host and uploaded."""
    try:
        return decode_jpeg(datas, mode=ImageReadMode.RGB, device="cuda")
    except RuntimeError:
        out = []
        for d in datas:
            try:
                out.append(decode_jpeg(d, mode=ImageReadMode.RGB, device="cuda"))
            except RuntimeError:
                out.append(decode_jpeg(d, mode=ImageReadMode.RGB).cuda())
        return out


def letterbox_into(img, dst, net_w, net_h):
    """Darknet's letterbox size rule and 0.5 canvas; PyTorch's bilinear resize. Returns the size used."""
    h, w = img.shape[1], img.shape[2]
    if net_w / w < net_h / h:
        nw, nh = net_w, max(1, h * net_w // w)
    else:
        nw, nh = max(1, w * net_h // h), net_h
    dx, dy = (net_w - nw) // 2, (net_h - nh) // 2
    r = F.interpolate(img[None].half(), size=(nh, nw), mode="bilinear", align_corners=False) * (1 / 255)
    dst.fill_(0.5)
    dst[:, dy:dy + nh, dx:dx + nw] = r[0]
    return nw, nh, dx, dy


class Decoder:
    """YOLO heads -> boxes in image pixels, scores, classes (Darknet's yolo layer, new_coords 0)."""

    def __init__(self, yolo, net_w, net_h, dev):
        self.heads = []
        for y in yolo:
            anchors = torch.tensor(y["anchors"][y["mask"]], device=dev, dtype=torch.float32)
            self.heads.append((anchors, y["classes"], float(y.get("scale_x_y", 1.0))))
        self.net_w, self.net_h = net_w, net_h

    def __call__(self, outs, sizes, thresh):
        boxes, scores, classes, items = [], [], [], []
        for out, (anchors, nc, sxy) in zip(outs, self.heads):
            n, _, gh, gw = out.shape
            a = anchors.shape[0]
            p = out.float().view(n, a, 5 + nc, gh, gw).permute(0, 1, 3, 4, 2)
            gy, gx = torch.meshgrid(torch.arange(gh, device=out.device), torch.arange(gw, device=out.device),
                                    indexing="ij")
            xy = torch.sigmoid(p[..., 0:2]) * sxy - 0.5 * (sxy - 1)
            bx = (xy[..., 0] + gx) / gw * self.net_w
            by = (xy[..., 1] + gy) / gh * self.net_h
            bw = torch.exp(p[..., 2]) * anchors[:, 0].view(1, a, 1, 1)
            bh = torch.exp(p[..., 3]) * anchors[:, 1].view(1, a, 1, 1)
            prob = torch.sigmoid(p[..., 4:5]) * torch.sigmoid(p[..., 5:])
            keep = prob > thresh
            idx = keep.nonzero()
            i, ai, yy, xx, c = idx.unbind(1)
            cx, cy, w, h = bx[i, ai, yy, xx], by[i, ai, yy, xx], bw[i, ai, yy, xx], bh[i, ai, yy, xx]
            boxes.append(torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1))
            scores.append(prob[keep])
            classes.append(c)
            items.append(i)
        boxes, scores, classes, items = (torch.cat(v) for v in (boxes, scores, classes, items))
        # letterboxed network pixels -> image pixels
        sz = torch.tensor(sizes, device=boxes.device, dtype=torch.float32)  # per item: nw, nh, dx, dy, w, h
        s = sz[items]
        kx, ky = s[:, 4] / s[:, 0], s[:, 5] / s[:, 1]
        boxes = torch.stack([(boxes[:, 0] - s[:, 2]) * kx, (boxes[:, 1] - s[:, 3]) * ky,
                             (boxes[:, 2] - s[:, 2]) * kx, (boxes[:, 3] - s[:, 3]) * ky], 1)
        return boxes, scores, classes, items


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cfg", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--size", type=int, default=0)
    ap.add_argument("--images", required=True)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--thresh", type=float, default=0.25)
    ap.add_argument("--nms", type=float, default=0.45)
    ap.add_argument("--label", default="model")
    a = ap.parse_args()
    dev = torch.device("cuda")
    base = build_model(a.cfg, a.weights)
    if a.size:
        base.width = base.height = a.size
    net_w, net_h = base.width, base.height
    model = Fast(base).to(dev).half().to(memory_format=torch.channels_last)
    x = torch.zeros(a.batch, 3, net_h, net_w, device=dev, dtype=torch.float16).contiguous(
        memory_format=torch.channels_last)
    paths = sorted(os.path.join(a.images, f) for f in os.listdir(a.images) if f.lower().endswith((".jpg", ".jpeg")))
    q = queue.Queue(maxsize=4)
    threading.Thread(target=reader, args=(paths, a.batch, q), daemon=True).start()
    with torch.inference_mode():
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):
                model(x)
        torch.cuda.current_stream().wait_stream(s)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            outs = model(x)
        dec = Decoder(base.yolo, net_w, net_h, dev)
        stage_ms = [0.0] * 4  # decode, letterbox, forward, post
        first, done = None, 0
        while (item := q.get()) is not None:
            ev = [torch.cuda.Event(enable_timing=True) for _ in range(5)]
            ev[0].record()
            imgs = decode([d for _, d in item])
            ev[1].record()
            sizes = []
            for k, im in enumerate(imgs):
                nw, nh, dx, dy = letterbox_into(im, x[k], net_w, net_h)
                sizes.append((nw, nh, dx, dy, im.shape[2], im.shape[1]))
            ev[2].record()
            graph.replay()
            ev[3].record()
            n = len(imgs)
            boxes, scores, classes, items = dec([o[:n] for o in outs], sizes, a.thresh)
            keep = torchvision.ops.batched_nms(boxes, scores, items * 1000 + classes, a.nms)
            counts = torch.bincount(items[keep], minlength=n).cpu().tolist()
            ev[4].record()
            for (p, _), c in zip(item, counts):
                print(f"{p}: {c} objects", flush=first is None)
                if first is None:
                    first = time.time() - T0
            done += n
            torch.cuda.synchronize()
            for k in range(4):
                stage_ms[k] += ev[k].elapsed_time(ev[k + 1])
    wall = time.time() - T0
    tot = sum(stage_ms) or 1
    print(f"RESULT engine=torch label={a.label} images={done} batch={a.batch} wall_s={wall:.3f} "
          f"img_per_s={done / wall:.1f} first_detection_s={first if first is not None else -1:.3f} "
          f"gpu_decode_share={stage_ms[0] / tot:.3f} letterbox_share={stage_ms[1] / tot:.3f} "
          f"forward_share={stage_ms[2] / tot:.3f} post_share={stage_ms[3] / tot:.3f} gpu_stage_ms={tot:.1f}",
          flush=True)


if __name__ == "__main__":
    main()
