#!/usr/bin/env python3
"""A one-client RTSP server for tests on loopback: serves FILE's video (H.264) to the first client that
connects, interleaved in the RTSP connection (TCP) or over RTP/UDP, as the client asks. FFmpeg's ffmpeg CLI cannot be such a server: its `-rtsp_flags listen` waits for a client that
PUBLISHES (ANNOUNCE/RECORD), not one that PLAYs. Here the ffmpeg CLI still makes the SDP and the RTP
packets (`-f rtp`, paced by -re from PLAY on, RTCP BYE at the end); this script only speaks RTSP
(OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN) and, for TCP, relays the packets.

Usage: rtsp-serve.py [--udp-only] FILE PORT_FILE. Binds a free port on 127.0.0.1 and writes it to
PORT_FILE once listening; says "PLAY over udp|tcp" on stdout; exits after the client's stream ends (TCP:
the connection closed after the BYE) or on TEARDOWN. --udp-only refuses the interleaved transport (461
Unsupported Transport), as some cameras do: FFmpeg then asks for RTP/UDP.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

FF = ["ffmpeg", "-nostdin", "-v", "error"]


def make_sdp(path):
    """ffmpeg's own SDP for the file's video as RTP (payload 96, SPS/PPS in sprop-parameter-sets)."""
    sdp = path + ".sdp"
    subprocess.run(FF + ["-y", "-i", path, "-map", "0:v:0", "-c", "copy", "-frames:v", "1", "-f", "rtp",
                         "-sdp_file", sdp, "rtp://127.0.0.1:9"], check=True)
    text = open(sdp).read().replace("\r\n", "\n").strip().split("\n")
    text = [l for l in text if not l.startswith("a=tool")] + ["a=control:track0"]
    return "\r\n".join(text) + "\r\n"


def udp_pair():
    """Two UDP sockets on 127.0.0.1, ports P and P+1 (RTP and RTCP)."""
    while True:
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.bind(("127.0.0.1", 0))
        port = a.getsockname()[1]
        if port % 2 == 0 and port < 65535:
            b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                b.bind(("127.0.0.1", port + 1))
                return a, b
            except OSError:
                b.close()
        a.close()


class Session:
    def __init__(self, conn, path, sdp, udp_only):
        self.conn, self.path, self.sdp, self.udp_only = conn, path, sdp, udp_only
        self.send_lock = threading.Lock()
        self.tcp = False
        self.client_ports = None
        self.ffmpeg = None
        self.done = threading.Event()

    def send(self, data):
        with self.send_lock:
            self.conn.sendall(data)

    def reply(self, cseq, extra="", body=""):
        head = f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n{extra}"
        if body:
            head += f"Content-Length: {len(body.encode())}\r\n"
        self.send((head + "\r\n" + body).encode())

    def relay(self, sock, channel):
        """TCP: each RTP (channel 0) or RTCP (channel 1) packet from ffmpeg as '$' channel length packet."""
        sock.settimeout(0.2)
        while not self.done.is_set():
            try:
                pkt = sock.recv(65536)
            except socket.timeout:
                continue
            try:
                self.send(b"$" + bytes([channel]) + len(pkt).to_bytes(2, "big") + pkt)
            except OSError:
                return

    def play(self):
        if self.tcp:
            rtp, rtcp = udp_pair()
            dest = rtp.getsockname()[1], rtcp.getsockname()[1]
            for sock, ch in ((rtp, 0), (rtcp, 1)):
                threading.Thread(target=self.relay, args=(sock, ch), daemon=True).start()
        else:
            dest = self.client_ports
        url = f"rtp://127.0.0.1:{dest[0]}?rtcpport={dest[1]}"
        self.ffmpeg = subprocess.Popen(FF + ["-re", "-i", self.path, "-map", "0:v:0", "-c", "copy",
                                             "-f", "rtp", "-rtpflags", "send_bye", url], stdout=subprocess.DEVNULL)
        print("PLAY over", "tcp" if self.tcp else "udp", flush=True)
        threading.Thread(target=self.stream_end, daemon=True).start()

    def stream_end(self):
        self.ffmpeg.wait()
        if self.tcp:  # the relay's last packets (the BYE) out, then the connection's end is the stream's end
            time.sleep(0.5)
            self.done.set()
            try:
                self.conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        else:  # the BYE went by UDP; the client closes or tears down (or is gone: 10 s)
            self.done.wait(10)
            self.done.set()

    def handle(self, method, url, headers):
        cseq = headers.get("cseq", "0")
        if method == "OPTIONS":
            self.reply(cseq, "Public: OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN\r\n")
        elif method == "DESCRIBE":
            base = url.rstrip("/") + "/"
            self.reply(cseq, f"Content-Base: {base}\r\nContent-Type: application/sdp\r\n", self.sdp)
        elif method == "SETUP":
            transport = headers.get("transport", "")
            m = re.search(r"client_port=(\d+)-(\d+)", transport)
            if "RTP/AVP/TCP" in transport and not self.udp_only:
                self.tcp = True
                reply = "RTP/AVP/TCP;unicast;interleaved=0-1"
            elif m:
                self.client_ports = int(m.group(1)), int(m.group(2))
                reply = f"RTP/AVP/UDP;unicast;client_port={m.group(1)}-{m.group(2)}"
            else:
                self.send(f"RTSP/1.0 461 Unsupported Transport\r\nCSeq: {cseq}\r\n\r\n".encode())
                return
            self.reply(cseq, f"Transport: {reply}\r\nSession: 12345678;timeout=60\r\n")
        elif method == "PLAY":
            self.reply(cseq, "Session: 12345678\r\nRange: npt=0.000-\r\n")
            self.play()
        elif method == "TEARDOWN":
            self.reply(cseq, "Session: 12345678\r\n")
            self.done.set()
        elif method == "GET_PARAMETER":
            self.reply(cseq, "Session: 12345678\r\n")
        else:
            self.send(f"RTSP/1.0 501 Not Implemented\r\nCSeq: {cseq}\r\n\r\n".encode())

    def serve(self):
        buf = b""
        self.conn.settimeout(0.2)
        while not self.done.is_set():
            try:
                data = self.conn.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            buf += data
            while buf:
                if buf[:1] == b"$":  # the client's interleaved RTCP receiver reports: read past them
                    if len(buf) < 4 or len(buf) < 4 + int.from_bytes(buf[2:4], "big"):
                        break
                    buf = buf[4 + int.from_bytes(buf[2:4], "big"):]
                    continue
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                lines = buf[:end].decode("latin-1").split("\r\n")
                headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
                size = end + 4 + int(headers.get("content-length", "0"))
                if len(buf) < size:
                    break
                buf = buf[size:]
                method, url, _ = lines[0].split(" ", 2)
                self.handle(method, url, headers)
        self.done.set()

    def stop(self):
        if self.ffmpeg and self.ffmpeg.poll() is None:
            self.ffmpeg.terminate()
            self.ffmpeg.wait()


def main():
    udp_only = sys.argv[1] == "--udp-only"
    path, port_file = sys.argv[1 + udp_only:3 + udp_only]
    sdp = make_sdp(path)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    conn, _ = server.accept()
    server.close()
    session = Session(conn, path, sdp, udp_only)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # the test's timeout or trap: ffmpeg goes too
    try:
        session.serve()
    finally:
        session.stop()
        conn.close()


if __name__ == "__main__":
    main()
