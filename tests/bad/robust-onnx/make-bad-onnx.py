#!/usr/bin/env python3
"""Makes the hostile ONNX files of tests/bad/robust-onnx from the fuzz seed tiny-yolo-op13.onnx (darkrt's export
of tests/fuzz/corpus/cfg/tiny-yolo.cfg, made by tests/fuzz/seeds/make-seeds.sh into the seed tree).
Run from the repository root: python3 tests/bad/robust-onnx/make-bad-onnx.py OUT_DIR BASE.onnx
(tests/cli/robust-bad-inputs.sh does, into its temporary directory: the files are not committed)."""
import copy
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1].rstrip("/") + "/"
BASE = sys.argv[2]
os.makedirs(OUT, exist_ok=True)
expect = {}


def save(model, name, pattern, check=False):
    if check:
        onnx.checker.check_model(model)
    with open(OUT + name, "wb") as f:
        f.write(model.SerializeToString())
    expect[name] = pattern


base = onnx.load(BASE)
conv_w = next(i for i in base.graph.initializer if len(i.dims) == 4)

m = copy.deepcopy(base)  # a Conv weight named by a node but present nowhere
keep = [i for i in m.graph.initializer if i.name != conv_w.name]
del m.graph.initializer[:]
m.graph.initializer.extend(keep)
save(m, "missing-initializer.onnx", "missing-initializer.onnx.*" + conv_w.name)

m = copy.deepcopy(base)  # dims promise more floats than raw_data holds
t = next(i for i in m.graph.initializer if i.name == conv_w.name)
t.dims[0] = t.dims[0] * 4
save(m, "dims-vs-data.onnx", "dims-vs-data.onnx.*" + conv_w.name)

m = copy.deepcopy(base)  # a Conv kernel whose input channels disagree with its input (3)
t = next(i for i in m.graph.initializer if i.name == conv_w.name)
w = numpy_helper.to_array(t)
t.CopyFrom(numpy_helper.from_array(np.zeros((w.shape[0], 5) + w.shape[2:], np.float32), t.name))
save(m, "conv-channels-disagree.onnx", "conv-channels-disagree.onnx")

m = copy.deepcopy(base)  # an absurd tensor: 2^60 floats claimed, none present
t = next(i for i in m.graph.initializer if i.name == conv_w.name)
del t.dims[:]
t.dims.extend([1 << 20, 1 << 20, 1 << 20, 1])
t.raw_data = b""
save(m, "absurd-dims.onnx", "absurd-dims.onnx")

m = copy.deepcopy(base)  # negative dims
t = next(i for i in m.graph.initializer if i.name == conv_w.name)
t.dims[1] = -3
save(m, "negative-dims.onnx", "negative-dims.onnx")

m = copy.deepcopy(base)  # a float tensor stored as int64
t = next(i for i in m.graph.initializer if i.name == conv_w.name)
t.data_type = TensorProto.INT64
save(m, "wrong-type.onnx", "wrong-type.onnx")

m = copy.deepcopy(base)  # an op darkrt does not know
m.graph.node[1].op_type = "FancyNorm"
save(m, "unknown-op.onnx", "unknown-op.onnx.*FancyNorm")

m = copy.deepcopy(base)  # a node reading a value that nothing produces
m.graph.node[2].input[0] = "nowhere"
save(m, "dangling-input.onnx", "dangling-input.onnx.*nowhere")

m = copy.deepcopy(base)  # a cycle: the first node reads the last node's output
m.graph.node[0].input[0] = m.graph.node[len(m.graph.node) - 1].output[0]
save(m, "cycle.onnx", "cycle.onnx")



def with_meta(key, value):
    m = copy.deepcopy(base)
    found = [p for p in m.metadata_props if p.key == key]
    if found:
        found[0].value = value
    else:
        m.metadata_props.add(key=key, value=value)
    return m


# YOLO head settings from the metadata go through the same check as a cfg's (issue 19 item 7).
save(with_meta("yolo.head0.anchors", "-2,3,4,5,8,9"), "meta-anchor-negative.onnx", "anchor.*must be finite and > 0")
save(with_meta("yolo.head0.anchors", "0,3,4,5,8,9"), "meta-anchor-zero.onnx", "anchor")
save(with_meta("yolo.head1.scale_x_y", "nan"), "meta-scale-nan.onnx", "scale_x_y")
save(with_meta("yolo.head0.new_coords", "12345"), "meta-new-coords.onnx", "new_coords")
# 2 million empty class names on a 1-class model.
save(with_meta("class_names", "\n" * 2000000), "class-names-2m.onnx", "2000001 names.*classes=1")

m = copy.deepcopy(base)  # opset 2^32 + 13 must not read as 13
m.opset_import[0].version = (1 << 32) + 13
save(m, "opset-overflow.onnx", "opset 4294967309")

m = copy.deepcopy(base)  # LeakyRelu alpha NaN is not 0.1
n = next(n for n in m.graph.node if n.op_type == "LeakyRelu")
next(a for a in n.attribute if a.name == "alpha").f = float("nan")
save(m, "leaky-alpha-nan.onnx", "alpha=nan")

m = copy.deepcopy(base)  # MaxPool pads whose sum overflows int64
n = next(n for n in m.graph.node if n.op_type == "MaxPool")
for a in [a for a in n.attribute if a.name == "pads"]:
    n.attribute.remove(a)
n.attribute.append(helper.make_attribute("pads", [1 << 62] * 4))
save(m, "maxpool-pads-overflow.onnx", "pads")

m = copy.deepcopy(base)  # Split sizes whose sum overflows, on unnamed outputs
c = next(i for i in m.graph.initializer if i.name == m.graph.node[0].input[1]).dims[0]
m.graph.initializer.append(numpy_helper.from_array(np.array([c // 2, (1 << 63) - 1], np.int64), "split.sizes"))
m.graph.node.insert(1, helper.make_node("Split", [m.graph.node[0].output[0], "split.sizes"], ["split.half", ""], axis=1))
save(m, "split-overflow.onnx", "split size [0-9]+: must be")

data = base.SerializeToString()
with open(OUT + "truncated.onnx", "wb") as f:
    f.write(data[: len(data) // 2])
expect["truncated.onnx"] = "truncated.onnx"
with open(OUT + "garbage.onnx", "wb") as f:
    f.write(bytes((i * 37 + 11) & 0xFF for i in range(700)))
expect["garbage.onnx"] = "garbage.onnx"
with open(OUT + "empty.onnx", "wb") as f:
    pass
expect["empty.onnx"] = "empty.onnx"

with open(OUT + "expect.txt", "w") as f:
    f.write("# file: regex its one-line error must match (robust-bad-inputs.sh); made by make-bad-onnx.py\n")
    for k in sorted(expect):
        f.write("%s: %s\n" % (k, expect[k]))

