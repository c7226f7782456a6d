#!/usr/bin/env python3
"""Every layer form the exporter and importer handle, on small models:
 - a cfg with mish, swish, logistic, relu, leaky, depthwise conv, route groups, maxpool stride 1
   and 2 with Darknet's padding, dropout, upsample: export (opset 11, 13, 18), onnxruntime vs
   darkrt's reference pass, and the round trip through the importer;
 - a cfg with channel-mismatched shortcuts (Darknet adds min(c) channels): export + onnxruntime;
   its Pad cannot come back through the importer, which must say so by name;
 - a cfg with the AlexeyAB activations ONNX has an operator for (relie, relu6, hardtan, elu,
   selu, tanh; a tanh shortcut): export (opset 10: Clip's bounds as attributes, 13: as inputs),
   onnxruntime vs darkrt's reference pass, the round trip; and stair refused in one line;
 - a cfg with [avgpool], [scale_channels] (squeeze-and-excitation, as enet-coco), [sam] and
   [reorg3d] (as yolov4-sam-mish-csp-reorg-bfm), a dilated conv (as resnet152_trident) and [activation]: export,
   onnxruntime vs darkrt's reference pass, the round trip;
 - a cfg with YOLOv2's [reorg] (as yolov2.cfg: a route of reorg and an earlier layer): export
   (Reshape, Transpose, Reshape), onnxruntime vs darkrt's reference pass at batch 1 and dynamic batch 2;
 - tests/alexeyab/options.cfg (stride_x != stride_y in a conv and a maxpool, antialiasing=1 and 2 on a conv and a
   maxpool: a fixed depthwise blur, maxpool_depth with a partial last group, a downsampling [upsample]): export
   (opset 9: Slice attributes, 13, dynamic batch 2), onnxruntime vs darkrt's reference pass and the round trip (the
   importer reads maxpool_depth's Slice/Max/Concat back as one layer; also in full groups); a Max that is no
   maxpool_depth refused in one line;
 - tests/alexeyab/gaussian.cfg ([Gaussian_yolo] heads, 9 + classes planes per anchor): export,
   onnxruntime vs darkrt's reference pass, the round trip (metadata yolo.headK.gaussian), and
   --decode refused in one line (darkrt detect decodes these heads);
 - tests/alexeyab/layers-b.cfg ([local_avgpool] as AveragePool without the padding in the count, a standalone
   [batchnorm] as BatchNormalization): export (batch 1 and dynamic batch 2), onnxruntime vs darkrt's reference
   pass, the round trip;
 - tests/alexeyab/yolov1.cfg (YOLOv1: [crop] as a fixed depthwise Conv, [local] as a one-hot grouped Conv (im2col),
   Transpose and a MatMul per output pixel, [connected] as a Conv whose kernel is its input, a [detection] head):
   export (opset 13, opset 9 with dynamic batch 2), onnxruntime vs darkrt's reference pass (the importer has no
   [local]: no round trip); --decode refused in one line;
 - tests/alexeyab/shortcut-w.cfg (multi-input and weighted [shortcut] as Slice/Mul/Sum with the normalized
   weights, [implicit] as a [1, c, 1, 1] initializer): export (opset 13 and 10, dynamic batch 2), onnxruntime vs
   darkrt's reference pass (the importer has no Sum: no round trip);
 - tests/alexeyab/xnor.cfg (xnor=1: Greater, Cast, a Conv with integer weights, Mul, Add): export (opset 13, opset 9
   with dynamic batch 2), onnxruntime vs darkrt's reference pass; the importer refuses Greater in one line;
 - a graph written with onnx.helper using Mish-18, Split, Slice, a standalone BatchNormalization
   (epsilon 1e-4), Sigmoid*Mul swish, Softplus/Tanh/Mul mish, SAME_UPPER pads, Dropout, Resize
   with sizes: darkrt's import vs onnxruntime."""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper

import onnxtest as t

CONV = "[convolutional]\nbatch_normalize={bn}\nfilters={f}\nsize={k}\nstride={s}\npad=1\nactivation={a}\n{extra}\n"
ANCHORS = "anchors=10,14, 23,27, 37,58, 81,82, 135,169, 344,319\n"


def conv(f, k=3, s=1, a="leaky", bn=1, extra=""):
    return CONV.format(f=f, k=k, s=s, a=a, bn=bn, extra=extra)


def yolo(mask):
    return "[yolo]\nmask=%s\n%sclasses=2\nnum=6\n\n" % (mask, ANCHORS)


OPS_CFG = ("[net]\nwidth=64\nheight=64\nchannels=3\n\n"
           + conv(16, a="mish")                                   # 0
           + "[maxpool]\nsize=3\nstride=2\n\n"                     # 1: padding 2 -> 32x32
           + conv(32, a="swish")                                  # 2
           + "[route]\nlayers=-1\ngroups=2\ngroup_id=1\n\n"        # 3: channels 16..31
           + conv(16, a="logistic", extra="groups=16")            # 4: depthwise
           + "[shortcut]\nfrom=-2\nactivation=leaky\n\n"          # 5
           + conv(32, k=1, a="relu", bn=0)                        # 6
           + "[dropout]\nprobability=0.1\n\n"                     # 7
           + "[maxpool]\nsize=2\nstride=1\n\n"                     # 8: padding 1, bottom/right
           + "[maxpool]\nsize=5\nstride=1\n\n"                     # 9
           + "[route]\nlayers=-1,-3\n\n"                           # 10
           + conv(21, k=1, a="linear", bn=0)                      # 11
           + yolo("3,4,5")                                        # 12
           + "[route]\nlayers=-4\n\n"                              # 13
           + "[upsample]\nstride=2\n\n"                            # 14
           + "[route]\nlayers=-1,0\n\n"                            # 15
           + conv(21, k=1, a="linear", bn=0)                      # 16
           + yolo("0,1,2"))

SHORTCUT_CFG = ("[net]\nwidth=32\nheight=32\nchannels=3\n\n"
                + conv(16)                                        # 0
                + conv(8)                                         # 1
                + "[shortcut]\nfrom=-2\nactivation=linear\n\n"    # 2: from has more channels (16 > 8)
                + conv(32)                                        # 3
                + "[shortcut]\nfrom=-2\nactivation=leaky\n\n"     # 4: from has fewer channels (8 < 32)
                + conv(21, k=1, a="linear", bn=0)
                + yolo("0,1,2"))

ACTS_CFG = ("[net]\nwidth=32\nheight=32\nchannels=3\n\n"
            + conv(16, a="relie") + conv(16, a="relu6") + conv(16, a="hardtan") + conv(16, a="elu")
            + "[shortcut]\nfrom=-3\nactivation=tanh\n\n"
            + conv(16, a="selu") + conv(16, a="tanh")
            + conv(21, k=1, a="linear", bn=0)
            + yolo("0,1,2"))

SE_CFG = ("[net]\nwidth=32\nheight=32\nchannels=3\n\n"
          + conv(16, a="swish")                                   # 0
          + "[avgpool]\n\n"                                       # 1: 16x1x1
          + conv(16, k=1, a="logistic", bn=0)                     # 2
          + "[scale_channels]\nfrom=-3\n\n"                      # 3: 0 scaled per channel
          + conv(16, a="logistic")                                # 4
          + "[sam]\nfrom=-2\nactivation=leaky\n\n"              # 5: 3 x 4
          + "[reorg3d]\nstride=2\n\n"                            # 6: 64x16x16
          + conv(16, extra="dilation=2")                         # 7: dilated (AlexeyAB pads 2)
          + "[activation]\nactivation=tanh\n\n"                 # 8
          + conv(21, k=1, a="linear", bn=0)
          + yolo("0,1,2"))

REORG_CFG = ("[net]\nwidth=32\nheight=32\nchannels=3\n\n"
             + conv(16)                                          # 0: 16x32x32
             + conv(16, s=2)                                     # 1: 16x16x16
             + "[route]\nlayers=-2\n\n"                          # 2
             + conv(8, k=1)                                      # 3: 8x32x32
             + "[reorg]\nstride=2\n\n"                           # 4: 32x16x16
             + "[route]\nlayers=-1,-4\n\n"                       # 5: 48x16x16
             + conv(21, k=1, a="linear", bn=0)
             + yolo("0,1,2"))


def synth(d, cfg, name):
    w = os.path.join(d, name + ".weights")
    t.darkrt("synth", cfg, "-o", w, "--seed", 5)
    return cfg, w


def write_model(d, name, text):
    cfg = os.path.join(d, name + ".cfg")
    open(cfg, "w").write(text)
    return synth(d, cfg, name)


ALEXEYAB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "alexeyab")


def alexeyab_model(d, name):
    """tests/alexeyab/NAME.cfg, read where it is, and its synthesised weights in d."""
    return synth(d, os.path.join(ALEXEYAB, name + ".cfg"), name)


def cfg_models():
    d = t.tmpdir()
    cfg, w = write_model(d, "ops", OPS_CFG)
    x = t.inputs(2, 3, 64, 64, seed=5)
    ref = t.ref_run(cfg, x, "--weights", w)
    for flags in (["--opset", "13"], ["--opset", "11", "--batch", "dynamic"], ["--opset", "18", "--fold-bn", "--batch", "2"]):
        path = os.path.join(d, "ops.onnx")
        t.darkrt("convert", cfg, w, "-o", path, *flags)
        t.check_model(path)
        what = "ops cfg %s" % " ".join(flags)
        n = 1 if "--batch" not in flags else 2
        t.compare(what + ": onnxruntime vs darkrt ref", t.ort_run(path, x[:n]), [r[:n] for r in ref])
        t.compare(what + ": round trip darkrt run .onnx vs .cfg", t.ref_run(path, x), ref)

    cfg, w = write_model(d, "shortcut", SHORTCUT_CFG)
    x = t.inputs(1, 3, 32, 32, seed=6)
    path = os.path.join(d, "shortcut.onnx")
    t.darkrt("convert", cfg, w, "-o", path)
    t.check_model(path)
    t.compare("channel-mismatched shortcuts: onnxruntime vs darkrt ref", t.ort_run(path, x), t.ref_run(cfg, x, "--weights", w))
    r = t.darkrt("convert", path, "-o", os.path.join(d, "again.onnx"), check=False)
    msg = r.stderr.strip()
    t.check(r.returncode == 1 and "'l4.from.pad' (Pad, opset 13)" in msg and "supported:" in msg and len(msg.splitlines()) == 1,
            "importing a Pad must fail with one line naming the node, op and opset: rc %d %s" % (r.returncode, msg))
    print("Pad import refused: " + msg)


def activations():
    d = t.tmpdir()
    cfg, w = write_model(d, "acts", ACTS_CFG)
    x = t.inputs(1, 3, 32, 32, seed=7)
    ref = t.ref_run(cfg, x, "--weights", w)
    for opset in ("10", "13"):
        path = os.path.join(d, "acts%s.onnx" % opset)
        t.darkrt("convert", cfg, w, "-o", path, "--opset", opset)
        t.check_model(path)
        t.compare("activations opset %s: onnxruntime vs darkrt ref" % opset, t.ort_run(path, x), ref)
        t.compare("activations opset %s: round trip darkrt run .onnx vs .cfg" % opset, t.ref_run(path, x), ref)
    cfg, w = write_model(d, "stair", ACTS_CFG.replace("activation=relie", "activation=stair"))
    r = t.darkrt("convert", cfg, w, "-o", os.path.join(d, "stair.onnx"), check=False)
    msg = r.stderr.strip()
    t.check(r.returncode != 0 and "stair.cfg:6 [conv" in msg and "activation stair" in msg and len(msg.splitlines()) == 1
            and not os.path.exists(os.path.join(d, "stair.onnx")),
            "exporting stair must fail with one line naming the layer and the activation: rc %d %s" % (r.returncode, msg))
    print("stair export refused: " + msg)


def se_sam():
    d = t.tmpdir()
    cfg, w = write_model(d, "se", SE_CFG)
    x = t.inputs(1, 3, 32, 32, seed=11)
    convert_compare(d, "se", cfg, w, x, ([],), "avgpool, scale_channels, sam, reorg3d, dilated conv, activation",
                    round_trip=True)


def reorg():
    d = t.tmpdir()
    cfg, w = write_model(d, "reorg", REORG_CFG)
    x = t.inputs(2, 3, 32, 32, seed=12)
    convert_compare(d, "reorg", cfg, w, x, ([], ["--batch", "dynamic"]), "[reorg]")


def options():
    d = t.tmpdir()
    text = open(os.path.join(ALEXEYAB, "options.cfg")).read()
    cfg, w = write_model(d, "options", text)
    x = t.inputs(2, 3, 64, 64, seed=14)
    path = convert_compare(d, "options", cfg, w, x, (["--opset", "9"], ["--opset", "13"], ["--batch", "dynamic"]),
                           "strides, antialiasing, maxpool_depth, downsample", round_trip=True)
    # maxpool_depth in full groups (12 channels into 4: Max of 3 slices, no partial group) comes back too
    cfg, w = write_model(d, "options-full", text.replace("out_channels=5", "out_channels=4"))
    ref = t.ref_run(cfg, x, "--weights", w)
    t.darkrt("convert", cfg, w, "-o", path)
    t.compare("maxpool_depth 12 into 4: round trip darkrt run .onnx vs .cfg", t.ref_run(path, x), ref)
    inspect = t.darkrt("inspect", path).stdout
    t.check("maxpool_depth: 4 out channels" in inspect, "the imported maxpool_depth layer: " + inspect)
    # a Max that is no maxpool_depth (of the input with itself) is refused in one line naming the rule
    bad = os.path.join(d, "max.onnx")
    g = helper.make_graph([helper.make_node("Max", ["images", "images"], ["y"], name="m")], "max",
                          [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), bad)
    r = t.darkrt("inspect", bad, check=False)
    msg = r.stderr.strip()
    t.check(r.returncode != 0 and "'m' (Max, opset 13)" in msg and "maxpool_depth" in msg and len(msg.splitlines()) == 1,
            "a Max that is no maxpool_depth must be refused in one line: rc %d %s" % (r.returncode, msg))
    print("Max refused: " + msg)


def gaussian():
    d, cfg, w = alexeyab_convert("gaussian", 128, 13, ([],), "[Gaussian_yolo]", round_trip=True)
    decode_refused(d, cfg, w, "Gaussian_yolo")


def convert_compare(d, name, cfg, w, x, flag_sets, what, round_trip=False):
    """cfg converted with each set of flags: a valid model whose onnxruntime heads (and with round_trip, darkrt run's of
    the .onnx) are darkrt's ref pass's on the cfg, on the 2 images of x where the batch is dynamic, else the first.
    Returns the path."""
    ref = t.ref_run(cfg, x, "--weights", w)
    path = os.path.join(d, name + ".onnx")
    for flags in flag_sets:
        t.darkrt("convert", cfg, w, "-o", path, *flags)
        t.check_model(path)
        n = 2 if "dynamic" in flags else 1
        label = " ".join([what] + list(flags))
        t.compare(label + ": onnxruntime vs darkrt ref", t.ort_run(path, x[:n]), [r[:n] for r in ref])
        if round_trip:
            t.compare(label + ": round trip darkrt run .onnx vs .cfg", t.ref_run(path, x[:n]), [r[:n] for r in ref])
    return path


def decode_refused(d, cfg, w, kind):
    """convert --decode of heads darkrt detect decodes itself ([KIND]) fails in one line and writes nothing."""
    r = t.darkrt("convert", cfg, w, "-o", os.path.join(d, "decode.onnx"), "--decode", check=False)
    msg = r.stderr.strip()
    t.check(r.returncode != 0 and "[%s] layer" % kind in msg and len(msg.splitlines()) == 1
            and not os.path.exists(os.path.join(d, "decode.onnx")),
            "--decode of [%s] heads must fail with one line: rc %d %s" % (kind, r.returncode, msg))
    print("--decode refused: " + msg)


def third_party_graph(path):
    rs = np.random.RandomState(9)

    def init(name, shape, scale=0.3):
        a = (rs.randn(*shape) * scale).astype(np.float32)
        return helper.make_tensor(name, TensorProto.FLOAT, a.shape, a.tobytes(), raw=True)

    def ints(name, v):
        return helper.make_tensor(name, TensorProto.INT64, [len(v)], v)

    inits = [init("w1", [8, 3, 3, 3]), init("b1", [8]), init("w2", [8, 4, 1, 1]),
             init("bn_s", [8], 1), init("bn_b", [8]), init("bn_m", [8]),
             helper.make_tensor("bn_v", TensorProto.FLOAT, [8], (np.abs(rs.randn(8)) + 0.1).astype(np.float32).tolist()),
             init("bn2_s", [8], 1), init("bn2_b", [8]), init("bn2_m", [8]),
             helper.make_tensor("bn2_v", TensorProto.FLOAT, [8], (np.abs(rs.randn(8)) + 0.1).astype(np.float32).tolist()),
             init("w3", [21, 8, 1, 1]), init("b3", [21]), init("w4", [21, 8, 1, 1]), init("b4", [21]),
             ints("split", [4, 4]), ints("st", [4]), ints("en", [8]), ints("ax", [1]), ints("sizes", [1, 8, 32, 32])]
    N = helper.make_node
    nodes = [N("Conv", ["images", "w1", "b1"], ["c1"], name="conv1", auto_pad="SAME_UPPER", kernel_shape=[3, 3]),
             N("Mish", ["c1"], ["m1"], name="mish1"),
             N("Split", ["m1", "split"], ["s0", "s1"], name="split", axis=1),
             N("Conv", ["s1", "w2"], ["c2"], name="conv2"),
             N("BatchNormalization", ["c2", "bn_s", "bn_b", "bn_m", "bn_v"], ["bn"], name="bn", epsilon=1e-4),
             N("Sigmoid", ["bn"], ["sig"], name="sig"),
             N("Mul", ["bn", "sig"], ["sw"], name="swish"),
             N("Slice", ["sw", "st", "en", "ax"], ["sl"], name="slice"),
             N("Concat", ["s0", "sl"], ["cat"], name="cat", axis=1),
             N("BatchNormalization", ["cat", "bn2_s", "bn2_b", "bn2_m", "bn2_v"], ["bn2"], name="bn2"),
             N("LeakyRelu", ["bn2"], ["lr"], name="leaky", alpha=0.1),
             N("MaxPool", ["lr"], ["mp"], name="pool", kernel_shape=[2, 2], strides=[2, 2], auto_pad="SAME_UPPER"),
             N("Relu", ["mp"], ["re"], name="relu"),
             N("Dropout", ["re"], ["dr"], name="drop"),
             N("Conv", ["dr", "w3", "b3"], ["head_a"], name="conv3"),
             N("Resize", ["dr", "", "", "sizes"], ["up"], name="resize", mode="nearest"),
             N("Conv", ["up", "w4", "b4"], ["c4"], name="conv4"),
             N("Softplus", ["c4"], ["sp"], name="softplus"),
             N("Tanh", ["sp"], ["th"], name="tanh"),
             N("Mul", ["c4", "th"], ["head_b"], name="mish4")]
    g = helper.make_graph(nodes, "ops", [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 32, 32])],
                          [helper.make_tensor_value_info("head_a", TensorProto.FLOAT, [1, 21, 16, 16]),
                           helper.make_tensor_value_info("head_b", TensorProto.FLOAT, [1, 21, 32, 32])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)


def third_party():
    path = os.path.join(t.tmpdir(), "ops3.onnx")
    third_party_graph(path)
    x = t.inputs(1, 3, 32, 32, seed=8)
    t.compare("onnx.helper graph (Mish, Split, Slice, BN, swish, mish, SAME_UPPER, Resize sizes): darkrt(import) vs onnxruntime",
              t.ref_run(path, x), t.ort_run(path, x))

def alexeyab_convert(name, size, seed, flag_sets, what, round_trip=False):
    """tests/alexeyab/NAME.cfg (synthesised weights) through convert_compare on 2 inputs of size x size; (d, cfg, w)."""
    d = t.tmpdir()
    cfg, w = alexeyab_model(d, name)
    convert_compare(d, name, cfg, w, t.inputs(2, 3, size, size, seed=seed), flag_sets, what, round_trip)
    return d, cfg, w


def layers_b():
    alexeyab_convert("layers-b", 64, 14, ([], ["--batch", "dynamic"]), "[local_avgpool], [batchnorm]", round_trip=True)


def shortcut_w():
    alexeyab_convert("shortcut-w", 64, 15, (["--opset", "13"], ["--opset", "10", "--batch", "dynamic"]),
                     "weighted shortcuts, [implicit]")


def xnor():
    """tests/alexeyab/xnor.cfg (xnor=1 convs: Greater, Cast, Conv with integer weights, Mul, Add): onnxruntime vs darkrt's
    reference pass (which counts the signs); the importer has no Greater: refused in one line naming the node."""
    d, _, _ = alexeyab_convert("xnor", 64, 16, (["--opset", "13"], ["--opset", "9", "--batch", "dynamic"]), "xnor=1 convs")
    r = t.darkrt("inspect", os.path.join(d, "xnor.onnx"), check=False)
    msg = r.stderr.strip()
    t.check(r.returncode != 0 and "'l0.xnor.gt' (Greater" in msg and len(msg.splitlines()) == 1,
            "importing an xnor export must fail in one line naming Greater: rc %d %s" % (r.returncode, msg))
    print("import of xnor=1 refused: " + msg)


LOCAL_HUGE_CFG = """[net]
width=16
height=16
channels=3

[convolutional]
filters=8192
size=1
activation=linear

[local]
filters=1
size=16
activation=linear

[convolutional]
filters=6
size=1
activation=linear

[yolo]
mask=0
anchors=1,1
classes=1
num=1
"""


def local_too_large():
    """A [local] whose ONNX im2col kernel (8192 channels x 16^4) would pass 2 GiB: refused in one line, nothing written."""
    d = t.tmpdir()
    cfg = os.path.join(d, "local-huge.cfg")
    with open(cfg, "w") as f:
        f.write(LOCAL_HUGE_CFG)
    out = os.path.join(d, "local-huge.onnx")
    r = t.darkrt("convert", cfg, "--random-weights", "-o", out, check=False)
    msg = r.stderr.strip()
    t.check(r.returncode != 0 and "local-huge.cfg: [local] layer 1" in msg and "at most 2^29" in msg
            and len(msg.splitlines()) == 1 and not os.path.exists(out),
            "a [local] past ONNX's 2 GiB must be refused in one line: rc %d %s" % (r.returncode, msg))
    print("huge [local] refused: " + msg)


def yolov1():
    d, cfg, w = alexeyab_convert("yolov1", 72, 16, (["--opset", "13"], ["--opset", "9", "--batch", "dynamic"]),
                                 "[crop], [local], [connected]")
    decode_refused(d, cfg, w, "detection")


if __name__ == "__main__":
    if not os.path.exists(t.DARKRT):
        t.skip("no darkrt binary in " + t.BUILD)
    cfg_models()
    activations()
    se_sam()
    reorg()
    options()
    gaussian()
    layers_b()
    shortcut_w()
    yolov1()
    xnor()
    local_too_large()
    third_party()
    t.finish()
