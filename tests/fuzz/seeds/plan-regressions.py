#!/usr/bin/env python3
"""Writes the plan regression inputs of the fuzzers (tests/fuzz/crashes/plan) into OUT_DIR from the fresh seed
plans in PLAN_DIR (make-seeds.sh builds them with this darkrt: a plan of another darkrt is refused at its
header, which is how the committed binary plans had stopped reaching their paths). Each input is the seed
with the fields the fuzzer changed: header fields, the model section's input size, a layer record's field,
parameter words (the parameters are rewritten word for word, as found). Other layer fields are left as built. The checksum is left
stale: fuzz-plan.c rewrites it, as it did for the fuzzer.
tests/fuzz/seeds/expect.txt says the outcome each must still have.
Usage: python3 tests/fuzz/seeds/plan-regressions.py PLAN_DIR OUT_DIR (tests/fuzz/seeds/make-seeds.sh runs it)."""
import os
import struct
import sys

HEADER = struct.Struct("<8sII16s8I6Q")  # src/engine/plan.c plan_header (checksum last)
FIELDS = ("magic", "format", "header_size", "version", "device", "device_index", "precision", "max_batch",
          "threads", "passes_off", "reserved0", "reserved1", "model_off", "model_size", "backend_off",
          "backend_size", "file_size", "checksum")


def load(path):
    data = bytearray(open(path, "rb").read())
    return data, dict(zip(FIELDS, HEADER.unpack_from(data, 0)))


def set_header(data, **fields):
    h = dict(zip(FIELDS, HEADER.unpack_from(data, 0)))
    h.update(fields)
    HEADER.pack_into(data, 0, *(h[f] for f in FIELDS))


def set_input_size(data, h, width, height):
    """The model section starts with n_layers, width, height, channels, ... (u32, plan.c write_model)."""
    struct.pack_into("<II", data, h["model_off"] + 4, width, height)


def params_at(data, h, stop_at_layer=None):
    """Offset of the parameters (or of layer stop_at_layer's record): model header (9 u32 + u64), source string,
    layer records (each a u32 byte length, then its fields: src/engine/plan-layer.c)."""
    off = h["model_off"]
    n_layers = struct.unpack_from("<I", data, off)[0]
    off += 9 * 4 + 8
    n = struct.unpack_from("<I", data, off)[0]
    off += 4 + (0 if n == 0xFFFFFFFF else n)
    for i in range(n_layers):
        if i == stop_at_layer:
            return off
        off += struct.unpack_from("<I", data, off)[0]
    return off


# A layer record's fields in file order (src/engine/plan-layer.c LAYER_FIELDS; "[]": a uint32 count, then that many
# 4-byte values). unit/fuzz-replay notices a drift: the input would stop reaching the check expect.txt names.
LAYER_FIELDS = """type line inputs[] act filters size stride pad groups stride_y fixed fixed_scale dilation batch_normalize
    padding depth_channels route_groups route_group_id classes num mask[] anchors[] scale_x_y new_coords nms_kind
    beta_nms region gaussian share flipped training_only weights_type weights_norm connected detection det_sqrt
    det_softmax xnor""".split()


def set_layer_field(data, h, index, field, word):
    """Layer `index`'s int32 field becomes word (a uint32 bit pattern) in its record."""
    off = params_at(data, h, stop_at_layer=index) + 4  # after the record's byte length
    for f in LAYER_FIELDS:
        if f == field:
            struct.pack_into("<I", data, off, word)
            return
        off += 4 + (4 * struct.unpack_from("<I", data, off)[0] if f.endswith("[]") else 0)
    raise KeyError(field)


def set_params(data, h, zero, keep, words):
    """Parameters zero[0]..zero[1]-1 become 0, except the ranges in keep (left as built) and the listed
    INDEX=HEXWORD words (float32 bit patterns as the fuzzer wrote them: mostly denormals)."""
    base = params_at(data, h)
    kept = {i for a, b in keep for i in range(a, b)}
    for i in range(*zero):
        if i not in kept:
            struct.pack_into("<I", data, base + 4 * i, 0)
    for w in words.split():
        i, v = w.split("=")
        struct.pack_into("<I", data, base + 4 * int(i), int(v, 16))


def main():
    plans = sys.argv[1].rstrip("/") + "/"
    out = sys.argv[2].rstrip("/") + "/"
    os.makedirs(out, exist_ok=True)

    def save(name, data):
        with open(out + name + ".plan", "wb") as f:
            f.write(data)

    # A 10 KB plan describing a 240x18944 network: the CPU engine allocated 1.08 GB of activations at once
    # (libFuzzer's 1 GB malloc limit; device run C, 2026-11-25). Fixed by drt_engine_opts.max_activation_bytes,
    # checked before the arena is allocated (fuzz-plan sets 256 MiB): refused with DRT_STATUS_OOM.
    d, h = load(plans + "tiny-yolo-cpu-bf16-b4.plan")
    set_input_size(d, h, 240, 18944)
    save("cpu-plan-240x18944-pixels-1GB-activations", d)

    # A CPU plan claiming a batch, with the fuzzer's 65522-pixel-wide input: the engine allocated heads for the
    # whole batch, 1.5 GB (past libFuzzer's 1 GB malloc limit). The found file said batch 121 beside layer records
    # the fuzzer also changed; with this model's heads (62.9 MB an image) batch 24 makes the same 1.5 GB. CPU and
    # reference plans now take the caller's batch (they loop per image); heads above 4 GiB are refused too.
    d, h = load(plans + "tiny-yolo-cpu-int8.plan")
    set_header(d, max_batch=24)
    set_input_size(d, h, 65522, 16)
    save("cpu-plan-batch-4096-1.5GB-heads", d)

    # An fp32 CPU plan whose header says bf16 (and batch 4): oneDNN found no implementation for the stored
    # fp32 primitives and the load returned DRT_STATUS_INTERNAL. Now a clean error or a rebuilt engine.
    d, h = load(plans + "tiny-yolo-cpu-fp32.plan")
    set_header(d, precision=2, max_batch=4)
    save("fp32-plan-claims-bf16", d)

    # int8 plan with absurd parameters (BN scales and weights replaced by denormals and zeros, word for word as
    # found): NaN, cast to int8 (UBSan float-cast-overflow; the found file's path was the activation conversion
    # of src/backend/cpu/cpu-kernels-body.h). Since BN is folded before quantizing, the NaN reaches the weight
    # cast of src/graph/quantize.c (checked with its clamp removed): both clamp now.
    d, h = load(plans + "tiny-yolo-cpu-int8.plan")
    set_params(d, h,
        zero=(6, 648), keep=[(7, 100)],
        words="""
            6=3dac8fe0 100=0000f7e5 102=00000100 103=00000800 104=00000300 105=00000100 106=00000100
            107=00000100 108=00000100 110=00000100 211=80000000 212=0000003f 224=0000d800 226=00000100
            227=00001100 228=00000800 229=00000800 230=00000800 231=00000100 242=00000200 243=00000200
            245=00000100 247=00000100 248=00000100 349=80000000 350=0000003f 365=00001500 366=00000800
            367=00000800 368=00000800 369=00000100 370=00000100 378=00000200 379=00000800 380=00000300
            381=00000100 382=00000100 383=00000800 384=00000100 386=00000100 487=80000000 488=0000003f
            500=00004800 502=00000300 503=00001e00 504=00000800 505=00000800 506=00000800 507=00000200
            508=00000200 509=00000100 521=00000100 524=00000100 578=bb2d4c00 579=c407863d 580=abd400be
            581=a5f5ee3e 582=f14dd43e 583=38b3ffbe 584=63f7e5be 585=ab928e3e 586=1f4dc03d 587=7f757a3e
            588=12fdfcbc 589=ecad5fbd 590=076fca3e 591=e335053e 592=a7e454be 593=c5cc673e 594=dbd1b53e
            595=a953f5bd 596=03986cbe 597=bc2e113e 598=98139b3d 599=c1032cbe 600=ebcc85be 601=b695873e
            602=c9966cbd 603=71b28ebc 604=3b09c43d 605=67e6723e 606=e2f08b3e 607=afa5463e 608=88af7dbc
            609=9256a3be 610=c41123be 611=ca8f4bbe 612=7c13febd 613=2b5c76be 614=78fe02be 615=9c17c8be
            616=a7827e3c 617=cba16e3d 618=1ad676be 619=dac758bd 620=1c5589be 621=dfe64c3e 622=c89a7cbe
            623=d5b688be 624=13102dbd 625=662a133e 626=a758913e 627=3c5cf83d 628=c445da3d 629=71648d3e
            630=9c1757be 631=2c48503e 632=9ff2273d 633=6f6ab13e 634=75d0bbbe 635=1aa48dbe 636=88b1dc3c
            637=94d401be 638=81d2f23e 639=4bfba9be 640=b9403bbe 641=44db973e 642=a41bd2be 643=d21a61be
            644=efff8b3e 645=a3dcd6be 646=569112be 647=bea04e3e
        """)
    save("int8-plan-nan-activation-ubsan", d)

    # int8 weight quantization (int8_t)nearbyintf(w / step) gave 128 when a channel's weights are denormal: step =
    # amax/127 rounds to whole denormal steps (float-cast overflow, UBSan). src/graph/quantize.c clamps to
    # [-127, 127] now. The fuzzer's input (denormals over zeroed batchnorm) no longer reaches the cast since BN is
    # folded before quantizing (the zeroed scales make the weights 0), so this one is designed: conv 0 (the only
    # int8 conv), output channel 0: scale 1, variance 1 (folded factor 0.999995), one weight of 128 denormal steps
    # (0x00000080), the rest 0: step = 128/127 steps rounds to 1 step, and w / step = 128.
    d, h = load(plans + "tiny-yolo-cpu-int8.plan")
    set_params(d, h, zero=(32, 59), keep=[], words="8=3f800000 24=3f800000 32=00000080")
    save("int8-quantize-128-ubsan", d)

    # A huge weight (word 122: 5.9e35) beside zeros and denormals, as found: an activation of 378 converted to
    # int8 (float-cast overflow in src/backend/cpu/cpu-kernels-body.h, checked with its clamps removed), which
    # clamps with selects now. Plans' parameters are also checked for NaN/Inf, as the weights reader checks them.
    d, h = load(plans + "tiny-yolo-cpu-int8.plan")
    set_params(d, h,
        zero=(122, 617), keep=[(123, 321)],
        words="""
            122=7ae2f08b 321=00000062 385=3f800000 401=0000003c 402=0000000c 403=00000010 404=00000010
            405=00000001 406=00000009 415=0000000c 416=00000001 417=00000001 419=00000001 422=00000001
            523=3f800000 536=000000c0 538=00000005 539=00000043 540=0000000c 541=00000010 542=00000010
            543=00000001 544=0000000a 557=00000001 560=00000001 562=00000001 563=00000003 564=00000002
            565=00000001 566=00000002 597=40000000 598=40400000 599=40800000 600=40a00000 601=41000000
            602=41100000
        """)
    save("nan-weight-int8-quantize", d)

    # A layer record's share_index of INT_MIN (fuzz-plan, make test's robust-fuzz-short, 2026-12-04, after the
    # field-by-field plan format): src/graph/model.c's shape check computed share - 1 in int (signed overflow,
    # UBSan). It reads it as a long now, so the plan is refused with the one-line share_index error.
    d, h = load(plans + "tiny-yolo-cpu-fp32.plan")
    set_layer_field(d, h, 0, "share", 0x80000000)
    save("share-index-int-min-overflow", d)

    # A [yolo] record's YOLOv1 detection side of 0x30000000 (fuzz-plan, make test's robust-fuzz-short, 2026-12-04,
    # just after [detection] landed): src/graph/model.c multiplied side x side x (5 num + classes) in long long
    # before checking side (signed overflow, UBSan, in the clang -O1 fuzz build; gcc -O2 moves the product past the
    # check, so the replay build does not trip on it). The side is checked first now: the one-line [detection] error.
    d, h = load(plans + "tiny-yolo-cpu-fp32.plan")
    last = struct.unpack_from("<I", d, h["model_off"])[0] - 1
    set_layer_field(d, h, last, "detection", 0x30000000)
    save("detection-side-overflow", d)

    # 131 bytes, bit-exact but the format (1 when found; this darkrt's 5 now, so that the version is still read):
    # magic, format, a header size of 0xff000070, and version bytes holding a newline
    # (from byte 16: ff ff 04 0a ...): they went raw into "built by darkrt ...", a two-line error.
    # src/engine/plan.c check_header shows '?' for them now.
    save("newline-in-version-message", bytearray(
        b"DRTPLAN1" + b"\x05\x00\x00\x00" + b"p\x00\x00\xff" + b"\xff\xff\x04\n\x00\x00\x00\x80?" + b"\x00" * 17
        + b"\xff" * 34 + b"\x00" * 6 + b"\xd8" + b"\x00" * 28 + b"\x80?\x00\x00" * 5))


if __name__ == "__main__":
    main()
