#!/usr/bin/env python3
"""Writes a small ONNX seed in the NVIDIA-sample style, not from darkrt's exporter (Resize with roi/scales
initializers, initializers listed as graph inputs, Constant, Identity), to OUT_FILE.
Usage: python3 tests/fuzz/seeds/nvidia-style-onnx.py OUT_FILE (tests/fuzz/seeds/make-seeds.sh runs it)."""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

W = numpy_helper.from_array(np.full((18, 3, 3, 3), 0.01, np.float32), "conv.W")
B = numpy_helper.from_array(np.zeros(18, np.float32), "conv.B")
roi = numpy_helper.from_array(np.zeros(0, np.float32), "roi")
scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
nodes = [
    helper.make_node("Conv", ["images", "conv.W", "conv.B"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
    helper.make_node("LeakyRelu", ["c"], ["a"], alpha=0.1),
    helper.make_node("Identity", ["a"], ["i"]),
    helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(np.array([1, 1, 1, 1], np.float32))),
    helper.make_node("Resize", ["i", "roi", "scales"], ["r"], mode="nearest"),
    helper.make_node("Conv", ["r", "conv2.W"], ["out"], kernel_shape=[1, 1]),
]
W2 = numpy_helper.from_array(np.full((18, 18, 1, 1), 0.02, np.float32), "conv2.W")
inits = [W, B, roi, scales, W2]
g = helper.make_graph(
    nodes, "nvidia-style",
    [helper.make_tensor_value_info("images", TensorProto.FLOAT, [64, 3, 16, 16])]
    + [helper.make_tensor_value_info(t.name, TensorProto.FLOAT, list(t.dims)) for t in inits],
    [helper.make_tensor_value_info("out", TensorProto.FLOAT, [64, 18, 16, 16])], inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)], producer_name="onnx-helper")
m.ir_version = 6
onnx.checker.check_model(m)
onnx.save(m, sys.argv[1])
