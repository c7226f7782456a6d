"""Triton Python backend model: darkrt detections for 8-bit frames (see ../config.pbtxt).

Each request carries one H x W x 3 uint8 BGR frame ([1, H, W, 3]); the requests Triton hands over
together are detected in one darkrt engine run. darkrt errors fail only the requests they concern.
"""
import json
import os
import sys

import numpy as np
import triton_python_backend_utils as pb_utils

# The backend stub embeds Python without reading PYTHONPATH: honour it here (where darkrt may be).
for _p in reversed(os.environ.get("PYTHONPATH", "").split(os.pathsep)):
    if _p and _p not in sys.path:
        sys.path.insert(0, _p)

import darkrt  # noqa: E402


def _parameters(config):
    raw = {k: v.get("string_value", "") for k, v in config.get("parameters", {}).items()}
    return {k: os.path.expandvars(v) if "$" in v else v for k, v in raw.items()}


def _empty_if_unset(value):
    return "" if value.startswith("${") else value


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        p = {k: _empty_if_unset(v) for k, v in _parameters(config).items()}
        batch = max(1, int(config.get("max_batch_size", 1)))
        device = p.get("device") or "cpu"
        if p["model"].endswith(".plan"):
            self.engine = darkrt.Engine.load(p["model"], device=device, batch=batch)
        else:
            model = darkrt.Model(p["model"], p.get("weights") or None)
            self.engine = model.build(device=device, precision=p.get("precision") or "fp32", batch=batch,
                                      threads=int(p.get("threads") or 0))
        self.thresh = float(p.get("thresh") or 0.25)
        self.nms = float(p.get("nms") or 0.45)

    def _response(self, d):
        labels = np.array([s.encode() for s in d.labels], dtype=np.object_)
        return pb_utils.InferenceResponse(output_tensors=[
            pb_utils.Tensor("BOXES", d.boxes[None]),
            pb_utils.Tensor("SCORES", d.scores[None]),
            pb_utils.Tensor("CLASS_IDS", d.class_ids[None]),
            pb_utils.Tensor("LABELS", labels[None]),
        ])

    def _detect_one(self, frame):
        try:
            return self._response(self.engine.detect(frame, thresh=self.thresh, nms=self.nms))
        except darkrt.Error as e:
            return pb_utils.InferenceResponse(error=pb_utils.TritonError(str(e)))

    def execute(self, requests):
        frames = []
        for r in requests:
            t = pb_utils.get_input_tensor_by_name(r, "IMAGE").as_numpy()
            frames.append(t[0] if t.ndim == 4 and t.shape[0] == 1 else t)
        try:
            results = self.engine.detect(frames, thresh=self.thresh, nms=self.nms)
        except darkrt.Error:  # one bad frame: detect one by one so only its request fails
            return [self._detect_one(f) for f in frames]
        return [self._response(d) for d in results]
