"""An ONNX writer in the style of NVIDIA's TensorRT sample yolov3_to_onnx.py, independent of
darkrt's exporter: it reads a Darknet cfg and .weights itself and emits Conv + BatchNormalization
+ LeakyRelu nodes, Add, Concat, Resize with roi/scales initializers (or Upsample), MaxPool,
a fixed batch in the input shape, node names like "001_convolutional", and every initializer
also listed among the graph inputs."""
import numpy as np
from onnx import TensorProto, helper


def parse_cfg(path):
    sections = []
    for line in open(path):
        line = line.split("#")[0].strip()
        if not line:
            continue
        if line.startswith("["):
            sections.append({"type": line.strip("[]")})
        elif "=" in line:
            k, v = line.split("=", 1)
            sections[-1][k.strip()] = v.strip()
    return sections


class Weights:
    def __init__(self, path):
        data = open(path, "rb").read()
        major, minor, _ = np.frombuffer(data[:12], np.int32)
        off = 20 if major * 10 + minor >= 2 else 16
        self.floats = np.frombuffer(data[off:], np.float32)
        self.pos = 0

    def take(self, n):
        out = self.floats[self.pos:self.pos + n]
        self.pos += n
        return out.copy()


def build(cfg, weights, width, height, batch=64, opset=11, resize="asymmetric", bn_eps=1e-5, constants=False):
    """resize: "asymmetric" (asymmetric + floor), "default" (Resize's default half_pixel +
    round_prefer_floor), "upsample" (Upsample-7 or -9 by opset), "sizes" (Resize-13 with sizes)."""
    secs = parse_cfg(cfg)
    w = Weights(weights)
    nodes, inits, outputs = [], [], []
    names, shapes = [], []  # per Darknet layer: output tensor name, (c, h, w)
    cur, shape = "000_net", (3, height, width)

    def init(name, arr, dtype=TensorProto.FLOAT):
        arr = np.asarray(arr)
        inits.append(helper.make_tensor(name, dtype, arr.shape, arr.flatten().tolist() if arr.size < 16 else arr.tobytes(),
                                        raw=arr.size >= 16))
        return name

    for i, s in enumerate(secs[1:]):
        t = s["type"]
        tag = "%03d_%s" % (i + 1, {"convolutional": "convolutional"}.get(t, t))
        if t == "convolutional":
            f, k, st = int(s["filters"]), int(s["size"]), int(s.get("stride", 1))
            pad = k // 2 if int(s.get("pad", 0)) else 0
            bn = int(s.get("batch_normalize", 0))
            c = shape[0]
            b = w.take(f)
            if bn:
                scale, mean, var = w.take(f), w.take(f), w.take(f)
            wt = w.take(f * c * k * k).reshape(f, c, k, k)
            ins = [cur, init(tag + "_conv_weights", wt)]
            if not bn:
                ins.append(init(tag + "_conv_bias", b))
            out = tag if (not bn and s.get("activation") == "linear") else tag
            conv_out = tag if (not bn and s.get("activation") == "linear") else tag + "_conv"
            nodes.append(helper.make_node("Conv", ins, [conv_out], name=tag, kernel_shape=[k, k], strides=[st, st],
                                          pads=[pad] * 4, dilations=[1, 1], auto_pad="NOTSET"))
            x = conv_out
            if bn:
                if bn_eps != 1e-5:  # same math with another epsilon: var' = var + 1e-5 - eps
                    var = var + np.float32(1e-5) - np.float32(bn_eps)
                bn_out = tag + "_bn"
                nodes.append(helper.make_node("BatchNormalization",
                                              [x, init(bn_out + "_scale", scale), init(bn_out + "_bias", b),
                                               init(bn_out + "_mean", mean), init(bn_out + "_var", var)],
                                              [bn_out], name=bn_out, epsilon=bn_eps, momentum=0.99))
                x = bn_out
            if s.get("activation") == "leaky":
                nodes.append(helper.make_node("LeakyRelu", [x], [tag + "_lrelu"], name=tag + "_lrelu", alpha=0.1))
                x = tag + "_lrelu"
            elif s.get("activation") != "linear":
                raise ValueError("activation " + s.get("activation"))
            cur, shape = x, (f, (shape[1] + 2 * pad - k) // st + 1, (shape[2] + 2 * pad - k) // st + 1)
        elif t == "shortcut":
            j = int(s["from"])
            src = names[i + j] if j < 0 else names[j]
            nodes.append(helper.make_node("Add", [cur, src], [tag], name=tag))
            cur = tag
        elif t == "route":
            ls = [int(v) for v in s["layers"].split(",")]
            ls = [i + v if v < 0 else v for v in ls]
            if len(ls) == 1:
                cur, shape = names[ls[0]], shapes[ls[0]]
            else:
                nodes.append(helper.make_node("Concat", [names[v] for v in ls], [tag], name=tag, axis=1))
                cur = tag
                shape = (sum(shapes[v][0] for v in ls), shapes[ls[0]][1], shapes[ls[0]][2])
        elif t == "upsample":
            st = int(s["stride"])
            scales = np.array([1, 1, st, st], np.float32)
            if resize == "upsample" and opset < 9:
                nodes.append(helper.make_node("Upsample", [cur], [tag], name=tag, mode="nearest", scales=scales.tolist()))
            elif resize == "upsample":
                nodes.append(helper.make_node("Upsample", [cur, init(tag + "_scale", scales)], [tag], name=tag, mode="nearest"))
            elif resize == "sizes":
                sizes = np.array([batch, shape[0], shape[1] * st, shape[2] * st], np.int64)
                if constants:
                    nodes.append(helper.make_node("Constant", [], [tag + "_sizes"], name=tag + "_sizes_const",
                                                  value=helper.make_tensor(tag + "_sizes", TensorProto.INT64, [4], sizes.tolist())))
                else:
                    init(tag + "_sizes", sizes, TensorProto.INT64)
                nodes.append(helper.make_node("Resize", [cur, "", "", tag + "_sizes"], [tag], name=tag, mode="nearest",
                                              coordinate_transformation_mode="asymmetric", nearest_mode="floor"))
            elif opset == 10:
                nodes.append(helper.make_node("Resize", [cur, init(tag + "_scale", scales)], [tag], name=tag, mode="nearest"))
            else:
                roi = init(tag + "_roi", np.zeros([0], np.float32))
                if constants:
                    nodes.append(helper.make_node("Constant", [], [tag + "_scale"], name=tag + "_scale_const",
                                                  value_floats=scales.tolist()))
                else:
                    init(tag + "_scale", scales)
                attrs = {} if resize == "default" else {"coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
                nodes.append(helper.make_node("Resize", [cur, roi, tag + "_scale"], [tag], name=tag, mode="nearest", **attrs))
            cur, shape = tag, (shape[0], shape[1] * st, shape[2] * st)
        elif t == "maxpool":
            k, st = int(s["size"]), int(s.get("stride", 1))
            p = int(s.get("padding", k - 1))
            pads = [p // 2, p // 2, p - p // 2, p - p // 2]
            if st > 1 and shape[1] % st == 0 and shape[2] % st == 0 and p == k - 1 and k == st:
                pads = [0, 0, 0, 0]  # what exporters write when the padding changes nothing
            nodes.append(helper.make_node("MaxPool", [cur], [tag], name=tag, kernel_shape=[k, k], strides=[st, st], pads=pads))
            cur = tag
            shape = (shape[0], (shape[1] + p - k) // st + 1, (shape[2] + p - k) // st + 1)
        elif t == "yolo":
            if constants:  # an Identity in front of each output, as some producers write
                nodes.append(helper.make_node("Identity", [cur], [tag + "_out"], name=tag + "_identity"))
                cur = tag + "_out"
            outputs.append(helper.make_tensor_value_info(cur, TensorProto.FLOAT, [batch, shape[0], shape[1], shape[2]]))
        else:
            raise ValueError("layer type " + t)
        names.append(cur)
        shapes.append(shape)
    if w.pos != w.floats.size:
        raise ValueError("weights: read %d of %d floats" % (w.pos, w.floats.size))
    inputs = [helper.make_tensor_value_info("000_net", TensorProto.FLOAT, [batch, 3, height, width])]
    inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in inits]
    graph = helper.make_graph(nodes, "YOLOv3-608", inputs, outputs, inits)
    m = helper.make_model(graph, producer_name="NVIDIA TensorRT sample", opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = {7: 3, 9: 4, 10: 5, 11: 6}.get(opset, 7)
    return m
