#!/usr/bin/env bash
# A FIFO given as any input (cfg, weights, ONNX, plan, names, image, an image inside a directory, eval's
# JSON) is refused at once with one line naming it (issue 19 item 3): no loader opens it blocking and
# waits for a writer that never comes.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no $DARKRT"
CFG=$TINY_CFG WEIGHTS=$TINY_WEIGHTS IMG=$TINY_IMG
for f in x.cfg x.weights x.onnx x.plan x.names x.png x.json; do mkfifo "$TMP/$f"; done
mkdir "$TMP/dir"; mkfifo "$TMP/dir/x.jpg"
"$DARKRT" detect "$CFG" -w "$WEIGHTS" --device ref "$IMG" -o "$TMP/ok.png" --json "$TMP/ok.json" >/dev/null 2>&1 ||
    fail "detect on a good image failed"
fifo() { # NAME CMD...: refused within 20 s, one line naming the FIFO
    local name=$1; shift
    expect_error "$name" 'not a regular file' timeout 20 "$@"
}
fifo "inspect FIFO.cfg" "$DARKRT" inspect "$TMP/x.cfg"
fifo "inspect cfg -w FIFO.weights" "$DARKRT" inspect "$CFG" -w "$TMP/x.weights"
fifo "inspect FIFO.onnx" "$DARKRT" inspect "$TMP/x.onnx"
fifo "inspect FIFO.plan" "$DARKRT" inspect "$TMP/x.plan"
fifo "inspect --names FIFO" "$DARKRT" inspect "$CFG" --names "$TMP/x.names"
fifo "detect FIFO.png" "$DARKRT" detect "$CFG" -w "$WEIGHTS" --device ref "$TMP/x.png" -o "$TMP/out.png"
fifo "detect DIR holding a FIFO named x.jpg" "$DARKRT" detect "$CFG" -w "$WEIGHTS" --device ref "$TMP/dir" -o "$TMP/out/"
fifo "eval FIFO.json" "$DARKRT" eval "$TMP/x.json" "$TMP/ok.json"
finish
