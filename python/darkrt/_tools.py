"""convert, compare and the bundled CLI: the jobs of `darkrt convert` and `darkrt compare`."""
import json
import os
import subprocess
import tempfile

from . import _darkrt

CLI = os.path.join(os.path.dirname(__file__), "bin", "darkrt")


def version():
    """darkrt's version string."""
    return _darkrt.version()


def convert(cfg, weights, output, opset=13, batch=1, fold_bn=False, decode=False, thresh=0.25, nms=0.45):
    """Darknet .cfg + .weights to ONNX, as `darkrt convert` (batch: fixed size, or 0 for dynamic).
    decode=True appends the YOLO decode and NonMaxSuppression (`darkrt convert --decode`, opset >= 11)
    with score threshold `thresh` and IoU `nms`."""
    model = _darkrt.load_model(os.fspath(cfg), os.fspath(weights))  # no names added: as `darkrt convert`
    model.export_onnx(os.fspath(output), opset=opset, batch=batch, fold_bn=fold_bn,
                       decode=decode, thresh=thresh, nms=nms)


def compare(model, images, weights=None, engines=None, runs=None, html=None, extra=()):
    """Runs `darkrt compare` (reference vs engines: stage times, agreement, memory) and returns its
    JSON report as a dict. engines: e.g. ["ref", "cpu-fp32"]; html: also write the HTML report."""
    images = [os.fspath(images)] if isinstance(images, (str, os.PathLike)) else [os.fspath(i) for i in images]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "compare.json")
        cmd = [CLI, "compare", os.fspath(model), *images, "--json", out]
        if weights is not None:
            cmd += ["--weights", os.fspath(weights)]
        if engines:
            cmd += ["--engines", ",".join(engines)]
        if runs is not None:
            cmd += ["--runs", str(runs)]
        if html is not None:
            cmd += ["--html", os.fspath(html)]
        proc = subprocess.run(cmd + list(extra), capture_output=True, text=True)
        if proc.returncode != 0:
            lines = proc.stderr.strip().splitlines()
            raise _darkrt.Error(lines[-1] if lines else f"darkrt compare: exit status {proc.returncode}")
        with open(out) as f:
            return json.load(f)
