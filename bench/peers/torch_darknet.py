"""A PyTorch model built from a Darknet .cfg and .weights, with Darknet's exact inference semantics.

build_model(cfg_path, weights_path=None, bn='alexeyab'|'pjreddie') -> nn.Module whose forward(x)
(x: float32 NCHW, RGB in [0,1]) returns the list of head tensors, i.e. what enters each [yolo]
layer, in cfg order. It is an independent second implementation of the forward pass (tests
compare it with darkrt's reference engine) and the PyTorch peer of the benchmarks.

Semantics followed (pjreddie's and AlexeyAB's Darknet agree on all of them but batchnorm):
  convolutional  pad=1 means size//2 on each side, else `padding` (default 0); groups; bias or
                 batchnorm in eval mode: (x - mean) / sqrt(var + 1e-5) * scale + bias (AlexeyAB,
                 also ONNX) or / (sqrt(var) + 1e-6) (pjreddie, 2018); activations linear, leaky
                 (0.1), relu, logistic, mish, swish, tanh.
  maxpool        size, stride (default size), padding (default size - 1) split as padding//2
                 left/top and the rest right/bottom, padded with -inf; out = (w + padding - size)
                 // stride + 1.
  route          layers (negative: relative), each input sliced to group group_id of groups.
  shortcut       out = act(prev + from) where shapes agree; otherwise Darknet's shortcut_cpu
                 rule (channels min(c1, c2), strided sampling by the width ratio).
  upsample       nearest, by stride (and `scale` multiplies).
  dropout, yolo  identity (yolo outputs are the heads).
Works with torch 1.13 and 2.x.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

try:
    from darknet_cfg import ints as _ints, parse_cfg
except ImportError:  # imported as part of a package
    from .darknet_cfg import ints as _ints, parse_cfg

__all__ = ["parse_cfg", "build_model", "DarknetModel"]

def _int(opts, key, default):
    return int(opts.get(key, default))


def _activation(name):
    if name == "linear":
        return lambda x: x
    if name == "leaky":
        return lambda x: F.leaky_relu(x, 0.1)
    if name == "relu":
        return F.relu
    if name == "logistic":
        return torch.sigmoid
    if name == "tanh":
        return torch.tanh
    if name == "mish":
        return lambda x: x * torch.tanh(F.softplus(x))
    if name == "swish":
        return lambda x: x * torch.sigmoid(x)
    raise ValueError(f"activation {name}: not supported")


class Conv(nn.Module):
    def __init__(self, in_c, opts, bn_formula):
        super().__init__()
        self.filters = _int(opts, "filters", 1)
        self.size = _int(opts, "size", 1)
        self.stride = _int(opts, "stride", 1)
        self.groups = _int(opts, "groups", 1)
        self.pad = self.size // 2 if _int(opts, "pad", 0) else _int(opts, "padding", 0)
        self.bn = _int(opts, "batch_normalize", 0)
        self.bn_formula = bn_formula
        self.act_name = opts.get("activation", "logistic")
        self.act = _activation(self.act_name)
        if in_c % self.groups or self.filters % self.groups:
            raise ValueError(f"groups={self.groups} must divide channels {in_c} and filters {self.filters}")
        self.in_c = in_c
        f = self.filters
        self.register_buffer("weight", torch.zeros(f, in_c // self.groups, self.size, self.size))
        self.register_buffer("bias", torch.zeros(f))
        self.register_buffer("scale", torch.ones(f))
        self.register_buffer("mean", torch.zeros(f))
        self.register_buffer("var", torch.ones(f))

    def n_params(self):
        return self.filters * (4 if self.bn else 1) + self.weight.numel()

    def load(self, blob, offset):
        f = self.filters

        def take(n):
            nonlocal offset
            if offset + n > blob.size:
                raise ValueError("weights file too short for the cfg")
            out = torch.from_numpy(blob[offset:offset + n].copy())
            offset += n
            return out
        self.bias.copy_(take(f))
        if self.bn:
            self.scale.copy_(take(f))
            self.mean.copy_(take(f))
            self.var.copy_(take(f))
        self.weight.copy_(take(self.weight.numel()).view_as(self.weight))
        return offset

    def forward(self, x):
        y = F.conv2d(x, self.weight, None, self.stride, self.pad, 1, self.groups)
        if self.bn:
            if self.bn_formula == "pjreddie":
                denom = torch.sqrt(self.var) + 1e-6
            else:
                denom = torch.sqrt(self.var + 1e-5)
            mul = (self.scale / denom).view(1, -1, 1, 1)
            y = (y - self.mean.view(1, -1, 1, 1)) * mul
        y = y + self.bias.view(1, -1, 1, 1)
        return self.act(y)


def _maxpool(x, size, stride, padding):
    left = padding // 2
    right = padding - left
    if padding:
        x = F.pad(x, (left, right, left, right), mode="constant", value=float("-inf"))
    return F.max_pool2d(x, size, stride)


def _route(outs, p):
    """Darknet's route: the group_id-th channel slice of each listed layer, concatenated."""
    parts = []
    for v in p["layers"]:
        t = outs[v]
        if p["groups"] > 1:
            step = t.shape[1] // p["groups"]
            t = t[:, p["group_id"] * step:(p["group_id"] + 1) * step]
        parts.append(t)
    return parts[0] if len(parts) == 1 else torch.cat(parts, 1)


def _shortcut(prev, add):
    """Darknet's shortcut_cpu: out = prev, plus add over the common channels, sampled by width ratio."""
    if prev.shape == add.shape:
        return prev + add
    w1, h1, c1 = add.shape[3], add.shape[2], add.shape[1]
    w2, h2, c2 = prev.shape[3], prev.shape[2], prev.shape[1]
    stride = max(w1 // w2, 1)
    sample = max(w2 // w1, 1)
    minw, minh, minc = min(w1, w2), min(h1, h2), min(c1, c2)
    out = prev.clone()
    out[:, :minc, 0:minh * sample:sample, 0:minw * sample:sample] += \
        add[:, :minc, 0:minh * stride:stride, 0:minw * stride:stride]
    return out


class DarknetModel(nn.Module):
    """Layers in cfg order; forward returns the inputs of the [yolo] layers."""

    def __init__(self, cfg_path, bn="alexeyab"):
        super().__init__()
        if bn not in ("alexeyab", "pjreddie"):
            raise ValueError("bn must be 'alexeyab' or 'pjreddie'")
        sections = parse_cfg(cfg_path)
        net = sections[0][1]
        self.width, self.height = _int(net, "width", 416), _int(net, "height", 416)
        self.channels = _int(net, "channels", 3)
        self.specs = []  # (type, params dict) per layer
        self.convs = nn.ModuleList()
        self.yolo = []   # per head: anchors, mask, classes, scale_x_y, new_coords
        shapes = []      # (c, h, w) per layer
        c, h, w = self.channels, self.height, self.width
        for kind, opts, lineno in sections[1:]:
            where = f"{cfg_path}:{lineno} [{kind}]"
            i = len(self.specs)
            if kind == "convolutional":
                conv = Conv(c, opts, bn)
                self.specs.append(("conv", {"index": len(self.convs)}))
                self.convs.append(conv)
                c = conv.filters
                h = (h + 2 * conv.pad - conv.size) // conv.stride + 1
                w = (w + 2 * conv.pad - conv.size) // conv.stride + 1
            elif kind == "maxpool":
                size = _int(opts, "size", 1)
                stride = _int(opts, "stride", size)
                padding = _int(opts, "padding", size - 1)
                self.specs.append(("maxpool", {"size": size, "stride": stride, "padding": padding}))
                h = (h + padding - size) // stride + 1
                w = (w + padding - size) // stride + 1
            elif kind == "route":
                layers = [v if v >= 0 else i + v for v in _ints(opts["layers"])]
                groups, gid = _int(opts, "groups", 1), _int(opts, "group_id", 0)
                if any(v < 0 or v >= i for v in layers):
                    raise ValueError(f"{where}: layers= points outside 0..{i - 1}")
                self.specs.append(("route", {"layers": layers, "groups": groups, "group_id": gid}))
                c = sum(shapes[v][0] // groups for v in layers)
                h, w = shapes[layers[0]][1], shapes[layers[0]][2]
            elif kind == "shortcut":
                src = _int(opts, "from", -1)
                src = src if src >= 0 else i + src
                self.specs.append(("shortcut", {"from": src, "act": _activation(opts.get("activation", "linear"))}))
            elif kind == "upsample":
                stride = _int(opts, "stride", 2)
                self.specs.append(("upsample", {"stride": stride, "scale": float(opts.get("scale", 1))}))
                h, w = h * stride, w * stride
            elif kind in ("dropout", "yolo"):
                self.specs.append((kind, {}))
                if kind == "yolo":
                    anchors = [float(v) for v in opts.get("anchors", "").replace(" ", "").split(",") if v]
                    mask = _ints(opts["mask"]) if "mask" in opts else list(range(_int(opts, "num", 1)))
                    self.yolo.append({"anchors": np.array(anchors, dtype=np.float32).reshape(-1, 2),
                                      "mask": mask, "classes": _int(opts, "classes", 20),
                                      "scale_x_y": float(opts.get("scale_x_y", 1)),
                                      "new_coords": _int(opts, "new_coords", 0), "layer": i})
            else:
                raise ValueError(f"{where}: layer type not supported")
            shapes.append((c, h, w))
        self.shapes = shapes

    def load_weights(self, path):
        with open(path, "rb") as f:
            major, minor, _revision = np.fromfile(f, dtype=np.int32, count=3)
            wide = major * 10 + minor >= 2 and major < 1000 and minor < 1000
            np.fromfile(f, dtype=np.uint64 if wide else np.uint32, count=1)
            blob = np.fromfile(f, dtype=np.float32)
        offset = 0
        for conv in self.convs:
            offset = conv.load(blob, offset)
        return offset

    def forward(self, x):
        outs, heads = [], []
        for kind, p in self.specs:
            if kind == "conv":
                x = self.convs[p["index"]](x)
            elif kind == "maxpool":
                x = _maxpool(x, p["size"], p["stride"], p["padding"])
            elif kind == "route":
                x = _route(outs, p)
            elif kind == "shortcut":
                x = p["act"](_shortcut(x, outs[p["from"]]))
            elif kind == "upsample":
                s = p["stride"]
                x = x.repeat_interleave(s, dim=2).repeat_interleave(s, dim=3)
                if p["scale"] != 1:
                    x = x * p["scale"]
            elif kind == "yolo":
                heads.append(x)
            outs.append(x)
        return heads


def build_model(cfg_path, weights_path=None, bn="alexeyab"):
    """The model in eval mode; without weights_path every parameter is zero (biases, weights)."""
    model = DarknetModel(cfg_path, bn)
    if weights_path is not None:
        model.load_weights(weights_path)
    return model.eval()
