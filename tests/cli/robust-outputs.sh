#!/usr/bin/env bash
# Output files (issue 19 items 10, 11, 13; issue 17 "outputs to devices, FIFOs and - are written
# directly, and symlinks are followed"): 255-byte output names work; SIGINT/SIGTERM in the middle of a
# write leave no temporary; a command refuses to overwrite its own input (same device and inode, also
# through a hard link or symlink); a symlinked output replaces the link's target and keeps the link;
# FIFOs, character devices and "-" take the bytes directly and stay what they were.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no $DARKRT"
CFG=$TINY_CFG WEIGHTS=$TINY_WEIGHTS IMG=$TINY_IMG
# What /dev/stdout is, made here: a test must never risk replacing the machine's own /dev/stdout.
ln -s /proc/self/fd/1 "$TMP/stdout"
D=("$DARKRT" detect "$CFG" -w "$WEIGHTS" --device ref)
temporaries() { find "$TMP" -name '*.tmp*' | sort; }
no_temporaries() { [ -z "$(temporaries)" ] && ok "$1: no temporary left" || fail "$1: temporaries left: $(temporaries)"; }
same_bytes() { cmp -s "$1" "$2"; }

# 13. A 255-byte output name (the longest a directory entry can be) is written.
long="$TMP/$(printf 'w%.0s' $(seq 1 247)).weights"
"$DARKRT" synth "$CFG" -o "$long" 2>"$TMP/err" && same_bytes "$long" <("$DARKRT" synth "$CFG" -o "$TMP/stdout") &&
    ok "synth to a 255-byte file name" || fail "synth to a 255-byte file name: $(cat "$TMP/err")"
rm -f "$long"

# 10. SIGINT and SIGTERM while a ~100 MB output is being written: no temporary is left.
{ printf '[net]\nwidth=32\nheight=32\nchannels=3\n'
  for _ in 1 2 3 4 5 6; do printf '\n[convolutional]\nfilters=1024\nsize=3\npad=1\nactivation=leaky\n'; done
} > "$TMP/big.cfg"
for sig in INT TERM; do
    # A background job of a script starts with SIGINT ignored: give the command the default action.
    python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
        "$DARKRT" synth "$TMP/big.cfg" -o "$TMP/big.weights" >/dev/null 2>&1 &
    pid=$! caught=0
    for _ in $(seq 1 3000); do
        if compgen -G "$TMP/big.weights.tmp*" >/dev/null; then kill -$sig $pid && caught=1; break; fi
        kill -0 $pid 2>/dev/null || break
        sleep 0.01
    done
    wait $pid; rc=$?
    if [ $caught = 0 ]; then fail "SIG$sig: the temporary never appeared (or synth finished first)"
    else
        [ $rc -ne 0 ] && ok "SIG$sig mid-write: synth ended (rc=$rc)" || fail "SIG$sig mid-write: exit 0"
        no_temporaries "SIG$sig mid-write"
        [ ! -e "$TMP/big.weights" ] && ok "SIG$sig mid-write: no output" || fail "SIG$sig mid-write: a partial output"
    fi
    rm -f "$TMP"/big.weights*
done

# 11. A command never overwrites its own input: the same file, a hard link or a symlink to it.
cp "$CFG" "$TMP/m.cfg"; cp "$WEIGHTS" "$TMP/m.weights"; cp "$IMG" "$TMP/in.png"
ln "$TMP/m.cfg" "$TMP/hard.cfg"; ln -s m.weights "$TMP/link.weights"
"$DARKRT" convert "$TMP/m.cfg" "$TMP/m.weights" -o "$TMP/m.onnx" 2>/dev/null || fail "convert for the ONNX input"
cp "$TMP/m.onnx" "$TMP/m.onnx.orig"
same_input() { # NAME FILE ORIGINAL CMD...: refused with one line, FILE unchanged
    local name=$1 file=$2 orig=$3; shift 3
    expect_error "$name" 'same file as an input' "$@"
    same_bytes "$file" "$orig" && ok "$name: the input is unchanged" || fail "$name: the input was overwritten"
}
same_input "synth m.cfg -o m.cfg" "$TMP/m.cfg" "$CFG" "$DARKRT" synth "$TMP/m.cfg" -o "$TMP/m.cfg"
same_input "synth m.cfg -o its hard link" "$TMP/m.cfg" "$CFG" "$DARKRT" synth "$TMP/m.cfg" -o "$TMP/hard.cfg"
same_input "convert -o the weights (via a symlink)" "$TMP/m.weights" "$WEIGHTS" \
    "$DARKRT" convert "$TMP/m.cfg" "$TMP/m.weights" -o "$TMP/link.weights"
same_input "build m.onnx -o m.onnx" "$TMP/m.onnx" "$TMP/m.onnx.orig" "$DARKRT" build "$TMP/m.onnx" --device ref -o "$TMP/m.onnx"
same_input "detect --json in.png" "$TMP/in.png" "$IMG" "${D[@]}" "$TMP/in.png" -o "$TMP/out.png" --json "$TMP/in.png"
same_input "detect -o in.png" "$TMP/in.png" "$IMG" "${D[@]}" "$TMP/in.png" -o "$TMP/in.png"
no_temporaries "refused outputs"

# issue 17: a symlinked output replaces the target and keeps the link (also a dangling one).
echo old > "$TMP/target.json"; ln -s target.json "$TMP/link.json"; ln -s missing.json "$TMP/dangling.json"
for link in link dangling; do
    target=$(readlink "$TMP/$link.json")
    if "${D[@]}" "$IMG" -o "$TMP/out.png" --json "$TMP/$link.json" >/dev/null 2>"$TMP/err"; then
        [ -L "$TMP/$link.json" ] && ok "--json $link.json: still a symlink" || fail "--json $link.json: the symlink was replaced"
        python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/$target" &&
            ok "--json $link.json: $target holds the JSON" || fail "--json $link.json: $target is not the JSON"
    else fail "--json $link.json: $(cat "$TMP/err")"; fi
done

# FIFOs and character devices are written directly and stay what they were; "-" is stdout.
mkfifo "$TMP/out.fifo"
timeout 60 cat "$TMP/out.fifo" > "$TMP/from-fifo" &
reader=$!
timeout 60 "$DARKRT" synth "$CFG" -o "$TMP/out.fifo" 2>"$TMP/err" || fail "synth -o FIFO: $(cat "$TMP/err")"
wait $reader
[ -p "$TMP/out.fifo" ] && ok "synth -o FIFO: still a FIFO" || fail "synth -o FIFO: the FIFO was replaced"
same_bytes "$TMP/from-fifo" "$WEIGHTS" && ok "synth -o FIFO: the reader got the weights" || fail "synth -o FIFO: wrong bytes"
ln -s /dev/null "$TMP/null-link"
"$DARKRT" convert "$CFG" "$WEIGHTS" -o "$TMP/null-link" 2>"$TMP/err" || fail "convert -o a link to /dev/null: $(cat "$TMP/err")"
[ -L "$TMP/null-link" ] && [ -c /dev/null ] && ok "convert -o a link to /dev/null: link and device kept" ||
    fail "convert -o a link to /dev/null: link or device replaced"
(cd "$TMP" && "$DARKRT" synth "$CFG" -o - > "$TMP/stdout.weights" 2>"$TMP/err") || fail "synth -o -: $(cat "$TMP/err")"
[ ! -e "$TMP/-" ] && same_bytes "$TMP/stdout.weights" "$WEIGHTS" && ok "synth -o -: the weights on stdout, no file named -" ||
    fail "synth -o -: not written to stdout"
"${D[@]}" "$IMG" -o "$TMP/out.png" --json "$TMP/stdout" 2>"$TMP/err" | python3 -c 'import json,sys; json.load(sys.stdin)' &&
    ok "detect --json (a link to /proc/self/fd/1, as /dev/stdout): JSON alone on stdout" || fail "detect --json stdout link: $(cat "$TMP/err")"
[ -L "$TMP/stdout" ] && ok "the stdout link is still a link" || fail "the stdout link was replaced"
expect_error "synth -o a directory" 'is a directory|cannot' "$DARKRT" synth "$CFG" -o "$TMP"
no_temporaries "direct outputs"
finish
