#!/usr/bin/env python3
"""PyTorch's side of bench/device/video.sh: N live streams, each decoded by its own ffmpeg CLI process
(FFmpeg's CPU decoders, or NVDEC with --hwaccel cuda; NV12 frames on a pipe (--pix; RGB24 doubles the
bytes and adds swscale's conversion on the CPU), through the host either way, read into page-locked memory), the same yolov3 cfg/weights as darkrt (bench/peers/torch_gpu.py's
Fast model: BN folded, fp16, channels_last) on the GPU, the batch letterboxed there at once (bilinear
resize, 0.5 padding, NV12 to RGB after the resize), YOLO decode and torchvision's batched_nms. Each stream keeps its pace: a bounded queue per stream drops its oldest
frame when inference falls behind, and keeps a burst of frames that arrive at once (darkrt's rule, drop_oldest; --fps).

Each batch takes every queued frame, round robin over the streams, up to --batch (as darkrt's producer
hands every queued frame to its pipeline). H200 call C (session 10) took one frame a stream a batch:
ffmpeg holds a UDP stream's first second while it probes (-analyzeduration 1 s), then sends those ~30
frames in one burst, and a depth-8 queue drained one frame a batch dropped 5-7 of them a stream with 4
streams (21 with 8) although the steady rate kept up (35 fps): drops in the start-up burst, not behind.
The JSON says when each stream dropped ("dropped_first_s": in the first second after its first frame,
"dropped_later"), its latency (frame read off the pipe to its batch's result: "latency_ms" mean, max)
and what the batches cost ("batches": count, mean size, ms median/p90/max).

Why processes, not cv2.VideoCapture or threads: OpenCV opens its FFmpeg captures one at a time under
one lock, and a live UDP capture's open waits for the stream's first packets, so with N streams that
start together only the first socket listens (H200 call C: 1 of 64). Every ffmpeg process here is
started before any frame is read, so every socket listens at once. As darkrt's reader (its --timeout,
src/video/video-source.c), a UDP stream ends once silent for --read-timeout seconds, from its open on,
and its codec and rate are probed from 1 s of data (-analyzeduration; FFmpeg's default, 5 s, held
the first frame back 5 s and then sent a burst of them).

Prints one JSON line: per stream, frames detected ("frames"), received ("received"), dropped, and the
rate of its results ("fps", "span_s") from the first to the last but RATE_TAIL - 1, as darkrt's summary
("stream F fps over S s"; cli/video-outputs.h): the decoder holds its last frames until the stream's end
is known, --read-timeout later. A stream kept its pace when it dropped none and its fps is the sender's.
usage: torch_video.py --cfg C --weights W --size 416 --batch 32 [--depth D] [--fps F] [--read-timeout S]
       [--thresh T] [--frame-size 1920x1080] [--hwaccel none|cuda] [--device cuda|cpu] URL...
--device cpu (float32) tries the mechanics where there is no GPU."""
import argparse, collections, fcntl, json, math, os, subprocess, sys, threading, time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_darknet import build_model  # noqa: E402
from torch_gpu import Fast  # noqa: E402

RATE_TAIL = 32  # as darkrt's VIDEO_RATE_TAIL
FPS_MAX = 240  # as darkrt's DRT_LIVE_FPS_MAX


def drop_oldest(q, depth, fps, now):
    """darkrt's live-queue rule (src/video/live-drop.h): q (oldest first, (frame, arrival time) each) drops
    its oldest before queueing another when it holds depth + one second of the stream, or holds depth and
    the oldest arrived longer ago than depth frames last at fps; an unknown rate (0) keeps depth alone."""
    known = 0 < fps <= FPS_MAX
    if len(q) >= depth + (math.ceil(fps) if known else 0):
        return True
    return known and len(q) >= depth and now - q[0][1] > depth / fps


class Stream:
    """One live source: its ffmpeg process (started at once), a reader thread, a bounded queue."""

    def __init__(self, url, a, threads):
        self.url, self.depth, self.a = url, a.depth, a
        self.q, self.lock = collections.deque(), threading.Lock()
        self.received = self.dropped = self.done = 0
        self.done_at, self.lat_ms = [], []  # time and latency of each result
        self.first_at, self.drop_at = None, []  # first frame's arrival; each drop's time after it
        self.ended, self.error = False, None
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-threads", str(threads)]
        cmd += ["-hwaccel", "cuda"] if a.hwaccel == "cuda" else []
        src = url
        if url.startswith("udp://"):  # darkrt's options for UDP; udp's timeout is in microseconds
            src += f"?overrun_nonfatal=1&fifo_size=278876&timeout={int(a.read_timeout * 1e6)}"
            cmd += ["-analyzeduration", "1000000", "-fpsprobesize", "3"]
        cmd += ["-i", src, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", a.pix, "-"]  # every frame once
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, bufsize=0)
        try:  # a 1 MiB pipe (Linux's default unprivileged maximum): a 6 MB frame in ~6 reads, not ~95 of 64 KiB,
            # each of which retakes the GIL from the main loop
            fcntl.fcntl(self.p.stdout.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        except OSError:
            pass
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        w, h = (int(v) for v in self.a.frame_size.split("x"))
        shape = frame_shape(w, h, self.a.pix)
        size = shape[0] * shape[1] * (shape[2] if len(shape) > 2 else 1)
        while True:
            # page-locked on a GPU (torch's caching host allocator reuses a block once its copy is done),
            # so the copy to the device is one DMA, started without waiting
            frame = torch.empty(shape, dtype=torch.uint8, pin_memory=self.a.pin)
            view, got = memoryview(frame.numpy()).cast("B"), 0
            while got < size:
                n = self.p.stdout.readinto(view[got:])
                if not n:
                    break
                got += n
            if got < size:
                if got:
                    self.error = f"{self.url}: a partial frame ({got} of {size} bytes): not {w}x{h}? (--frame-size)"
                break
            now = time.monotonic()
            with self.lock:
                if self.first_at is None:
                    self.first_at = now
                while self.q and drop_oldest(self.q, self.depth, self.a.fps, now):
                    self.q.popleft()
                    self.dropped += 1
                    self.drop_at.append(now - self.first_at)
                self.q.append((frame, now))
                self.received += 1
            self.a.ready.set()
        rc = self.p.wait()
        if rc and not self.error and not self.received:
            self.error = f"{self.url}: ffmpeg exited with {rc} before any frame"
        self.ended = True
        self.a.ready.set()


def frame_shape(w, h, pix):
    """A frame's tensor on the pipe: RGB24 (h, w, 3), or NV12 (h * 3 / 2, w): Y rows, then UV rows."""
    return (h, w, 3) if pix == "rgb24" else (h * 3 // 2, w)


def letterbox(frames, size, dev, dtype, rows, pix="rgb24"):
    """The batch's frames (all --frame-size) resized together on the device into 0.5-padded squares,
    in a batch of rows >= len(frames) (the rows after them padding). NV12 frames are resized as Y and
    UV planes and turned into RGB at the network's size (BT.601 limited range, swscale's default)."""
    x = torch.stack([f.to(dev, non_blocking=True) for f in frames])
    if pix == "rgb24":
        h, w = x.shape[1:3]
    else:
        h, w = x.shape[1] * 2 // 3, x.shape[2]
    s = min(size / w, size / h)
    nw, nh = int(w * s), int(h * s)
    if pix == "rgb24":
        x = F.interpolate(x.permute(0, 3, 1, 2).to(dtype) / 255, size=(nh, nw), mode="bilinear", align_corners=False)
    else:
        n = x.shape[0]
        y = F.interpolate(x[:, :h].unsqueeze(1).to(dtype), size=(nh, nw), mode="bilinear", align_corners=False)
        uv = x[:, h:].reshape(n, h // 2, w // 2, 2).permute(0, 3, 1, 2).to(dtype)
        uv = F.interpolate(uv, size=(nh, nw), mode="bilinear", align_corners=False) - 128
        y = (y - 16) * 1.164
        u, v = uv[:, :1], uv[:, 1:]
        x = (torch.cat([y + 1.596 * v, y - 0.392 * u - 0.813 * v, y + 2.017 * u], 1).clamp_(0, 255) / 255)
    out = torch.full((rows, 3, size, size), 0.5, device=dev, dtype=dtype)
    out[:len(frames), :, (size - nh) // 2:(size - nh) // 2 + nh, (size - nw) // 2:(size - nw) // 2 + nw] = x
    return out


def decode(heads, anchors, size, thresh=0.25, nms=0.45):
    """Boxes per batch item (network pixels), after per-class NMS: one threshold and one NMS for the
    whole batch (one sync, not one per item)."""
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
    item, idx, cls = (scores > thresh).nonzero(as_tuple=True)
    per_item = [0] * boxes.shape[0]
    if len(item):
        import torchvision  # only where a box passes (none at --thresh 1.0: Debian's torch has no torchvision)
        keep = torchvision.ops.batched_nms(boxes[item, idx], scores[item, idx, cls], item * scores.shape[-1] + cls, nms)
        for i in item[keep].tolist():
            per_item[i] += 1
    return per_item


def take(streams, k, most):
    """Every queued frame, round robin over the streams from stream k on, up to most: (frames, owners,
    arrival times, the stream to start the next batch at)."""
    batch, owners, arrived = [], [], []
    while len(batch) < most:
        before = len(batch)
        for j in range(len(streams)):
            s = streams[(k + j) % len(streams)]
            with s.lock:
                if s.q:
                    frame, t = s.q.popleft()
                    batch.append(frame), owners.append(s), arrived.append(t)
            if len(batch) == most:
                return batch, owners, arrived, (k + j + 1) % len(streams)
        if len(batch) == before:
            break
    return batch, owners, arrived, k


def pct(v, q):
    v = sorted(v)
    return round(v[min(len(v) - 1, int(q * len(v)))], 1) if v else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cfg", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--size", type=int, default=416)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--depth", type=int, default=0,
                    help="frames queued per stream before the oldest is dropped (0: darkrt's rule, max(8, 2 * ceil(batch / streams) + 2))")
    ap.add_argument("--fps", type=float, default=0,
                    help="the streams' rate, for darkrt's drop rule (0: unknown, drop at --depth)")
    ap.add_argument("--read-timeout", type=float, default=5, help="seconds of silence that end a UDP stream")
    ap.add_argument("--thresh", type=float, default=0.25, help="score threshold (1.0 for synthesised weights: no box)")
    ap.add_argument("--frame-size", default="1920x1080", help="the streams' frame size")
    ap.add_argument("--pix", choices=["nv12", "rgb24"], default="nv12",
                    help="frames on the pipe: nv12 (half the bytes; RGB made on the device after the resize) or rgb24")
    ap.add_argument("--hwaccel", choices=["none", "cuda"], default="none", help="ffmpeg decodes on NVDEC")
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda", help="cpu: float32, for trying the mechanics")
    ap.add_argument("urls", nargs="+")
    a = ap.parse_args()
    a.ready = threading.Event()  # a reader queued a frame or ended
    if a.depth < 1:  # as darkrt detect sizes its queues (cli/cmd-detect.c): each stream's share of two batches
        share = -(-a.batch // len(a.urls))
        a.depth = max(8, 2 * share + 2)
    dev = torch.device(a.device)
    if a.device == "cuda":
        torch.backends.cudnn.benchmark = True  # the padded batch sizes are few and each is warmed up below
    dtype = torch.float16 if a.device == "cuda" else torch.float32
    a.pin = a.device == "cuda"
    w, h = (int(v) for v in a.frame_size.split("x"))
    base = build_model(a.cfg, a.weights)
    model = Fast(base).to(dev).to(dtype).to(memory_format=torch.channels_last).eval()
    # each head's masked anchors (w, h in network pixels), from the cfg the model parsed; on the device once
    anchors = [torch.from_numpy(y["anchors"][y["mask"]]).to(dev) for y in base.yolo]
    # Batches run padded to a few sizes, each warmed up (cuDNN's choices, kernels loaded) before any stream
    # opens. H200 call B (session 10) warmed up batch 32 only, and batches hold one frame per stream: with
    # 8 streams (batches of 1-8, every size new at first) 135 of 182 frames a stream were dropped, with 4
    # streams 35; the first run of each new size is the likely stall ("warmup_ms" says what each costs).
    sizes = sorted({min(1 << i, a.batch) for i in range(a.batch.bit_length() + 1)})
    warmup_ms, warm_ms = {}, {}  # each size's first run (cuDNN's search, kernels loaded) and its second
    with torch.inference_mode():
        for b in sizes:
            for into in (warmup_ms, warm_ms):
                t0 = time.monotonic()
                x = letterbox([torch.zeros(frame_shape(w, h, a.pix), dtype=torch.uint8)] * b, a.size, dev, dtype, b, a.pix)
                decode(model(x.contiguous(memory_format=torch.channels_last)), anchors, a.size, a.thresh)
                into[b] = round((time.monotonic() - t0) * 1000, 1)
    if a.pin:  # the page-locked blocks every queue can hold, allocated once (cudaHostAlloc is slow and serial)
        warm = [torch.empty(frame_shape(w, h, a.pix), dtype=torch.uint8, pin_memory=True)
                for _ in range(len(a.urls) * (a.depth + 2))]
        del warm
    threads = max(1, (os.cpu_count() or 1) // len(a.urls))
    try:
        streams = [Stream(u, a, threads) for u in a.urls]
    except OSError as e:
        print(f"torch_video.py: cannot start ffmpeg: {e}", file=sys.stderr)
        sys.exit(2)
    start, k, batch_ms, batch_n = time.time(), 0, [], []
    with torch.inference_mode():
        while True:
            a.ready.clear()  # before looking, so a frame queued after the look wakes the wait below
            batch, owners, arrived, k = take(streams, k, a.batch)
            if not batch:
                if all(s.ended for s in streams):
                    break
                a.ready.wait(0.005)
                continue
            t0 = time.monotonic()
            rows = next(b for b in sizes if b >= len(batch))
            x = letterbox(batch, a.size, dev, dtype, rows, a.pix).contiguous(memory_format=torch.channels_last)
            heads = [t[:len(batch)] for t in model(x)]
            decode(heads, anchors, a.size, a.thresh)  # its boxes counted on the host: the batch is done
            now = time.monotonic()
            batch_ms.append((now - t0) * 1000)
            batch_n.append(len(batch))
            for s, t in zip(owners, arrived):
                s.done += 1
                s.done_at.append(now)
                s.lat_ms.append((now - t) * 1000)
    for s in streams:
        if s.error:
            print(f"torch_video.py: {s.error}", file=sys.stderr)
    how = "ffmpeg CLI " + ("NVDEC" if a.hwaccel == "cuda" else "CPU") + " decode"
    per_stream = []
    for s in streams:
        last = s.done - RATE_TAIL if s.done > RATE_TAIL else s.done - 1
        span = s.done_at[last] - s.done_at[0] if last > 0 else 0.0
        per_stream.append({"url": s.url, "frames": s.done, "received": s.received, "dropped": s.dropped,
                     "fps": round(last / span, 2) if span > 0 else 0.0, "span_s": round(span, 3),
                     "dropped_first_s": sum(t < 1.0 for t in s.drop_at),
                     "dropped_later": sum(t >= 1.0 for t in s.drop_at),
                     "drop_at_s": [round(t, 2) for t in s.drop_at[:8]],
                     "latency_ms": {"mean": round(sum(s.lat_ms) / len(s.lat_ms), 1) if s.lat_ms else 0.0,
                                    "max": round(max(s.lat_ms), 1) if s.lat_ms else 0.0}})
    batches = {"count": len(batch_n), "mean_size": round(sum(batch_n) / len(batch_n), 2) if batch_n else 0.0,
               "ms_median": pct(batch_ms, 0.5), "ms_p90": pct(batch_ms, 0.9), "ms_max": pct(batch_ms, 1.0)}
    print(json.dumps({"peer": f"pytorch {torch.__version__} + {how}", "pix": a.pix, "device": a.device, "batch_sizes": sizes,
                      "depth": a.depth, "warmup_ms": warmup_ms, "warm_ms": warm_ms, "batches": batches, "seconds": round(time.time() - start, 3), "streams": per_stream}))


if __name__ == "__main__":
    main()
