"""Starts serving/triton/start.sh on free loopback ports for tests and benchmarks, and stops it.

    with TritonServer(cfg, weights, threads=1) as server:   # raises Unavailable with the reason
        server.http_url, server.grpc_url
"""
import os
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class Unavailable(Exception):
    """The server cannot start here (no tritonserver, no numpy 1.x for the stub...): the reason."""


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class TritonServer:
    def __init__(self, model, weights=None, threads=0, pythonpath=None, timeout=120):
        self.model, self.weights, self.threads, self.timeout = model, weights, threads, timeout
        self.pythonpath = pythonpath
        self.proc = None

    def __enter__(self):
        import tritonclient.http as th
        http, grpc, metrics = _free_ports(3)
        self.http_url, self.grpc_url = f"127.0.0.1:{http}", f"127.0.0.1:{grpc}"
        env = dict(os.environ, DARKRT_THREADS=str(self.threads))
        if self.pythonpath:
            env["PYTHONPATH"] = self.pythonpath
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        cmd = [os.path.join(ROOT, "serving", "triton", "start.sh"), self.model] + ([self.weights] if self.weights else [])
        cmd += ["--http-port", str(http), "--grpc-port", str(grpc), "--metrics-port", str(metrics)]
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        client = th.InferenceServerClient(self.http_url)
        deadline = time.time() + self.timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise Unavailable(self._last_line(f"start.sh exited with status {self.proc.returncode}"))
            try:
                if client.is_model_ready("darkrt"):
                    return self
            except Exception:  # noqa: BLE001 - not listening yet
                pass
            time.sleep(0.5)
        self.__exit__(None, None, None)
        raise Unavailable(self._last_line(f"not ready after {self.timeout} s"))

    def _last_line(self, why):
        with open(self.log.name) as f:
            lines = [line.strip() for line in f if line.strip() and not line.startswith(("|", "+"))]
        return f"tritonserver: {why}: {lines[-1] if lines else 'no output'}"

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return False
