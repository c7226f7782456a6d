"""Appends one dated section to bench/results/NAME.md (a benchmark's --record): the commit, the CPU and
its load (the machine is shared with other builds), what ran, the command and the report."""
import datetime
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def append(name, report, setup=""):
    """setup: what ran, appended to the CPU line ("; ..."), or empty."""
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = f"bench/{os.path.basename(sys.argv[0])} " + " ".join(sys.argv[1:])
    with open(os.path.join(ROOT, "bench", "results", name), "a") as f:
        f.write(f"\n## {stamp}, commit {commit}\n- CPU: {cpu_name()} ({os.cpu_count()} cores, shared with other "
                f"builds: load average {os.getloadavg()[0]:.1f} at the end){setup}\n- command: {cmd}\n"
                f"```\n{report}\n```\n")
