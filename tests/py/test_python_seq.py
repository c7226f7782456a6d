#!/usr/bin/env python3
"""A stateful model (tests/alexeyab/crnn.cfg: [crnn], synthesised weights) in the Python package: Model.stateful,
Engine.reset_state, and Engine.stream's sequences (darkrt.NEW_SEQUENCE, each video source its own). As
tests/unit/engine-state.c checks the C calls: frames b after frames a and a restart give the detections of b run
alone from a new engine or stream (bit for bit), and without the restart other detections (the state carried)."""
import os
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from darkrt_pkg import ROOT, import_darkrt  # noqa: E402

darkrt = import_darkrt()

CRNN = os.path.join(ROOT, "tests", "alexeyab", "crnn.cfg")
PLAIN = os.path.join(ROOT, "tests", "alexeyab", "route-add.cfg")
N = 3  # frames a sequence


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    weights = str(tmp_path_factory.mktemp("crnn") / "crnn.weights")
    cli = os.path.join(os.path.dirname(darkrt.__file__), "bin", "darkrt")  # the wheel's CLI
    subprocess.run([cli, "synth", CRNN, "-o", weights, "--seed", "1"], check=True, capture_output=True)
    return darkrt.Model(CRNN, weights)


@pytest.fixture(scope="module")
def frames():
    """Sequences a and b: N random 64x64 BGR frames each."""
    x = np.random.default_rng(7).integers(0, 256, (2 * N, 64, 64, 3), dtype=np.uint8)
    return list(x[:N]), list(x[N:])


def key(dets):
    """A list of Detections as comparable bytes (boxes, scores, ids of each)."""
    return [(d.boxes.tobytes(), d.scores.tobytes(), d.class_ids.tobytes()) for d in dets]


def count(dets):
    return sum(len(d) for d in dets)


def engine_of(model):
    return model.build(device="cpu", batch=4, threads=1)  # 2 shared cores: no spinning


def test_stateful(model):
    plain = darkrt.Model(PLAIN)
    assert model.stateful is True and engine_of(model).stateful is True
    assert plain.stateful is False
    e = plain.build(device="cpu", threads=1)
    assert e.stateful is False
    e.reset_state()  # a no-op, accepted


def test_detect_reset_state(model, frames):
    a, b = frames
    e = engine_of(model)
    alone = e.detect(b)  # a new engine starts from zeros
    e.reset_state()
    e.detect(a)
    e.reset_state()
    restarted = e.detect(b)
    e.reset_state()
    e.detect(a)
    carried = e.detect(b)
    print(f"detect: b alone {count(alone)} boxes, after a and reset_state {count(restarted)}, "
          f"without it {count(carried)}")
    assert count(alone) > 0, "no boxes: the comparison proves nothing"
    assert key(restarted) == key(alone), "b after a and reset_state: not b alone's detections"
    assert key(carried) != key(alone), "b after a without reset_state: b alone's detections (no state carried)"


def stream(e, sources, **kw):
    return [(it.index, it.detections) for it in e.stream(sources, batch=4, **kw)]


def test_stream_new_sequence(model, frames):
    a, b = frames
    e = engine_of(model)
    alone = stream(e, b)
    restarted = stream(e, a + [darkrt.NEW_SEQUENCE] + b)  # a2 and b0 would share a batch of 4: cut
    carried = stream(e, a + b)
    print(f"stream: b alone {count(d for _, d in alone)} boxes, after a and NEW_SEQUENCE "
          f"{count(d for _, d in restarted[N:])}, without it {count(d for _, d in carried[N:])}")
    assert count(d for _, d in alone) > 0, "no boxes: the comparison proves nothing"
    assert [i for i, _ in restarted] == [0, 1, 2, 4, 5, 6]  # the marker takes an index, yields nothing
    assert key(d for _, d in restarted[N:]) == key(d for _, d in alone), "NEW_SEQUENCE: not b alone's detections"
    assert key(d for _, d in carried[N:]) != key(d for _, d in alone), "b after a: b alone's (no state carried)"
    # a stream starts from zeros, whatever the engine's state before it
    e.detect(a)
    assert key(d for _, d in stream(e, b)) == key(d for _, d in alone)


def write_sequence(d, frames):
    """frames as d/f00.ppm, ...; the pattern darkrt reads as one video source."""
    os.makedirs(d)
    for k, f in enumerate(frames):
        with open(os.path.join(d, f"f{k:02d}.ppm"), "wb") as out:
            out.write(b"P6\n64 64\n255\n" + np.ascontiguousarray(f[..., ::-1]).tobytes())
    return os.path.join(d, "f%02d.ppm")


def test_stream_videos(model, frames, tmp_path):
    """Each video source is a sequence of its own; the images after a video are another."""
    a, b = frames
    va, vb = write_sequence(str(tmp_path / "a"), a), write_sequence(str(tmp_path / "b"), b)
    e = engine_of(model)
    vb_alone = stream(e, [vb])
    both = stream(e, [va, vb])
    assert len(vb_alone) == N and count(d for _, d in vb_alone) > 0
    assert [i for i, _ in both] == [0] * N + [1] * N
    assert key(d for _, d in both[N:]) == key(d for _, d in vb_alone), "the second video: not its detections alone"
    assert key(d for _, d in stream(e, [vb, va])[N:]) != key(d for _, d in vb_alone)  # the two differ at all
    b_alone = stream(e, b)
    after = stream(e, [va] + b)
    assert key(d for _, d in after[N:]) == key(d for _, d in b_alone), "images after a video: not theirs alone"


def test_pipeline_start_sequence_errors(model):
    e = engine_of(model)
    p = darkrt._darkrt.Pipeline(e._h)
    p.start_sequence()
    p.close()
    with pytest.raises(darkrt.Error, match="start_sequence after close"):
        p.start_sequence()
    p.free()
    with pytest.raises(darkrt.Error, match="freed"):
        p.start_sequence()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))
