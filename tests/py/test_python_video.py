#!/usr/bin/env python3
"""Video sources in Engine.stream (python/), against the darkrt CLI on the same clips made by the
ffmpeg CLI from Darknet's sample images (as tests/cli/video-detect.sh makes them): every frame's
detections, index and pts equal `darkrt detect`'s JSON Lines; frames come back as numpy and detect
to the same boxes; image sequences equal detect on their files; a missing and a corrupt video raise
darkrt.Error with darkrt's one-line message after the frames decoded before; a live UDP source
with a slow consumer drops old frames and reports them; an RTSP source on loopback gives every frame
with its pts and the file's detections."""
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from darkrt_pkg import BUILD, import_darkrt  # noqa: E402

SHARED = os.environ.get("DRT_SHARED") or os.path.join(
    os.environ.get("DRT_ROOT", os.path.join(os.path.dirname(__file__), "..", "..")), "..", "shared")
MODELS = os.path.join(SHARED, "models", "yolo-fastest-1.1")
CFG = os.path.join(MODELS, "yolo-fastest-1.1.cfg")
WEIGHTS = os.path.join(MODELS, "yolo-fastest-1.1.weights")
DATA = "/usr/share/darknet/data"
CLI = os.path.join(BUILD, "darkrt")
FF = ["ffmpeg", "-nostdin", "-v", "error", "-y"]

darkrt = import_darkrt()


@pytest.fixture(scope="module")
def engine():
    return darkrt.Model(CFG, WEIGHTS).build(device="cpu", batch=4, threads=1)  # 2 shared cores: no spinning


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """The 7 sample images at 320x240 (PNG sequence), and a 5 fps H.264 clip of them with B-frames."""
    d = tmp_path_factory.mktemp("clips")
    subprocess.run(FF + ["-pattern_type", "glob", "-i", f"{DATA}/*.jpg", "-vf", "scale=320:240",
                         str(d / "seq-%02d.png")], check=True)
    subprocess.run(FF + ["-framerate", "5", "-i", str(d / "seq-%02d.png"), "-c:v", "libx264", "-bf", "2", "-g", "4",
                         "-pix_fmt", "yuv420p", str(d / "clip.mp4")], check=True)
    return d


def cli_lines(video, tmp_path):
    out = tmp_path / "cli.jsonl"
    subprocess.run([CLI, "detect", CFG, "-w", WEIGHTS, str(video), "--json", str(out)], check=True,
                   capture_output=True)
    return [json.loads(line) for line in out.read_text().splitlines()]


def assert_same_detections(det, ref):
    """ref: a CLI JSON detections list. Scores may differ in the last printed digit and boxes in
    the second decimal: the CLI batches the video's frames differently (oneDNN rounds by batch)."""
    assert len(det) == len(ref), (det, ref)
    for i, r in enumerate(ref):
        assert det.class_ids[i] == r["class_id"] and det.labels[i] == r["label"]
        assert abs(det.scores[i] - r["score"]) < 1e-5
        assert np.abs(det.boxes[i] - [r["box"][k] for k in ("x1", "y1", "x2", "y2")]).max() < 0.02


def test_video_frames_equal_cli_json_lines(engine, clips, tmp_path):
    video = str(clips / "clip.mp4")
    ref = cli_lines(video, tmp_path)
    got = list(engine.stream([video]))
    assert len(got) == len(ref) == 7
    for g, r in zip(got, ref):
        assert g.error is None and g.index == 0 and g.source == video == r["source"]
        assert g.frame_index == r["frame"] and abs(g.pts - r["pts"]) < 1e-6 and g.frame is None
        assert (g.detections.width, g.detections.height) == (r["width"], r["height"]) == (320, 240)
        assert_same_detections(g.detections, r["detections"])
    assert [g.frame_index for g in got] == list(range(7))
    assert sum(len(g.detections) for g in got) >= 7  # real scenes: the comparison compared something


def test_frames_as_numpy_detect_to_the_same_boxes(engine, clips):
    video = str(clips / "clip.mp4")
    for rgb in (False, True):
        got = list(engine.stream([video], frames=True, rgb=rgb))
        assert len(got) == 7
        for g in got:
            assert g.frame.dtype == np.uint8 and g.frame.shape == (240, 320, 3)
            again = engine.detect(g.frame, rgb=rgb)
            assert np.array_equal(again.boxes, g.detections.boxes) and np.array_equal(again.scores, g.detections.scores)
        if not rgb:
            bgr = [g.frame for g in got]
    assert all(np.array_equal(b, g.frame[..., ::-1]) for b, g in zip(bgr, got))  # BGR is RGB reversed


def test_sequences_images_and_frames_in_one_stream(engine, clips):
    """An image-sequence pattern is a video source: its frames are the PNGs' pixels, so detect on
    the files gives the same detections to the bit; images and frames around it keep their places."""
    pngs = sorted(glob.glob(str(clips / "seq-*.png")))
    pattern = str(clips / "seq-%02d.png")
    frame = darkrt.imread(os.path.join(DATA, "dog.jpg"))
    got = list(engine.stream([pngs[0], pattern, frame], batch=3))
    assert [(g.index, g.frame_index) for g in got] == [(0, None)] + [(1, i) for i in range(7)] + [(2, None)]
    assert got[0].pts is None and got[-1].source is None
    for g, want in zip(got, engine.detect(pngs[:1] + pngs + [frame])):
        assert g.error is None and np.array_equal(g.detections.boxes, want.boxes)
        assert np.array_equal(g.detections.scores, want.scores) and g.detections.labels == want.labels


def test_missing_video_raises_the_one_line_error(engine, clips, tmp_path):
    missing = str(tmp_path / "nothere.mp4")
    stream = engine.stream([os.path.join(DATA, "dog.jpg"), missing, os.path.join(DATA, "horses.jpg")])
    first = next(stream)  # the image before it is still yielded
    assert first.index == 0 and len(first.detections) > 0
    with pytest.raises(darkrt.Error, match=r"nothere\.mp4: cannot open: No such file") as e:
        next(stream)
    assert "\n" not in str(e.value) and e.value.status != 0
    assert len(engine.detect(os.path.join(DATA, "dog.jpg"))) == len(first.detections)  # the engine is free again


def test_corrupt_video_raises_after_the_frames_before(engine, clips, tmp_path):
    """Second half corrupted (as tests/cli/video-detect.sh does): the error names the frame reached
    and the stream gave every frame before it, as the CLI does."""
    long_mp4, bad = tmp_path / "long.mp4", tmp_path / "bad.mp4"
    subprocess.run(FF + ["-stream_loop", "2", "-framerate", "10", "-i", str(clips / "seq-%02d.png"), "-c:v", "libx264",
                         "-g", "5", "-frames:v", "20", "-movflags", "+faststart", str(long_mp4)], check=True)
    data = bytearray(long_mp4.read_bytes())
    for i in range(len(data) // 2, len(data), 97):
        data[i] ^= 0x5A
    bad.write_bytes(data)
    got = []
    with pytest.raises(darkrt.Error) as e:
        for item in engine.stream([str(bad)]):
            got.append(item)
    message = str(e.value)
    assert message.startswith(f"{bad}: frame ") and "\n" not in message, message
    reached = int(message[len(f"{bad}: frame "):].split(":")[0])
    assert 0 < reached < 20 and [g.frame_index for g in got] == list(range(reached)), (message, len(got))
    cli = subprocess.run([CLI, "detect", CFG, "-w", WEIGHTS, str(bad), "--json", str(tmp_path / "bad.jsonl")],
                         capture_output=True, text=True)
    assert cli.returncode == 1 and cli.stderr.strip().endswith(message.split(": ", 1)[1]), (cli.stderr, message)


def serve_udp(video, port, started):
    """Sends `video` at its own rate (ffmpeg -re) as MPEG-TS to udp://127.0.0.1:port once something
    listens there (its socket in /proc/net/udp: the stream has opened it)."""
    hexport = f":{port:04X} "
    for _ in range(300):
        with open("/proc/net/udp") as f:
            if hexport in f.read():
                break
        time.sleep(0.1)
    started.append(time.monotonic())
    subprocess.run(FF + ["-re", "-i", str(video), "-c", "copy", "-f", "mpegts", f"udp://127.0.0.1:{port}?pkt_size=1316"],
                   check=True)


def test_live_udp_slow_consumer_drops_old_frames(engine, clips, tmp_path):
    """40 frames at 10 fps over UDP loopback, a consumer taking 0.5 s an item: the source keeps its
    pace by dropping old frames, reported in .dropped and by the gaps in frame_index; the newest
    frame is kept; the stream's stop is darkrt.Error after `timeout` (as tests/cli/video-live.sh)."""
    fast = tmp_path / "fast.mp4"
    subprocess.run(FF + ["-stream_loop", "5", "-framerate", "10", "-i", str(clips / "seq-%02d.png"), "-frames:v", "40",
                         "-vf", "scale=160:120", "-c:v", "libx264", "-g", "4", "-bf", "0", str(fast)], check=True)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = []
    server = threading.Thread(target=serve_udp, args=(fast, port, started))
    server.start()
    got = []
    try:
        with pytest.raises(darkrt.Error, match=r"no data for 1\.0 s") as e:
            for item in engine.stream([f"udp://127.0.0.1:{port}"], timeout=1, batch=1, max_in_flight=1):
                got.append(item)
                time.sleep(0.5)
    finally:
        server.join()
    seconds = time.monotonic() - started[0]
    frames, dropped = [g.frame_index for g in got], sum(g.dropped for g in got)
    assert "\n" not in str(e.value)
    assert frames == sorted(set(frames)) and frames[-1] == 39 and dropped > 0, (frames, dropped)
    assert len(frames) + dropped == 40, (frames, dropped)
    # Every gap is reported by the item after it.
    assert all(g.dropped == g.frame_index - (p.frame_index + 1) for p, g in zip(got, got[1:])), [g.dropped for g in got]
    assert seconds < 14, seconds  # 40 frames at 0.5 s would take 20 s


def test_live_rtsp_every_frame_as_the_file(engine, clips, tmp_path):
    """12 frames at 4 fps over RTSP on loopback (tests/tools/rtsp-serve.py, RTP interleaved in TCP): every
    frame in order, pts 0.25 s apart from 0, none dropped, the stream's end no error; the frames are the
    file's (the same H.264 sent as is), so their detections equal `darkrt detect` on the file's."""
    video = tmp_path / "slow.mp4"
    subprocess.run(FF + ["-stream_loop", "1", "-framerate", "4", "-i", str(clips / "seq-%02d.png"), "-frames:v", "12",
                         "-c:v", "libx264", "-g", "4", "-bf", "0", str(video)], check=True)
    ref = cli_lines(video, tmp_path)
    port_file = tmp_path / "port"
    root = os.environ.get("DRT_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
    server = subprocess.Popen([sys.executable, os.path.join(root, "tests", "tools", "rtsp-serve.py"), str(video),
                               str(port_file)], stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            if port_file.exists():
                break
            time.sleep(0.1)
        url = f"rtsp://127.0.0.1:{port_file.read_text()}/live"
        got = list(engine.stream([url], timeout=5))
        assert server.wait(timeout=20) == 0 and server.stdout.read() == "PLAY over tcp\n"
    finally:
        server.kill()
        server.wait()
    assert [g.frame_index for g in got] == list(range(12)) and len(ref) == 12
    for i, (g, r) in enumerate(zip(got, ref)):
        assert g.error is None and g.source == url and g.dropped == 0
        assert abs(g.pts - i * 0.25) < 0.01, [g.pts for g in got]
        assert_same_detections(g.detections, r["detections"])
    assert sum(len(g.detections) for g in got) >= 12


if __name__ == "__main__":
    if not os.path.exists(WEIGHTS):
        print(f"{WEIGHTS}: the yolo-fastest-1.1 weights are not there")
        sys.exit(77)
    if not shutil.which("ffmpeg"):
        print("no ffmpeg CLI (scripts/deps.sh installs it)")
        sys.exit(77)
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))
