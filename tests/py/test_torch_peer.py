#!/usr/bin/python3
"""The PyTorch peer's whole pipeline (stb decoding, the cfg's letterbox or stretch, torch_darknet forward, YOLO
decode and NMS in numpy: bench/peers/) and darkrt's (decoding, letterbox, reference engine, decode,
NMS) find the same boxes on a lossless image: `darkrt compare --peer-json` reports every box matched,
IoU 1 and scores within 1e-4. Two independent implementations of Darknet's pre- and postprocessing
agreeing, and the --peer-json path working end to end."""
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np

ROOT = os.environ.get("DRT_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("DRT_BUILD") or os.path.join(ROOT, "build-asan")
DARKRT = os.path.join(BUILD, "darkrt")
SHARED = os.environ.get("DRT_SHARED") or os.path.join(ROOT, "..", "shared")
MODEL = os.path.join(SHARED, "models", "yolo-fastest-1.1")
PEERS = os.path.join(ROOT, "bench", "peers")
sys.path.insert(0, PEERS)


def skip(why):
    print(f"skipped: {why}")
    sys.exit(77)


def write_png(path, rgb):
    """8-bit RGB PNG with zlib alone (no image library on this Python)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def main():
    if not os.access(DARKRT, os.X_OK):
        skip(f"{DARKRT} is not built")
    cfg, weights = os.path.join(MODEL, "yolo-fastest-1.1.cfg"), os.path.join(MODEL, "yolo-fastest-1.1.weights")
    if not os.path.exists(weights):
        skip("no yolo-fastest-1.1 weights in ../shared/models")
    import peer_common
    try:
        pixels = peer_common.load_image("/usr/share/darknet/data/horses.jpg")
    except OSError as e:
        skip(f"no libstb for the peer's decoder: {e}")
    with tempfile.TemporaryDirectory() as tmp:
        # The photo through a lossless file, cropped to an odd size so the letterbox pads unevenly.
        png = os.path.join(tmp, "horses.png")
        write_png(png, np.round(pixels[:, :401, :573] * 255).astype(np.uint8).transpose(1, 2, 0).copy())
        peer_json, report = os.path.join(tmp, "peer.json"), os.path.join(tmp, "report.json")
        subprocess.run([sys.executable, os.path.join(PEERS, "pytorch_peer.py"), "--cfg", cfg, "--weights", weights,
                        "--runs", "1", "--warmup", "0", png, "-o", peer_json], check=True)
        p = subprocess.run([DARKRT, "compare", cfg, png, "--weights", weights, "--engines", "ref", "--runs", "1",
                            "--warmup", "0", "--peer-json", peer_json, "--json", report],
                           capture_output=True, text=True)
        print(p.stdout)
        if p.returncode != 0:
            raise SystemExit(f"FAIL: darkrt compare exited {p.returncode}: {p.stderr.strip()}")
        engines = {e["engine"]: e for e in json.load(open(report))["engines"]}
    ref, peer = engines["ref"], engines["pytorch-cpu"]
    n = len(ref["images"][0]["detections"])
    a = peer["agreement"]
    print(f"reference boxes {n}; peer agreement {a}")
    ok = n >= 2 and (a["matched"], a["missing"], a["extra"]) == (n, 0, 0)
    ok = ok and a["mean_iou"] > 0.9999 and a["max_score_delta"] < 1e-4 and a["map50"] == 1
    if not ok:
        print("FAIL: the peer's pipeline and darkrt's disagree on a lossless image")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
