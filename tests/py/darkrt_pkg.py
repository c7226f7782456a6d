"""Builds the darkrt Python package (python/) for the tests, once per build directory, and imports it.

pip builds it with scikit-build-core into $DRT_BUILD/python/site (the CMake tree stays in
$DRT_BUILD/python/cmake, so rebuilds are incremental); it is rebuilt when a source is newer.
Tests that cannot build it exit 77 with the reason.
"""
import fcntl
import os
import subprocess
import sys

ROOT = os.environ.get("DRT_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("DRT_BUILD") or os.path.join(ROOT, "build")
SITE = os.path.join(BUILD, "python", "site")
SOURCES = ["python", "src", "include", "cli", "CMakeLists.txt"]


def _newest_source():
    newest = 0.0
    for s in SOURCES:
        path = os.path.join(ROOT, s)
        if os.path.isfile(path):
            newest = max(newest, os.path.getmtime(path))
        for d, dirs, files in os.walk(path):
            dirs[:] = [x for x in dirs if x not in ("build-py", "__pycache__")]
            newest = max([newest] + [os.path.getmtime(os.path.join(d, f)) for f in files])
    return newest


def _build():
    stamp = os.path.join(SITE, ".built")
    if os.path.exists(stamp) and os.path.getmtime(stamp) >= _newest_source():
        return
    try:
        import scikit_build_core  # noqa: F401
    except ImportError:
        print("scikit-build-core is not installed (scripts/deps.sh installs it)")
        sys.exit(77)
    cmd = [sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--upgrade", "-q",
           "--target", SITE, "-C", "build-dir=" + os.path.join(BUILD, "python", "cmake"),
           # The tests run on the CPU: leave nvcc out to keep the build short.
           "-C", "cmake.define.DRT_CUDA=OFF", os.path.join(ROOT, "python")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise RuntimeError("pip install ./python failed")
    open(stamp, "w").close()


def import_darkrt():
    """The package built from this tree (never another darkrt installed elsewhere)."""
    os.makedirs(os.path.join(BUILD, "python"), exist_ok=True)
    with open(os.path.join(BUILD, "python", ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _build()
    sys.path.insert(0, SITE)
    import darkrt
    assert darkrt.__file__.startswith(SITE), darkrt.__file__
    return darkrt
