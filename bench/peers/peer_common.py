"""The peers' own pipeline around a framework: image decoding (stb, as Darknet), Darknet's
letterbox or stretch, YOLO decode and per-class NMS in numpy, timing, and darkrt compare's JSON
entry. Like darkrt, they follow the cfg as AlexeyAB's Darknet does: [net] letter_box, and the
last [yolo]'s nms_kind (greedynms, diounms: DIoU) and beta_nms.

A peer script supplies infer(input NCHW float32) -> list of head arrays; run_peer() does the rest
and writes the entry `darkrt compare --peer-json` reads."""
import argparse
import ctypes
import ctypes.util
import json
import os
import sys
import time

import numpy as np

from darknet_cfg import parse_cfg, yolo_heads

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pnm")
_stb = None


def _stb_lib():
    global _stb
    if _stb is None:
        name = ctypes.util.find_library("stb") or "libstb.so.0"
        _stb = ctypes.CDLL(name)
        _stb.stbi_load.restype = ctypes.POINTER(ctypes.c_ubyte)
        _stb.stbi_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int),
                                   ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        _stb.stbi_image_free.argtypes = [ctypes.c_void_p]
    return _stb


def load_image(path):
    """RGB float32 CHW in [0,1], decoded by stb_image (Debian's libstb) as Darknet does."""
    lib = _stb_lib()
    w, h, c = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    ptr = lib.stbi_load(os.fsencode(path), ctypes.byref(w), ctypes.byref(h), ctypes.byref(c), 3)
    if not ptr:
        raise ValueError(f"{path}: cannot decode the image")
    try:
        pixels = np.ctypeslib.as_array(ptr, shape=(h.value, w.value, 3)).copy()
    finally:
        lib.stbi_image_free(ptr)
    return np.ascontiguousarray(pixels.transpose(2, 0, 1).astype(np.float32) / np.float32(255))


def letterbox_size(img_w, img_h, net_w, net_h):
    """Darknet's letterbox_image sizes (integer arithmetic as in C)."""
    if net_w / img_w < net_h / img_h:
        return net_w, (img_h * net_w) // img_w
    return (img_w * net_h) // img_h, net_h


def resize_darknet(im, w, h):
    """Darknet's resize_image: bilinear, horizontal pass then vertical, in float32."""
    c, ih, iw = im.shape
    f32 = np.float32
    w_scale = f32(iw - 1) / f32(w - 1) if w > 1 else f32(0)
    h_scale = f32(ih - 1) / f32(h - 1) if h > 1 else f32(0)
    sx = np.arange(w, dtype=np.float32) * w_scale
    ix = sx.astype(np.int64)
    dx = (sx - ix.astype(np.float32)).astype(np.float32)
    ix1 = np.minimum(ix + 1, iw - 1)
    part = (f32(1) - dx) * im[:, :, ix] + dx * im[:, :, ix1]
    if iw == 1:
        part = np.repeat(im[:, :, -1:], w, axis=2)
    else:
        part[:, :, w - 1] = im[:, :, iw - 1]
    sy = np.arange(h, dtype=np.float32) * h_scale
    iy = sy.astype(np.int64)
    dy = (sy - iy.astype(np.float32)).astype(np.float32)
    out = (f32(1) - dy)[None, :, None] * part[:, iy, :]
    last = (np.arange(h) == h - 1) | (ih == 1)
    iy1 = np.minimum(iy + 1, ih - 1)
    add = dy[None, :, None] * part[:, iy1, :]
    out = out + np.where(last[None, :, None], f32(0), add)
    return out.astype(np.float32)


def letterbox(im, net_w, net_h):
    """Darknet's letterbox_image: aspect kept, centred on 0.5 grey. Returns 1x3xHxW float32."""
    c, ih, iw = im.shape
    new_w, new_h = letterbox_size(iw, ih, net_w, net_h)
    boxed = np.full((c, net_h, net_w), 0.5, dtype=np.float32)
    dx, dy = (net_w - new_w) // 2, (net_h - new_h) // 2
    boxed[:, dy:dy + new_h, dx:dx + new_w] = resize_darknet(im, new_w, new_h)
    return boxed[None]


def stretch(im, net_w, net_h):
    """Darknet's resize_image to the network size (AlexeyAB's detector without letter_box=1)."""
    return resize_darknet(im, net_w, net_h)[None]


def detect_semantics(secs):
    """(letter_box, nms_kind, beta_nms) as AlexeyAB's test_detector takes them from the cfg."""
    letter = int(secs[0][1].get("letter_box", "0")) != 0
    kind, beta = "default", 0.6
    for name, keys, _ in secs:
        if name == "yolo":
            kind = keys.get("nms_kind", "default")
            kind = kind if kind in ("greedynms", "diounms") else "default"
            beta = float(keys.get("beta_nms", "0.6"))
    return letter, kind, beta


def _sigmoid(x):
    return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)


def decode(heads, metas, net_w, net_h, img_w, img_h, thresh, letter=True):
    """Darknet's get_yolo_detections + correct_yolo_boxes: rows (x1, y1, x2, y2, score, class)."""
    new_w, new_h = letterbox_size(img_w, img_h, net_w, net_h) if letter else (net_w, net_h)
    rows = []
    for t, m in zip(heads, metas):
        t = np.asarray(t, dtype=np.float32).reshape(len(m["anchors"]), 5 + m["classes"], *t.shape[-2:])
        na, _, lh, lw = t.shape
        s = m["scale_x_y"]
        obj = t[:, 4] if m["new_coords"] else _sigmoid(t[:, 4])
        a_idx, r_idx, c_idx = np.nonzero(obj > thresh)
        if a_idx.size == 0:
            continue
        p = t[a_idx, :, r_idx, c_idx]
        tx, ty = (p[:, 0], p[:, 1]) if m["new_coords"] else (_sigmoid(p[:, 0]), _sigmoid(p[:, 1]))
        tx, ty = tx * s - 0.5 * (s - 1), ty * s - 0.5 * (s - 1)
        anchors = np.asarray(m["anchors"], dtype=np.float64)[a_idx]
        bx, by = (c_idx + tx) / lw, (r_idx + ty) / lh
        if m["new_coords"]:
            bw = p[:, 2] ** 2 * 4 * anchors[:, 0] / net_w
            bh = p[:, 3] ** 2 * 4 * anchors[:, 1] / net_h
        else:
            bw = np.exp(p[:, 2].astype(np.float64)) * anchors[:, 0] / net_w
            bh = np.exp(p[:, 3].astype(np.float64)) * anchors[:, 1] / net_h
        bx = (bx - (net_w - new_w) / 2.0 / net_w) / (new_w / net_w)
        by = (by - (net_h - new_h) / 2.0 / net_h) / (new_h / net_h)
        bw, bh = bw * net_w / new_w, bh * net_h / new_h
        o = obj[a_idx, r_idx, c_idx]
        cls = p[:, 5:] if m["new_coords"] else _sigmoid(p[:, 5:])
        prob = o[:, None] * cls
        k, j = np.nonzero(prob > thresh)
        for kk, jj in zip(k.tolist(), j.tolist()):
            rows.append(((bx[kk] - bw[kk] / 2) * img_w, (by[kk] - bh[kk] / 2) * img_h,
                         (bx[kk] + bw[kk] / 2) * img_w, (by[kk] + bh[kk] / 2) * img_h, float(prob[kk, jj]), jj))
    return rows


def _iou(a, b):
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _diou(a, b, beta, img_w, img_h):
    """AlexeyAB's box_diou / box_diounms on image-relative boxes: IoU - (d^2 / c^2)^beta."""
    a = (a[0] / img_w, a[1] / img_h, a[2] / img_w, a[3] / img_h)
    b = (b[0] / img_w, b[1] / img_h, b[2] / img_w, b[3] / img_h)
    w, h = max(a[2], b[2]) - min(a[0], b[0]), max(a[3], b[3]) - min(a[1], b[1])
    c = w * w + h * h
    if c == 0:
        return _iou(a, b)
    d = ((a[0] + a[2]) / 2 - (b[0] + b[2]) / 2) ** 2 + ((a[1] + a[3]) / 2 - (b[1] + b[3]) / 2) ** 2
    return _iou(a, b) - (d / c) ** beta


def nms(rows, thresh, img_w, img_h, kind="default", beta=0.6):
    """Darknet's do_nms_sort (or AlexeyAB's diounms_sort) per class, then boxes clamped to the
    image; sorted by score."""
    if kind == "default":
        overlap = _iou
    else:
        overlap = lambda k, r: _diou(k, r, 0.6 if kind == "greedynms" else beta, img_w, img_h)
    kept = []
    for cls in sorted({r[5] for r in rows}):
        mine = sorted((r for r in rows if r[5] == cls), key=lambda r: -r[4])
        chosen = []
        for r in mine:
            if all(overlap(k, r) <= thresh for k in chosen):
                chosen.append(r)
        kept.extend(chosen)
    kept.sort(key=lambda r: (-r[4], r[5]))
    clamp = lambda v, hi: min(max(float(v), 0.0), float(hi))
    return [{"class_id": int(r[5]), "score": float(r[4]),
             "box": {"x1": clamp(r[0], img_w), "y1": clamp(r[1], img_h), "x2": clamp(r[2], img_w),
                     "y2": clamp(r[3], img_h)}} for r in kept]


def list_images(inputs):
    paths = []
    for p in inputs:
        if os.path.isdir(p):
            names = sorted(n for n in os.listdir(p) if not n.startswith(".") and n.lower().endswith(IMAGE_EXTS))
            if not names:
                raise SystemExit(f"{p}: no image files")
            paths.extend(os.path.join(p, n) for n in names)
        elif os.path.exists(p):
            paths.append(p)
        else:
            raise SystemExit(f"{p}: no such file or directory")
    return paths


def peak_rss_bytes():
    """VmHWM of this process (the same measure darkrt compare's workers report)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def percentile(values, p):
    return float(np.percentile(np.asarray(values, dtype=np.float64), p)) if values else None


def common_args(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("images", nargs="+", help="images or directories")
    ap.add_argument("--cfg", required=True, help="the Darknet .cfg (heads metadata; the model for PyTorch)")
    ap.add_argument("--names", help="class names, one a line")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: the framework's default)")
    ap.add_argument("--thresh", type=float, default=0.25)
    ap.add_argument("--nms", type=float, default=0.45)
    ap.add_argument("--name", help="the column name in darkrt compare's table")
    ap.add_argument("-o", "--output", required=True, help="the JSON entry to write")
    return ap


def run_peer(args, infer, identity):
    """Times decode-free preprocess (letterbox or stretch), inference and postprocess per image over
    warm-up + runs, and writes the entry. identity: name, runtime, device, precision,
    threads, and optionally device_memory() -> bytes."""
    secs = parse_cfg(args.cfg)
    net_w, net_h, metas = yolo_heads(secs)
    letter, kind, beta = detect_semantics(secs)
    names = None
    if args.names:
        with open(args.names) as f:
            names = [line.strip() for line in f]
    images, times = [], {"preprocess": [], "inference": [], "postprocess": []}
    for path in list_images(args.images):
        im = load_image(path)
        img_h, img_w = im.shape[1], im.shape[2]
        dets = []
        for r in range(args.warmup + args.runs):
            t0 = time.perf_counter()
            x = letterbox(im, net_w, net_h) if letter else stretch(im, net_w, net_h)
            t1 = time.perf_counter()
            heads = infer(x)
            t2 = time.perf_counter()
            rows = decode(heads, metas, net_w, net_h, img_w, img_h, args.thresh, letter)
            dets = nms(rows, args.nms, img_w, img_h, kind, beta)
            t3 = time.perf_counter()
            if r >= args.warmup:
                times["preprocess"].append((t1 - t0) * 1e3)
                times["inference"].append((t2 - t1) * 1e3)
                times["postprocess"].append((t3 - t2) * 1e3)
        for d in dets:
            d["label"] = names[d["class_id"]] if names and d["class_id"] < len(names) else None
        images.append({"image": path, "width": img_w, "height": img_h, "detections": dets})
    dev_mem = identity.get("device_memory")
    entry = {
        "engine": args.name or identity["name"], "kind": "peer", "runtime": identity["runtime"],
        "device": identity["device"], "precision": identity["precision"], "available": True, "failed": False,
        "reason": None, "threads": identity["threads"], "runs": args.runs, "warmup": args.warmup,
        "timing_ms": {k: {"median": percentile(v, 50), "p90": percentile(v, 90)} for k, v in times.items()},
        "peak_rss_bytes": peak_rss_bytes(), "device_memory_bytes": dev_mem() if dev_mem else None,
        "images": images,
    }
    tmp = f"{args.output}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(entry, f, indent=1)
        f.write("\n")
    os.replace(tmp, args.output)
    print(f"{entry['engine']}: inference {entry['timing_ms']['inference']['median']:.2f} ms median over "
          f"{len(images)} image(s); wrote {args.output}", file=sys.stderr)
