#!/usr/bin/env python3
"""PyTorch's side of bench/device/video.sh: N live streams decoded by OpenCV's cv2.VideoCapture (its
bundled FFmpeg's CPU decoders, one reader thread per stream, the machine's cores shared; frames BGR
numpy, flipped to RGB on the GPU) or, where this Python has no OpenCV (--decoder ffmpeg), by one
ffmpeg CLI process per stream writing RGB24 frames to a pipe (FFmpeg's CPU decoders, or NVDEC with
--hwaccel cuda, frames through the host either way), the same yolov3 cfg/weights as darkrt (bench/peers/torch_gpu.py's
Fast model: BN folded, fp16, channels_last) on the GPU, letterbox on the GPU (bilinear resize, 0.5
padding), YOLO decode and torchvision's batched_nms. Each stream keeps its pace: a bounded queue per
stream drops its oldest frame when inference falls behind (as darkrt). Prints one JSON line:
per-stream frames detected and dropped.
usage: torch_video.py --cfg C --weights W --size 416 --batch 32 [--read-timeout S] [--thresh T]
       [--decoder auto|cv2|ffmpeg --frame-size 1920x1080 --hwaccel cuda] URL..."""
import argparse, collections, json, os, subprocess, sys, threading, time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_darknet import build_model  # noqa: E402
from torch_gpu import Fast  # noqa: E402


try:
    import cv2
except ImportError:
    cv2 = None


class Stream:
    def __init__(self, url, depth, threads, read_timeout_s, a):
        self.url, self.q, self.lock, self.threads = url, collections.deque(), threading.Lock(), threads
        self.read_timeout_ms = int(read_timeout_s * 1000)
        self.depth, self.decoded, self.dropped, self.done, self.ended = depth, 0, 0, 0, False
        self.a = a
        threading.Thread(target=self.read if a.decoder == "cv2" else self.read_ffmpeg, daemon=True).start()

    def push(self, bgr):
        with self.lock:
            if len(self.q) == self.depth:
                self.q.popleft()
                self.dropped += 1
            self.q.append(bgr)
            self.decoded += 1

    def read_ffmpeg(self):
        """Frames from an ffmpeg CLI process (RGB24 on its stdout)."""
        w, h = (int(v) for v in self.a.frame_size.split("x"))
        url = self.url
        if url.startswith("udp://"):  # udp's own timeout (microseconds) ends the stream once it is silent
            url += f"?overrun_nonfatal=1&fifo_size=278876&timeout={self.read_timeout_ms * 1000}"
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-threads", str(self.threads)]
        cmd += ["-hwaccel", "cuda"] if self.a.hwaccel == "cuda" else []
        cmd += ["-i", url, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]  # every frame once
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, bufsize=0)
        size = w * h * 3
        while True:
            buf = bytearray(size)
            view, got = memoryview(buf), 0
            while got < size:
                n = p.stdout.readinto(view[got:])
                if not n:
                    break
                got += n
            if got < size:
                break
            self.push(np.frombuffer(buf, np.uint8).reshape(h, w, 3))
        p.wait()
        self.ended = True

    def read(self):
        url = self.url + "?overrun_nonfatal=1&fifo_size=278876" if self.url.startswith("udp://") else self.url
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 30000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, self.read_timeout_ms]
        if hasattr(cv2, "CAP_PROP_N_THREADS"):  # OpenCV >= 4.6: the cores shared by the streams
            params += [cv2.CAP_PROP_N_THREADS, self.threads]
        cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
        if not cap.isOpened():
            print(f"{self.url}: cannot open", file=sys.stderr)
        while cap.isOpened():
            ok, bgr = cap.read()
            if not ok:  # the end, or silent past the read timeout
                break
            self.push(bgr)
        cap.release()
        self.ended = True


def letterbox(frames, size, dev, bgr):
    out = torch.full((len(frames), 3, size, size), 0.5, device=dev, dtype=torch.float16)
    for i, f in enumerate(frames):
        h, w = f.shape[:2]
        s = min(size / w, size / h)
        nw, nh = int(w * s), int(h * s)
        x = torch.from_numpy(f).to(dev, non_blocking=True)
        x = (x.flip(2) if bgr else x).permute(2, 0, 1)[None].half() / 255  # OpenCV's BGR -> RGB
        x = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False)
        out[i, :, (size - nh) // 2:(size - nh) // 2 + nh, (size - nw) // 2:(size - nw) // 2 + nw] = x[0]
    return out


def decode(heads, anchors, size, thresh=0.25, nms=0.45):
    """Boxes per batch item (network pixels), after per-class NMS."""
    per_item = []
    cand = []
    for h, anc in zip(heads, anchors):
        b, _, gh, gw = h.shape
        a = len(anc)
        p = h.float().view(b, a, -1, gh, gw).permute(0, 1, 3, 4, 2)
        gy, gx = torch.meshgrid(torch.arange(gh, device=h.device), torch.arange(gw, device=h.device), indexing="ij")
        t = anc.view(1, a, 1, 1, 2)
        xy = (torch.sigmoid(p[..., :2]) + torch.stack([gx, gy], -1)) / torch.tensor([gw, gh], device=h.device) * size
        wh = torch.exp(p[..., 2:4]) * t
        score = torch.sigmoid(p[..., 4:5]) * torch.sigmoid(p[..., 5:])
        cand.append((torch.cat([xy - wh / 2, xy + wh / 2], -1).view(b, -1, 4), score.reshape(b, -1, score.shape[-1])))
    boxes = torch.cat([c[0] for c in cand], 1)
    scores = torch.cat([c[1] for c in cand], 1)
    for i in range(boxes.shape[0]):
        idx, cls = (scores[i] > thresh).nonzero(as_tuple=True)
        keep = torchvision.ops.batched_nms(boxes[i][idx], scores[i][idx, cls], cls, nms)
        per_item.append(len(keep))
    return per_item


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cfg", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--size", type=int, default=416)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--read-timeout", type=float, default=5, help="seconds of silence that end a stream")
    ap.add_argument("--thresh", type=float, default=0.25, help="score threshold (1.0 for synthesised weights: no box)")
    ap.add_argument("--decoder", choices=["auto", "cv2", "ffmpeg"], default="auto",
                    help="auto: OpenCV where this Python has it, else the ffmpeg CLI")
    ap.add_argument("--frame-size", default="1920x1080", help="the streams' frame size (--decoder ffmpeg)")
    ap.add_argument("--hwaccel", choices=["none", "cuda"], default="none", help="--decoder ffmpeg: NVDEC")
    ap.add_argument("urls", nargs="+")
    a = ap.parse_args()
    if a.decoder == "auto":
        a.decoder = "cv2" if cv2 is not None else "ffmpeg"
    dev = torch.device("cuda")
    base = build_model(a.cfg, a.weights)
    model = Fast(base).to(dev).half().to(memory_format=torch.channels_last).eval()
    # each head's masked anchors (w, h in network pixels), from the cfg the model parsed; on the device once
    anchors = [torch.from_numpy(y["anchors"][y["mask"]]).to(dev) for y in base.yolo]
    threads = max(1, (os.cpu_count() or 1) // len(a.urls))
    streams = [Stream(u, a.depth, threads, a.read_timeout, a) for u in a.urls]
    start, k = time.time(), 0
    with torch.inference_mode():
        while True:
            batch, owners = [], []
            for _ in range(a.batch):
                s = streams[k % len(streams)]
                k += 1
                with s.lock:
                    if s.q:
                        batch.append(s.q.popleft())
                        owners.append(s)
                if len(batch) == a.batch or (k % len(streams) == 0 and batch):
                    break
            if not batch:
                if all(s.ended for s in streams):
                    break
                time.sleep(0.001)
                continue
            x = letterbox(batch, a.size, dev, a.decoder == "cv2").contiguous(memory_format=torch.channels_last)
            decode(model(x), anchors, a.size, a.thresh)
            for s in owners:
                s.done += 1
    how = f"opencv {cv2.__version__}" if a.decoder == "cv2" else "ffmpeg CLI" + (" NVDEC" if a.hwaccel == "cuda" else "")
    print(json.dumps({"peer": f"pytorch {torch.__version__} + {how} decode", "seconds": time.time() - start,
                      "streams": [{"url": s.url, "frames": s.done, "dropped": s.dropped} for s in streams]}))


if __name__ == "__main__":
    main()
