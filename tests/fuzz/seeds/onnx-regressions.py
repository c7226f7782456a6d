#!/usr/bin/env python3
"""Writes the ONNX regression inputs of the fuzzers (tests/fuzz/crashes/onnx) into OUT_DIR, each made from
the seed BASE (darkrt's export of tests/fuzz/corpus/cfg/tiny-v3.cfg at opset 9, as the fuzzer's were) by the
one change that triggered the bug. The fuzzer's own files also carried unrelated byte mutations; these keep
only the trigger. tests/fuzz/seeds/expect.txt says the outcome each must still have.
Usage: python3 tests/fuzz/seeds/onnx-regressions.py BASE.onnx OUT_DIR (tests/fuzz/seeds/make-seeds.sh runs it)."""
import copy
import os
import sys

import onnx


def node(model, name):
    return next(n for n in model.graph.node if n.name == name)


def main():
    base = onnx.load(sys.argv[1])
    out = sys.argv[2].rstrip("/") + "/"
    os.makedirs(out, exist_ok=True)

    # src/onnx/onnx-import-ops.c fuse_act / define_value: a BatchNormalization (or Conv) with an empty output
    # name; out_value() gave -1 and the importer read and wrote x->vals[-1] (heap-buffer-overflow, found by the
    # long run after 238,699 executions). Both return early for -1 now; the next node's input is then missing.
    m = copy.deepcopy(base)
    node(m, "l7.bn").output[0] = ""
    onnx.save(m, out + "conv-unnamed-output-fuse-act-overflow.onnx")

    # src/onnx/onnx-tensor.c ix_attr_ints: an INTS attribute with no values (protobuf-c leaves ints NULL) made
    # memcpy(out, NULL, 0) (UB). The first Conv's dilations are an empty list here.
    m = copy.deepcopy(base)
    dil = next(a for a in node(m, "l0.conv").attribute if a.name == "dilations")
    del dil.ints[:]
    onnx.save(m, out + "memcpy-null-empty-raw-data.onnx")

    # src/onnx node messages: a domain string from the file holding a newline went into the error text, which
    # became two lines. Control bytes show as '?' now (src/core/error.c).
    m = copy.deepcopy(base)
    node(m, "l0.bn").domain = "x\nepsilon"
    onnx.save(m, out + "newline-in-domain-message.onnx")


if __name__ == "__main__":
    main()
