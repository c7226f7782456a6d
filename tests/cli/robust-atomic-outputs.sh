#!/usr/bin/env bash
# Outputs are all-or-nothing: after a failed convert, build, detect or compare, the old ONNX, plan, PNG,
# JSON and HTML files are untouched (or, for detect's JSON report, replaced by a complete one) and no
# temporary is left; after a successful run they are complete new files; after a SIGKILL in the middle of
# writing, the file is still the old one or the complete new one.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no $DARKRT"
CFG=$TINY_CFG WEIGHTS=$TINY_WEIGHTS IMG=$TINY_IMG
BADIMG="$DRT_ROOT/tests/bad/images/truncated.png"
OLD="old complete file $$"
bash "$DRT_ROOT/tests/bad/robust-weights/make-bad-weights.sh" "$DARKRT" "$TMP/bad-weights" || fail "make-bad-weights.sh"
BADW="$TMP/bad-weights/truncated.weights"
ran=0

works() { "$@" >/dev/null 2>&1; }
reset_out() { for f in "$@"; do printf '%s\n' "$OLD" > "$f"; done; }
is_old() { [ "$(cat "$1" 2>/dev/null)" = "$OLD" ]; }
temporaries() { find "$TMP" -maxdepth 2 -name '*.tmp*' | sort; }

# valid_output KIND FILE: the file is a complete output of its kind.
valid_output() {
    case $1 in
        onnx) python3 -c "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]))" "$2" 2>/dev/null ;;
        plan) "$DARKRT" inspect "$2" >/dev/null 2>&1 ;;
        json) python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$2" 2>/dev/null ;;
        html) tail -c 4096 "$2" | grep -q '</html>' ;;
        png) python3 - "$2" <<'PY' 2>/dev/null
import struct, sys, zlib
d = open(sys.argv[1], 'rb').read()
assert d[:8] == b'\x89PNG\r\n\x1a\n'
i, idat = 8, b''
while True:
    n, = struct.unpack('>I', d[i:i + 4]); t = d[i + 4:i + 8]; body = d[i + 8:i + 8 + n]
    assert struct.unpack('>I', d[i + 8 + n:i + 12 + n])[0] == zlib.crc32(t + body) & 0xffffffff
    if t == b'IDAT': idat += body
    i += 12 + n
    if t == b'IEND': break
zlib.decompress(idat)
PY
        ;;
    esac
}

# failing_run NAME KIND... -- CMD: CMD must fail and leave each output (named out.KIND) as it was.
failing_run() {
    local name=$1; shift
    local kinds=()
    while [ "$1" != -- ]; do kinds+=("$1"); shift; done; shift
    for k in "${kinds[@]}"; do reset_out "$TMP/out.$k"; done
    "$@" >/dev/null 2>"$TMP/err" && { fail "$name: succeeded on a bad input"; return; }
    for k in "${kinds[@]}"; do
        if is_old "$TMP/out.$k"; then ok "$name: out.$k still the old file"
        elif valid_output "$k" "$TMP/out.$k"; then ok "$name: out.$k replaced by a complete $k file (a report of the failure)"
        else fail "$name: out.$k is neither the old file nor a complete one: $(head -c 80 "$TMP/out.$k" | tr -d '\0')"; fi
    done
    [ -z "$(temporaries)" ] && ok "$name: no temporary left" || fail "$name: temporaries left: $(temporaries)"
}

# good_run NAME KIND... -- CMD: CMD must succeed and replace each old output with a complete new one.
good_run() {
    local name=$1; shift
    local kinds=()
    while [ "$1" != -- ]; do kinds+=("$1"); shift; done; shift
    for k in "${kinds[@]}"; do reset_out "$TMP/out.$k"; done
    "$@" >/dev/null 2>"$TMP/err" || { fail "$name: failed: $(head -n 3 "$TMP/err")"; return; }
    for k in "${kinds[@]}"; do
        valid_output "$k" "$TMP/out.$k" && ok "$name: out.$k replaced by a complete file" || fail "$name: out.$k is not a complete $k file"
    done
    [ -z "$(temporaries)" ] && ok "$name: no temporary left" || fail "$name: temporaries left: $(temporaries)"
}

# killed_run NAME KIND CMD...: SIGKILL CMD as soon as its temporary for out.KIND appears (or at the end);
# out.KIND must then be the old file or a complete new one.
killed_run() {
    local name=$1 kind=$2; shift 2
    reset_out "$TMP/out.$kind"
    "$@" >/dev/null 2>&1 &
    local pid=$! caught=0
    for _ in $(seq 1 6000); do
        if compgen -G "$TMP/out.$kind.tmp*" >/dev/null; then kill -9 $pid 2>/dev/null && caught=1; break; fi
        kill -0 $pid 2>/dev/null || break
        sleep 0.01
    done
    wait $pid 2>/dev/null
    if is_old "$TMP/out.$kind"; then
        ok "$name: killed $([ $caught = 1 ] && echo "while writing" || echo "(finished first)"): out.$kind is the old file"
    elif valid_output "$kind" "$TMP/out.$kind"; then
        ok "$name: out.$kind is a complete new file (the kill came after the rename)"
    else
        fail "$name: after SIGKILL out.$kind is neither the old file nor a complete one"
    fi
    rm -f "$TMP"/out.*.tmp* # a SIGKILL leaves its temporaries; only rename makes one the output
}

# A model big enough (~100 MB of weights) that writing its ONNX or plan takes a while.
big_model() {
    [ -f "$TMP/big.weights" ] && return 0
    { printf '[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nfilters=1024\nsize=3\npad=1\nactivation=leaky\n'
      for _ in 1 2 3; do printf '\n[convolutional]\nbatch_normalize=1\nfilters=1024\nsize=3\npad=1\nactivation=leaky\n'; done
      printf '\n[convolutional]\nfilters=18\nsize=1\nactivation=linear\n\n[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=1\nnum=3\n'
    } > "$TMP/big.cfg"
    "$DARKRT" synth "$TMP/big.cfg" -o "$TMP/big.weights" >/dev/null 2>&1
}

if works "$DARKRT" convert "$CFG" "$WEIGHTS" -o "$TMP/probe.onnx"; then
    rm -f "$TMP/probe.onnx"; ran=$((ran + 1))
    failing_run "convert, bad cfg" onnx -- "$DARKRT" convert "$DRT_ROOT/tests/bad/cfg/size-zero.cfg" "$WEIGHTS" -o "$TMP/out.onnx"
    failing_run "convert, truncated weights" onnx -- "$DARKRT" convert "$CFG" "$BADW" -o "$TMP/out.onnx"
    good_run "convert" onnx -- "$DARKRT" convert "$CFG" "$WEIGHTS" -o "$TMP/out.onnx"
    big_model && killed_run "convert (big model)" onnx "$DARKRT" convert "$TMP/big.cfg" "$TMP/big.weights" -o "$TMP/out.onnx"
else
    echo "note: darkrt convert does not work yet: convert checks skipped"
fi

dev=cpu
works "$DARKRT" build "$CFG" --weights "$WEIGHTS" -o "$TMP/probe.plan" ||
    { dev=ref; echo "note: darkrt build --device cpu fails here: plans of the reference engine instead"; }
if works "$DARKRT" build "$CFG" --weights "$WEIGHTS" --device $dev -o "$TMP/probe.plan"; then
    rm -f "$TMP/probe.plan"; ran=$((ran + 1))
    failing_run "build, truncated weights" plan -- "$DARKRT" build "$CFG" --weights "$BADW" --device $dev -o "$TMP/out.plan"
    failing_run "build, bad cfg" plan -- "$DARKRT" build "$DRT_ROOT/tests/bad/cfg/size-zero.cfg" --device $dev -o "$TMP/out.plan"
    good_run "build" plan -- "$DARKRT" build "$CFG" --weights "$WEIGHTS" --device $dev -o "$TMP/out.plan"
    big_model && killed_run "build (big model)" plan "$DARKRT" build "$TMP/big.cfg" --weights "$TMP/big.weights" --device $dev -o "$TMP/out.plan"
else
    echo "note: darkrt build does not work yet: build checks skipped"
fi

D=("$DARKRT" detect "$CFG" --weights "$WEIGHTS" --device ref)
if works "${D[@]}" "$IMG" -o "$TMP/probe.png" --json "$TMP/probe.json"; then
    rm -f "$TMP"/probe.*; ran=$((ran + 1))
    failing_run "detect, truncated image" png json -- "${D[@]}" "$BADIMG" -o "$TMP/out.png" --json "$TMP/out.json"
    failing_run "detect, truncated weights" png json -- "$DARKRT" detect "$CFG" --weights "$BADW" "$IMG" -o "$TMP/out.png" --json "$TMP/out.json"
    good_run "detect" png json -- "${D[@]}" "$IMG" -o "$TMP/out.png" --json "$TMP/out.json"
    # A large drawing takes a while to encode: kill while the PNG is being written.
    python3 - "$TMP/big-in.png" <<'PY'
import struct, sys, zlib
w, h = 3000, 2000
row = bytes([0]) + bytes((x * 7) & 255 for x in range(w * 3))
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[1], 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
                              + chunk(b'IDAT', zlib.compress(row * h, 1)) + chunk(b'IEND', b''))
PY
    killed_run "detect (3000x2000 drawing)" png "${D[@]}" "$TMP/big-in.png" -o "$TMP/out.png" --json "$TMP/out.json"
else
    echo "note: darkrt detect does not work yet: detect checks skipped"
fi

CMP=("$DARKRT" compare "$CFG" --weights "$WEIGHTS" --engines ref --runs 1 --warmup 0)
if works "${CMP[@]}" "$IMG" --json "$TMP/probe.json" --html "$TMP/probe.html"; then
    rm -f "$TMP"/probe.*; ran=$((ran + 1))
    failing_run "compare, truncated image" html json -- "${CMP[@]}" "$BADIMG" --json "$TMP/out.json" --html "$TMP/out.html"
    good_run "compare" html json -- "${CMP[@]}" "$IMG" --json "$TMP/out.json" --html "$TMP/out.html"
else
    echo "note: darkrt compare does not work yet: compare checks skipped"
fi

[ $ran -gt 0 ] || skip "none of convert, build, detect, compare works yet"
finish
