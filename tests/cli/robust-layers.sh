#!/usr/bin/env bash
# One layer limit for every front end (issue 19 item 5): a cfg of 100,000 (or 20,001) layers and an ONNX
# graph of 20,001 nodes are refused at once with one line naming darkrt's limit of 20,000 layers; a cfg of
# exactly 20,000 layers loads. (Loading and building are linear in the layers: tests/unit/build-time.c.)
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no $DARKRT"
mk() { { printf '[net]\nwidth=16\nheight=16\nchannels=3\n'; for _ in $(seq 1 "$1"); do printf '\n[maxpool]\nsize=1\nstride=1\n'; done; } > "$2"; }
mk 100000 "$TMP/l100000.cfg"; mk 20001 "$TMP/l20001.cfg"; mk 20000 "$TMP/l20000.cfg"
start=$(date +%s)
expect_error "cfg of 100000 layers" 'more than 20000 layers: darkrt.s limit for every model' timeout 60 "$DARKRT" inspect "$TMP/l100000.cfg"
expect_error "cfg of 20001 layers" 'more than 20000 layers' timeout 60 "$DARKRT" inspect "$TMP/l20001.cfg"
[ $(( $(date +%s) - start )) -lt 30 ] && ok "both refused within 30 s" || fail "refusing took $(( $(date +%s) - start )) s"
timeout 120 "$DARKRT" inspect "$TMP/l20000.cfg" >/dev/null 2>"$TMP/err" && ok "cfg of 20000 layers loads" || fail "cfg of 20000 layers: $(tail -n 1 "$TMP/err")"
python3 - "$TMP/n20001.onnx" <<'PY' || fail "could not make the ONNX graph"
import sys
from onnx import TensorProto, helper
nodes = [helper.make_node("Relu", ["x" if i == 0 else "t%d" % (i - 1)], ["t%d" % i]) for i in range(20001)]
g = helper.make_graph(nodes, "long", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                      [helper.make_tensor_value_info("t20000", TensorProto.FLOAT, [1, 3, 16, 16])])
open(sys.argv[1], "wb").write(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
PY
expect_error "ONNX graph of 20001 nodes" 'more than 20000, darkrt.s limit for every model' timeout 60 "$DARKRT" inspect "$TMP/n20001.onnx"
finish
