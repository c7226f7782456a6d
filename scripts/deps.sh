#!/usr/bin/env bash
# Installs what darkrt needs on a Debian machine, skipping what is already there.
# As root it runs apt-get and pip; otherwise it lists what is missing and fails.
set -euo pipefail

APT_PKGS=(gcc make cmake pkgconf clang protobuf-c-compiler libprotobuf-c-dev libonnx-dev libdnnl-dev libstb-dev
          libpng-dev libjpeg62-turbo-dev darknet python3-torch python3-numpy chromium
          libavformat-dev libavcodec-dev libavdevice-dev libswscale-dev libavutil-dev ffmpeg libsdl2-dev xvfb x11-apps
          libffmpeg-nvenc-dev nasm openssl)
# libffmpeg-nvenc-dev (nv-codec-headers): the video module's NVDEC device (src/video/video-cuda.c) and
# scripts/ffmpeg-device.sh's FFmpeg; nasm: that FFmpeg's assembly; openssl: tests/cli/video-live.sh's
# self-signed certificate for its https:// server.
# PyPI packages go to the python3 on PATH (pyenv's here), not Debian's /usr/bin/python3.
PY=${PYTHON:-python3}
# Each entry is a pip name, or pip-name=module where the import name differs. pytest and
# scikit-build-core build and test the Python package (python/); tritonclient talks to the Triton
# server of serving/triton (tests/py/test_triton.py). OpenCV 4.x (5 dropped Darknet)
# is bench/e2e-cpu.sh's peer. scikit-image ships the photos bench/int8-accuracy.sh scores on.
PIP_PKGS=(numpy onnx onnxruntime pycocotools pytest scikit-build-core=scikit_build_core pillow=PIL
          "opencv-python-headless<5=cv2" "tritonclient[http,grpc]=tritonclient.grpc" scikit-image=skimage)

missing_apt=()
for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing_apt+=("$p")
done
missing_pip=()
for p in "${PIP_PKGS[@]}"; do
    "$PY" -c "import ${p#*=}" 2>/dev/null || missing_pip+=("${p%%=*}")
done

# tritonserver and its Python backend come in the nvidia-pytriton wheel; its Python API (and its
# numpy < 2 pin) is not used, so it is installed without dependencies.
nodeps_pip=()
"$PY" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('pytriton') is None)" 2>/dev/null ||
    nodeps_pip+=(nvidia-pytriton)

# nvJPEG's header for a CUDA build (--decode gpu; libnvjpeg itself is loaded at run time, from the
# GPU machine's CUDA): no CUDA apt repository here, so it comes from PyPI's nvidia-nvjpeg wheel.
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
need_nvjpeg=0
[ -x "$CUDA_HOME/bin/nvcc" ] && [ ! -e "$CUDA_HOME/include/nvjpeg.h" ] && need_nvjpeg=1

if [ ${#missing_apt[@]} -eq 0 ] && [ ${#missing_pip[@]} -eq 0 ] && [ ${#nodeps_pip[@]} -eq 0 ] && [ $need_nvjpeg = 0 ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "darkrt: missing dependencies (run 'make deps' as root, or install them yourself):" >&2
    [ ${#missing_apt[@]} -gt 0 ] && echo "  apt-get install ${missing_apt[*]}" >&2
    [ ${#missing_pip[@]} -gt 0 ] && echo "  $PY -m pip install ${missing_pip[*]}" >&2
    [ ${#nodeps_pip[@]} -gt 0 ] && echo "  $PY -m pip install --no-deps ${nodeps_pip[*]}" >&2
    [ $need_nvjpeg = 1 ] && echo "  nvjpeg.h into $CUDA_HOME/include (pip's nvidia-nvjpeg)" >&2
    exit 1
fi
if [ ${#missing_apt[@]} -gt 0 ]; then
    echo "darkrt: installing ${missing_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing_apt[@]}" >/dev/null
fi
if [ ${#missing_pip[@]} -gt 0 ]; then
    echo "darkrt: installing ${missing_pip[*]} for $PY"
    "$PY" -m pip install -q "${missing_pip[@]}"
fi
if [ ${#nodeps_pip[@]} -gt 0 ]; then
    echo "darkrt: installing ${nodeps_pip[*]} (without dependencies) for $PY"
    "$PY" -m pip install -q --no-deps "${nodeps_pip[@]}"
fi
if [ $need_nvjpeg = 1 ]; then
    echo "darkrt: installing nvjpeg.h into $CUDA_HOME/include (from nvidia-nvjpeg, for $PY)"
    "$PY" -m pip install -q "nvidia-nvjpeg>=13,<14"
    hdr=$("$PY" -c 'import glob, os, nvidia
print(next(p for d in nvidia.__path__ for p in glob.glob(os.path.join(d, "*", "include", "nvjpeg.h"))))')
    cp "$hdr" "$CUDA_HOME/include/nvjpeg.h"
fi
