# Sourced by shell tests: paths and small assertions. Exit 77 to skip.
set -u
: "${DRT_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${DRT_BUILD:=$DRT_ROOT/build-asan}"
: "${DRT_DATA:=$DRT_BUILD/testdata}"
DARKRT="$DRT_BUILD/darkrt"
SHARED=${DRT_SHARED:-$DRT_ROOT/../shared}
FASTEST_CFG="$SHARED/models/yolo-fastest-1.1/yolo-fastest-1.1.cfg"
FASTEST_WEIGHTS="$SHARED/models/yolo-fastest-1.1/yolo-fastest-1.1.weights"
COCO_NAMES="$SHARED/models/yolo-fastest-1.1/coco.names"
# The tiny model and image of the fuzz corpus: small enough for every CLI test to build and run (weights and
# image from the seed tree tests/prepare-data.sh makes with tests/fuzz/seeds/make-seeds.sh).
FUZZ_SEEDS="$DRT_DATA/fuzz-seeds"
TINY_CFG="$DRT_ROOT/tests/fuzz/corpus/cfg/tiny-yolo.cfg"
TINY_WEIGHTS="$FUZZ_SEEDS/corpus/weights/tiny-yolo-v0.2.weights"
TINY_IMG="$FUZZ_SEEDS/corpus/image/rgb.png"
DN_CFG=/usr/share/darknet/cfg
DN_DATA=/usr/share/darknet/data
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
skip() { echo "skipped: $*"; exit 77; }
# expect_error NAME PATTERN CMD...: the command must exit non-zero with one line on stderr matching PATTERN.
expect_error() {
    local name=$1 pattern=$2; shift 2
    local err rc
    err=$("$@" 2>&1 >/dev/null); rc=$?
    if [ $rc -eq 0 ]; then fail "$name: exited 0"; return; fi
    if [ $rc -ge 128 ]; then fail "$name: crashed (rc=$rc): $err"; return; fi
    if ! grep -qE "$pattern" <<<"$err"; then fail "$name: message does not match /$pattern/: $err"; return; fi
    if [ "$(grep -vc 'SUMMARY\|^$' <<<"$err")" -gt 3 ]; then fail "$name: more than a one-line error: $err"; return; fi
    ok "$name: $err"
}
finish() { [ $failures -eq 0 ] && echo "all checks passed" || echo "$failures check(s) failed"; [ $failures -eq 0 ]; }

# tiny_model DIR: a 6-conv 96x96 cfg of two classes (batchnorm, strides 2) and its weights (darkrt synth, seed 3) as
# DIR/tiny.cfg and DIR/tiny.weights: fast int8 builds for the calibration tests.
tiny_model() {
    local conv='[convolutional]\nbatch_normalize=1\nfilters=%s\nsize=%s\nstride=%s\npad=1\nactivation=leaky\n\n'
    {
        printf '[net]\nwidth=96\nheight=96\nchannels=3\n\n'
        printf "$conv" 8 3 2 16 3 2 16 1 1 32 3 2 16 3 1
        printf '[convolutional]\nsize=1\nstride=1\npad=1\nfilters=21\nactivation=linear\n\n'
        printf '[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=2\nnum=3\n'
    } >"$1/tiny.cfg"
    "$DARKRT" synth "$1/tiny.cfg" -o "$1/tiny.weights" --seed 3 >/dev/null
}
