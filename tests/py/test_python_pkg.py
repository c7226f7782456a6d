#!/usr/bin/env python3
"""The darkrt Python package (python/) against the darkrt CLI: detect on numpy frames and files equals
`darkrt detect`, BGR = RGB, bad frames get clear errors, engines are freed, no leak over 10,000 calls,
threads share an engine, raw runs equal `darkrt run`, plans and convert equal the CLI's, engines leave the
caller's OpenMP thread count alone."""
import ctypes
import gc
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import weakref

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from darkrt_pkg import BUILD, import_darkrt  # noqa: E402

darkrt = import_darkrt()

SHARED = os.environ.get("DRT_SHARED") or os.path.join(
    os.environ.get("DRT_ROOT", os.path.join(os.path.dirname(__file__), "..", "..")), "..", "shared")
MODELS = os.path.join(SHARED, "models", "yolo-fastest-1.1")
CFG = os.path.join(MODELS, "yolo-fastest-1.1.cfg")
WEIGHTS = os.path.join(MODELS, "yolo-fastest-1.1.weights")
DATA = "/usr/share/darknet/data"
IMAGES = [os.path.join(DATA, n) for n in ("dog.jpg", "person.jpg", "horses.jpg")]
CLI = os.path.join(BUILD, "darkrt")

# A tiny model (64x64 input, one head, zero weights: every cell scores 0.25) keeps 10,000 calls fast.
TINY_CFG = """[net]
width=64
height=64
channels=3
[convolutional]
batch_normalize=1
filters=8
size=3
stride=2
pad=1
activation=leaky
[maxpool]
size=4
stride=4
[convolutional]
filters=21
size=1
stride=1
pad=1
activation=linear
[yolo]
mask=0,1,2
anchors=10,14, 23,27, 37,58
classes=2
num=3
"""


@pytest.fixture(scope="module")
def engine():
    return darkrt.Model(CFG, WEIGHTS).build(device="cpu", batch=4, threads=1)  # 2 shared cores: no spinning


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny.cfg"
    path.write_text(TINY_CFG)
    return darkrt.Model(str(path)).build(device="cpu", threads=1)


def cli_detect(images):
    out = tempfile.mktemp(suffix=".json")
    subprocess.run([CLI, "detect", CFG, "-w", WEIGHTS, *images, "--json", out, "-o", tempfile.mkdtemp()],
                   check=True, capture_output=True)
    with open(out) as f:
        results = json.load(f)
    return results if isinstance(results, list) else [results]


def assert_same_as_cli(det, ref):
    assert (det.width, det.height) == (ref["width"], ref["height"])
    assert len(det) == len(ref["detections"]), (det, ref)
    for i, r in enumerate(ref["detections"]):
        assert det.class_ids[i] == r["class_id"] and det.labels[i] == r["label"]
        assert abs(det.scores[i] - r["score"]) <= 5e-7 + 1e-6
        box = [r["box"][k] for k in ("x1", "y1", "x2", "y2")]
        assert np.abs(det.boxes[i] - box).max() <= 0.005 + 1e-4  # the JSON prints 2 decimals


def test_detect_numpy_equals_cli(engine):
    refs = cli_detect(IMAGES)
    frames = [darkrt.imread(p) for p in IMAGES]
    for det, ref in zip(engine.detect(frames), refs):
        assert_same_as_cli(det, ref)
    for det, ref in zip(engine.detect(IMAGES), refs):  # file paths: darkrt decodes them
        assert_same_as_cli(det, ref)
    assert sum(len(r["detections"]) for r in refs) > 5  # the comparison compared something


def test_bgr_and_rgb_give_the_same_boxes(engine):
    bgr = darkrt.imread(IMAGES[0])
    rgb = darkrt.imread(IMAGES[0], rgb=True)
    assert np.array_equal(rgb, bgr[..., ::-1])
    a, b = engine.detect(bgr), engine.detect(rgb, rgb=True)
    assert len(a) > 0 and np.array_equal(a.boxes, b.boxes) and np.array_equal(a.scores, b.scores)
    c = engine.detect(rgb)  # RGB read as BGR: other colours, other scores
    assert not (len(c) == len(a) and np.array_equal(a.scores, c.scores))


def test_padded_rows_are_read_in_place(engine):
    big = np.zeros((700, 900, 3), np.uint8)
    frame = darkrt.imread(IMAGES[0])
    big[50:50 + frame.shape[0], 60:60 + frame.shape[1]] = frame
    view = big[50:50 + frame.shape[0], 60:60 + frame.shape[1]]
    assert not view.flags.c_contiguous
    a, b = engine.detect(view), engine.detect(frame)
    assert np.array_equal(a.boxes, b.boxes)


@pytest.mark.parametrize("make, words", [
    (lambda f: f[:, ::2], "strides"),                     # columns skipped
    (lambda f: f[..., ::-1], "strides"),                  # a channel flip view
    (lambda f: np.asfortranarray(f), "strides"),
    (lambda f: f[..., 0], "grayscale"),
    (lambda f: f.astype(np.float32), "dtype float32"),
    (lambda f: f.astype(np.uint16), "must be uint8"),
    (lambda f: f[..., :2], "shape (576 x 768 x 2)"),
    (lambda f: np.dstack([f, f[..., :1]]), "shape (576 x 768 x 4)"),
    (lambda f: f[None], "shape (1 x 576 x 768 x 3)"),
    (lambda f: f[:0], "0 pixels"),
    (lambda f: 42, "a int"),
])
def test_bad_frames_raise_clear_errors(engine, make, words):
    frame = darkrt.imread(IMAGES[0])
    with pytest.raises(darkrt.Error) as e:
        engine.detect([frame, make(frame)])
    msg = str(e.value)
    assert msg.startswith("frame 1: ") and words in msg and "\n" not in msg, msg
    assert e.value.status == 1  # DRT_STATUS_INVALID_ARG


def test_bad_files_and_options_raise_darkrt_messages(engine, tmp_path):
    with pytest.raises(darkrt.Error, match="no-such.jpg"):
        engine.detect(str(tmp_path / "no-such.jpg"))
    bad = tmp_path / "bad.cfg"
    bad.write_text("[net]\nwidth=0\n")
    with pytest.raises(darkrt.Error, match="bad.cfg"):
        darkrt.Model(str(bad))
    with pytest.raises(darkrt.Error, match="device 'tpu'"):
        darkrt.Model(CFG, WEIGHTS).build(device="tpu")
    with pytest.raises(darkrt.Error, match="thresh"):
        engine.detect(IMAGES[0], thresh=2)


def rss_kib():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def test_engine_freed_when_collected():
    model = darkrt.Model(CFG, WEIGHTS)
    for _ in range(3):  # warm up allocator and oneDNN caches
        model.build(threads=1).detect(IMAGES[0])
    gc.collect()
    before = rss_kib()
    alive = [model.build(threads=1) for _ in range(10)]
    for e in alive:
        e.detect(IMAGES[0])
    ten = rss_kib() - before  # what 10 live engines hold
    assert ten > 4096, f"10 engines held only {ten} KiB"
    refs = [weakref.ref(e) for e in alive]
    del alive, e
    gc.collect()
    settled = rss_kib()  # glibc may keep freed heap: what matters is that cycles do not add to it
    for _ in range(20):
        e = model.build(threads=1)
        refs.append(weakref.ref(e))
        e.detect(IMAGES[0])
        del e
    gc.collect()
    assert all(r() is None for r in refs)
    grown = rss_kib() - settled
    assert grown < ten // 4, f"RSS grew {grown} KiB over 20 engines made and dropped; 10 live ones take {ten} KiB"


def test_no_leak_over_10000_detect_calls(tiny):
    frame = np.random.default_rng(1).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    for _ in range(500):
        tiny.detect(frame, thresh=0.2)
    assert len(tiny.detect(frame, thresh=0.2)) > 0  # results are made on every call
    gc.collect()
    before = rss_kib()
    for i in range(10000):
        tiny.detect([frame] if i % 2 else frame, thresh=0.2)
        if i % 1000 == 0:
            with pytest.raises(darkrt.Error):
                tiny.detect(frame[..., 0])
    gc.collect()
    grown = rss_kib() - before
    assert grown < 2048, f"RSS grew {grown} KiB over 10,000 detect calls"


def test_threads_share_one_engine(engine):
    frames = [darkrt.imread(p) for p in IMAGES]
    expected = [engine.detect(f) for f in frames]
    errors = []

    def work(k):
        try:
            for i in range(12):
                got = engine.detect(frames[(k + i) % len(frames)])
                want = expected[(k + i) % len(frames)]
                assert np.array_equal(got.boxes, want.boxes) and np.array_equal(got.scores, want.scores)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_openmp_count_of_the_caller_kept(tmp_path):
    """Engines of 1 and 3 threads, built and run from Python, leave the calling thread's OpenMP count as the
    application set it (issue 17; the old package left it at the engine's)."""
    gomp = [l.split()[-1] for l in open("/proc/self/maps") if "/libgomp" in l]
    if not gomp:
        pytest.skip("no libgomp in this process")
    # darkrt's kernels and oneDNN share one OpenMP runtime: the extension links the libgomp libdnnl links
    assert len(set(gomp)) == 1, f"more than one libgomp loaded: {sorted(set(gomp))}"
    omp = ctypes.CDLL(gomp[0])  # the copy oneDNN uses: already loaded, the same handle
    path = tmp_path / "tiny.cfg"
    path.write_text(TINY_CFG)
    model, frame = darkrt.Model(str(path)), np.zeros((48, 64, 3), dtype=np.uint8)
    host = omp.omp_get_max_threads() + 3
    omp.omp_set_num_threads(host)
    for threads in (1, 3, 0):
        e = model.build(device="cpu", threads=threads)
        assert omp.omp_get_max_threads() == host, f"after building an engine of {threads} threads"
        e.detect(frame)
        assert omp.omp_get_max_threads() == host, f"after a detect on an engine of {threads} threads"
        del e
        gc.collect()
        assert omp.omp_get_max_threads() == host, f"after freeing an engine of {threads} threads"


def test_gil_released_during_detect(engine):
    frames = [darkrt.imread(IMAGES[0])] * 8
    ticks, stop = [], threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.perf_counter())
    t = threading.Thread(target=count)
    old = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    t.start()
    time.sleep(0.01)
    start = time.perf_counter()
    engine.detect(frames)
    end = time.perf_counter()
    stop.set()
    t.join()
    sys.setswitchinterval(old)
    inside = [x for x in ticks if start + 0.2 * (end - start) < x < end - 0.2 * (end - start)]
    assert inside, f"no Python ran during a {1000 * (end - start):.0f} ms detect call"


def test_run_equals_cli_run(engine, tmp_path):
    x = np.random.default_rng(3).random((2, 3, 320, 320), dtype=np.float32)
    big = darkrt.Model(CFG, WEIGHTS).build(device="ref", batch=2, threads=1)
    heads = big.run(x)
    x.tofile(tmp_path / "in.f32")
    subprocess.run([CLI, "run", CFG, "-w", WEIGHTS, "--device", "ref", "--batch", "2", "--input",
                    str(tmp_path / "in.f32"), "-o", str(tmp_path / "heads.f32")], check=True, capture_output=True)
    ref = np.fromfile(tmp_path / "heads.f32", dtype=np.float32)
    assert [h.shape for h in heads] == [(2, 255, 10, 10), (2, 255, 20, 20)]
    assert np.array_equal(np.concatenate([h.ravel() for h in heads]), ref)
    with pytest.raises(darkrt.Error, match="N x 3 x 320 x 320"):
        engine.run(np.zeros((1, 3, 416, 416), np.float32))


def test_plan_roundtrip_and_convert(engine, tmp_path):
    engine.save(tmp_path / "m.plan")
    loaded = darkrt.Engine.load(tmp_path / "m.plan", batch=2)
    assert loaded.max_batch == 2 and loaded.names[:2] == ["person", "bicycle"]
    a, b = engine.detect(IMAGES[0]), loaded.detect(IMAGES[0])
    assert np.array_equal(a.boxes, b.boxes) and a.labels == b.labels
    darkrt.convert(CFG, WEIGHTS, tmp_path / "py.onnx", opset=11)
    subprocess.run([CLI, "convert", CFG, WEIGHTS, "-o", str(tmp_path / "cli.onnx"), "--opset", "11"], check=True,
                   capture_output=True)
    assert (tmp_path / "py.onnx").read_bytes() == (tmp_path / "cli.onnx").read_bytes()
    darkrt.convert(CFG, WEIGHTS, tmp_path / "pyd.onnx", decode=True, thresh=0.3)
    subprocess.run([CLI, "convert", CFG, WEIGHTS, "-o", str(tmp_path / "clid.onnx"), "--decode", "--thresh", "0.3"],
                   check=True, capture_output=True)
    assert (tmp_path / "pyd.onnx").read_bytes() == (tmp_path / "clid.onnx").read_bytes()


def test_compare_returns_the_cli_report(tmp_path):
    report = darkrt.compare(CFG, IMAGES[0], weights=WEIGHTS, engines=["ref", "cpu-fp32"], runs=1)
    assert isinstance(report, dict) and "engines" in json.dumps(report)
    with pytest.raises(darkrt.Error, match="missing.jpg"):
        darkrt.compare(CFG, str(tmp_path / "missing.jpg"), weights=WEIGHTS)


def test_overhead_hooks_time_the_c_work(engine, tmp_path):
    """bench/python-overhead.py's two clocks: the C work of a detect call, and the same work alone."""
    frame = darkrt.imread(IMAGES[0])
    for item in (frame, IMAGES[0]):
        t0 = time.perf_counter()
        engine.detect(item)
        wall = time.perf_counter() - t0
        assert 0 < engine._h.detect_c_seconds < wall
        t0 = time.perf_counter()
        c = darkrt._darkrt.bench_detect_c(engine._h, item)
        assert 0 < c < time.perf_counter() - t0
    with pytest.raises(darkrt.Error, match="grayscale"):
        darkrt._darkrt.bench_detect_c(engine._h, frame[..., 0])
    with pytest.raises(darkrt.Error, match="missing.jpg"):
        darkrt._darkrt.bench_detect_c(engine._h, str(tmp_path / "missing.jpg"))


def test_stream_equals_detect_in_order(engine, tmp_path):
    frames = [darkrt.imread(p) for p in IMAGES]
    bad_file = str(tmp_path / "missing.jpg")
    items = [IMAGES[0], frames[1], bad_file, frames[2][..., 0], frames[0][:, :, ::-1].copy(), IMAGES[2]] * 3
    got = list(engine.stream(iter(items), max_in_flight=3, batch=2))
    assert [g.index for g in got] == list(range(len(items)))
    for g, item in zip(got, items):
        if isinstance(item, str) and item == bad_file:
            assert g.error is not None and "missing.jpg" in str(g.error) and g.source == bad_file
        elif not isinstance(item, str) and item.ndim == 2:
            assert g.error is not None and "grayscale" in str(g.error) and g.source is None
        else:
            want = engine.detect(item)
            assert g.error is None and np.array_equal(g.detections.boxes, want.boxes), (g, want)
            assert np.array_equal(g.detections.scores, want.scores) and g.detections.labels == want.labels
    stream = engine.stream(IMAGES)
    first = next(stream)
    assert first.index == 0 and len(first.detections) > 0
    with pytest.raises(darkrt.Error, match="stream"):  # this thread's open stream owns the engine
        engine.detect(IMAGES[0])
    stream.close()  # frees the pipeline: the engine is free again
    assert len(engine.detect(IMAGES[0])) == len(first.detections)


if __name__ == "__main__":
    if not os.path.exists(WEIGHTS):
        print(f"{WEIGHTS}: the yolo-fastest-1.1 weights are not there")
        sys.exit(77)
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))
