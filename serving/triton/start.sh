#!/usr/bin/env bash
# Starts Triton Inference Server with the darkrt model (serving/triton/darkrt): the tritonserver binary
# and Python backend of PyPI's nvidia-pytriton wheel (scripts/deps.sh installs it), the model.py
# running in the Python that has the darkrt package (pip install ./python).
#   serving/triton/start.sh MODEL [WEIGHTS] [tritonserver options...]
#   e.g. serving/triton/start.sh yolo.cfg yolo.weights --http-port 8000 --grpc-port 8001
# MODEL is a .cfg (with WEIGHTS), an .onnx or a darkrt .plan. Environment: PYTHON (default python3: the
# one with nvidia-pytriton), STUB_PYTHON (default /usr/bin/python3: the one model.py runs in; the
# wheel's backend stub reads numpy arrays wrongly with numpy 2, so it needs numpy 1.x, which Debian's
# python3-numpy is; darkrt may come from PYTHONPATH), DARKRT_DEVICE (cpu), DARKRT_PRECISION (fp32),
# DARKRT_THREADS (0: all cores).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: serving/triton/start.sh MODEL [WEIGHTS] [tritonserver options...]" >&2; exit 2; }
export DARKRT_MODEL=$(realpath "$1"); shift
DARKRT_WEIGHTS=
if [ $# -ge 1 ] && [[ "$1" != -* ]]; then DARKRT_WEIGHTS=$(realpath "$1"); shift; fi
export DARKRT_WEIGHTS DARKRT_DEVICE=${DARKRT_DEVICE:-cpu} DARKRT_PRECISION=${DARKRT_PRECISION:-fp32}
export DARKRT_THREADS=${DARKRT_THREADS:-0}
PY=${PYTHON:-python3}
STUB_PY=${STUB_PYTHON:-/usr/bin/python3}

# Where the wheel put tritonserver; the Python whose libpython the backend stub embeds.
pytriton=$("$PY" -c 'import importlib.util, os; s = importlib.util.find_spec("pytriton"); print(os.path.dirname(s.origin) if s else "-")')
read -r pyver pylib numpy_major < <("$STUB_PY" -c '
import sys, sysconfig
try:
    import numpy
    major = numpy.__version__.split(".")[0]
except ImportError:
    major = "none"
print("%d.%d" % sys.version_info[:2], sysconfig.get_config_var("LIBDIR"), major)')
server="$pytriton/tritonserver/bin/tritonserver"
stub="$pytriton/tritonserver/python_backend_stubs/$pyver/triton_python_backend_stub"
if [ ! -x "$server" ] || [ ! -x "$stub" ]; then
    echo "start.sh: no tritonserver with a Python $pyver backend stub ($pytriton): $PY -m pip install --no-deps nvidia-pytriton" >&2
    exit 3
fi
if [ "$numpy_major" != 1 ]; then
    echo "start.sh: $STUB_PY has numpy $numpy_major: the backend stub needs numpy 1.x (apt-get install python3-numpy)" >&2
    exit 3
fi
"$STUB_PY" -c "import darkrt" 2>/dev/null || { echo "start.sh: $STUB_PY cannot import darkrt: pip install ./python, or set PYTHONPATH" >&2; exit 3; }

# The Python backend runs the stub found beside libtriton_python.so: one for this Python version.
backends=$(mktemp -d /tmp/darkrt-triton.XXXXXX)
trap 'rm -rf "$backends" "$stub_bin"' EXIT
mkdir -p "$backends/python"
ln -s "$pytriton/tritonserver/backends/python/libtriton_python.so" "$pytriton/tritonserver/backends/python/triton_python_backend_utils.py" "$backends/python/"
ln -s "$stub" "$backends/python/triton_python_backend_stub"
# The stub embeds libpython: make it STUB_PY's. It ignores PYTHONHOME and finds its prefix (stdlib,
# site-packages) from the first python3 on PATH, so that must be STUB_PY too.
export LD_LIBRARY_PATH="$pylib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
stub_bin=$(mktemp -d /tmp/darkrt-triton-bin.XXXXXX)
ln -s "$(realpath "$STUB_PY")" "$stub_bin/python3"
export PATH="$stub_bin:$PATH"
"$server" --model-repository="$here" --backend-directory="$backends" "$@" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$backends" "$stub_bin"' EXIT INT TERM
wait $pid
