#!/usr/bin/env python3
"""Writes the malformed ONNX corpus into the directory given (default: next to this script) with
EXPECT: one line per file, "<file> <regex the one-line error must match>". tests/cli/onnx-bad.sh
runs it into a temporary directory (*.onnx files are git-ignored, so the corpus is made, not kept).
Each file breaks one rule of a valid tiny model: images [1,3,8,8] -> Conv 1x1 (21 filters) -> out."""
import os
import sys

import numpy as np
from onnx import TensorProto, helper

HERE = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
EXPECT = []


def tiny(opset=13):
    w = np.arange(21 * 3, dtype=np.float32).reshape(21, 3, 1, 1) / 100
    inits = [helper.make_tensor("w", TensorProto.FLOAT, [21, 3, 1, 1], w.tobytes(), raw=True),
             helper.make_tensor("b", TensorProto.FLOAT, [21], np.zeros(21, np.float32).tobytes(), raw=True)]
    node = helper.make_node("Conv", ["images", "w", "b"], ["out"], name="conv0", kernel_shape=[1, 1])
    g = helper.make_graph([node], "tiny", [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 21, 8, 8])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 7
    return m


def save(name, pattern, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.SerializeToString())
    EXPECT.append("%s %s" % (name, pattern))


def main():
    good = tiny().SerializeToString()
    save("truncated.onnx", "not a valid ONNX protobuf", good[: len(good) * 2 // 3])
    save("garbage.onnx", "not a valid ONNX protobuf", b"\xff\xff\xff\xff this is not a protobuf \x00\x01")
    save("empty.onnx", "ir_version 0", b"")
    # ir_version (field 1) sent as a length-delimited field: a wire type the schema does not allow
    save("wrong-wire-type.onnx", "not a valid ONNX protobuf", b"\x0a\x02\x08\x07" + good)

    m = tiny(); m.graph.node[0].attribute.append(helper.make_attribute("strides", 2.0))
    save("attr-wrong-type.onnx", "conv0.*attribute 'strides': must be a list of ints", m)
    m = tiny(); m.graph.initializer[0].data_type = TensorProto.INT8
    save("weight-int8.onnx", "tensor 'w' has data type 3", m)
    m = tiny(); m.graph.node[0].input[1] = "w_missing"
    save("missing-initializer.onnx", "conv0.*input 'w_missing' is not an initializer.*missing initializer", m)
    m = tiny(); m.graph.initializer[0].dims[:] = [21, 1, 3, 1]; m.graph.initializer[0].raw_data = np.zeros(63, np.float32).tobytes()
    save("weight-dims-disagree.onnx", "conv0.*disagree with the 3 input channels", m)
    m = tiny(); m.graph.initializer[0].raw_data = np.zeros(10, np.float32).tobytes()
    save("dims-vs-raw-data.onnx", "tensor 'w': dims say 63 elements but raw_data holds 10", m)
    m = tiny(); m.graph.initializer[0].dims[:] = [2 ** 31, 2 ** 31, 1, 1]
    save("absurd-tensor-dims.onnx", "tensor 'w' has more than 2\\^33 elements", m)
    m = tiny(); m.graph.initializer[0].dims[:] = [21, 3, -1, 1]
    save("negative-dim.onnx", "tensor 'w' dim 2 = -1", m)
    m = tiny(); m.graph.input[0].type.tensor_type.shape.dim[2].dim_value = 10 ** 9
    save("absurd-input-size.onnx", "input 'images' dim 2: must be a fixed size 1..65536", m)
    m = tiny(); m.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 1000
    save("input-channels-disagree.onnx", "1000 channels", m)
    m = tiny(); m.graph.initializer[1].float_data[:] = [0.0] * 21
    save("raw-and-float-data.onnx", "tensor 'b' has both raw_data and typed data", m)
    m = tiny(); m.graph.initializer[1].ClearField("raw_data"); m.graph.initializer[1].float_data[:] = [0.0] * 5
    save("float-data-short.onnx", "tensor 'b': dims say 21 elements but the typed data holds 5", m)
    m = tiny(); m.graph.initializer[0].data_location = TensorProto.EXTERNAL
    m.graph.initializer[0].external_data.append(TensorProto().external_data.add().__class__(key="location", value="w.bin"))
    save("external-data.onnx", "tensor 'w' keeps its data in an external file", m)
    m = tiny(); m.graph.node.append(helper.make_node("Reshape", ["out", "b"], ["out2"], name="reshape"))
    m.graph.output[0].name = "out2"
    save("unsupported-op.onnx", "node 'reshape' \\(Reshape, opset 13\\): op not supported \\(supported: Conv", m)
    m = tiny(); m.graph.node[0].attribute.append(helper.make_attribute("foo", 1))
    save("unknown-attribute.onnx", "conv0' \\(Conv, opset 13\\): attribute 'foo' is not supported", m)
    m = tiny(); m.graph.node.insert(0, helper.make_node("Relu", ["out"], ["r"], name="relu_first"))
    m.graph.output[0].name = "r"
    save("not-topological.onnx", "relu_first.*used before the node that makes it", m)
    m = tiny(); m.graph.node.append(helper.make_node("Relu", ["out"], ["out"], name="dup"))
    save("duplicate-output.onnx", "tensor 'out' \\(node output\\) is defined twice", m)
    m = tiny(); m.graph.node.append(helper.make_node("LeakyRelu", ["out"], ["lr"], name="lrelu", alpha=0.2))
    m.graph.output[0].name = "lr"
    save("leaky-alpha.onnx", "lrelu.*alpha=0.2: Darknet's leaky is 0.1 and relie 0.01", m)
    m = tiny(); m.graph.node.append(helper.make_node("Resize", ["out", "", "sc"], ["up"], name="up", mode="linear"))
    m.graph.initializer.append(helper.make_tensor("sc", TensorProto.FLOAT, [4], [1, 1, 2, 2]))
    m.graph.output[0].name = "up"
    save("resize-linear.onnx", "node 'up' \\(Resize, opset 13\\): mode=linear", m)
    m = tiny(); m.graph.node.append(helper.make_node("Resize", ["out", "", "sc"], ["up"], name="up", mode="nearest"))
    m.graph.initializer.append(helper.make_tensor("sc", TensorProto.FLOAT, [4], [1, 1, 1.5, 1.5]))
    m.graph.output[0].name = "up"
    save("resize-fractional.onnx", "node 'up'.*scale 1.5: Darknet's upsample needs an integer factor", m)
    m = tiny(); m.graph.node.append(helper.make_node("MaxPool", ["out"], ["mp"], name="pool", kernel_shape=[3, 3], pads=[0, 0, 2, 2]))
    m.graph.output[0].name = "mp"
    save("maxpool-pads.onnx", "node 'pool'.*Darknet pads padding/2 at the top/left", m)
    m = tiny(); m.graph.node.append(helper.make_node("Add", ["out", "b"], ["sum"], name="badd"))
    m.graph.output[0].name = "sum"
    save("add-constant.onnx", "node 'badd'.*is a constant", m)
    m = tiny(); m.opset_import[0].version = 99
    save("opset-99.onnx", "opset 99: darkrt reads opsets 7..21", m)
    m = tiny(); m.ClearField("graph")
    save("no-graph.onnx", "has no graph", m)
    m = tiny(); m.graph.input.append(helper.make_tensor_value_info("second", TensorProto.FLOAT, [1, 3, 8, 8]))
    save("two-image-inputs.onnx", "graph inputs 'images' and 'second' have no initializer", m)
    m = tiny(); m.graph.output[0].name = "nowhere"
    save("output-not-produced.onnx", "graph output 'nowhere' is not produced by any node", m)
    m = tiny(); m.metadata_props.add(key="yolo.heads", value="out")
    m.metadata_props.add(key="yolo.out.classes", value="2")
    m.metadata_props.add(key="yolo.out.num", value="3")
    m.metadata_props.add(key="yolo.out.mask", value="0,1,2")
    m.metadata_props.add(key="yolo.out.anchors", value="10,14,23")
    save("metadata-anchors.onnx", "metadata yolo.out.anchors: must be 6 numbers", m)
    m = tiny(); m.graph.node[0].attribute.append(helper.make_attribute("pads", [1, 1, 0, 0]))
    save("conv-asymmetric-pads.onnx", "conv0.*pads \\[1,1,0,0\\]: Darknet convs pad every side alike", m)
    m = tiny(); m.graph.node.append(helper.make_node("Reshape", ["out", "b"], ["out2"], name="evil\nname\r"))
    m.graph.output[0].name = "out2"
    save("newline-in-name.onnx", "node 'evil\\?name\\?' \\(Reshape", m)
    m = tiny(); m.graph.node[0].output[0] = ""
    save("unnamed-output.onnx", "conv0.*has no \\(named\\) first output|graph output 'out' is not produced", m)
    with open(os.path.join(HERE, "EXPECT"), "w") as f:
        f.write("# <file> <regex of the one-line error>; written by make-bad.py\n" + "\n".join(EXPECT) + "\n")


if __name__ == "__main__":
    main()
