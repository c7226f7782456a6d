#!/usr/bin/env python3
"""bench/device/video.sh's pace check of one trial: did every sender keep real time, and did every
receiver stream get its frames at the stream's rate?

Senders: ffmpeg -benchmark logs (one a stream; "bench: ... rtime=S": the sending time, its start left
out); a sender's rate is the clip's frames over that time. Receivers: darkrt detect's summary
("URL: N frames, D dropped, F fps, latency M ms mean, X ms max, stream R fps over S s") or
bench/peers/torch_video.py's JSON line ("streams": frames, dropped, fps).
Rule: FULL when every sender's rate >= 98% of --fps and every stream detected >= 99% of --frames
with its results at >= 97% of --fps from its first to its last (and its mean latency < 1 s where the
receiver reports it: darkrt's summary, the peer's "latency_ms");
SENDERS-SLOW when some sender fell behind or left no time (the count says nothing of the receiver);
FAILED when no stream has a frame detected; else SHORT. Prints one line; per-stream rows go to --details.
Exit: 0 FULL, 1 SHORT, 2 no receiver results, 3 SENDERS-SLOW.
usage: video-pace.py --streams N --frames F --fps 30 --result OUT [--details FILE] SENDER.log..."""
import argparse, json, re, sys

SENDER_MIN, RECEIVER_FPS_MIN, FRAMES_MIN, LATENCY_MAX_MS = 0.98, 0.97, 0.99, 1000.0


def senders(logs, frames):
    """Rate of each sender (None where its log holds no rtime: it failed or was stopped)."""
    rates = []
    for path in sorted(logs, key=lambda p: int(re.search(r"(\d+)\.log$", p).group(1))):  # stream order
        try:
            m = re.search(r"bench: .*rtime=([0-9.]+)s", open(path, errors="replace").read())
        except OSError:
            m = None
        rtime = float(m.group(1)) if m else 0.0
        rates.append(frames / rtime if rtime > 0 else None)
    return rates


def receivers(text):
    """Per stream (url, frames, dropped, fps, mean latency ms or None)."""
    lines = [l for l in text.splitlines() if l.lstrip().startswith("{")]
    if lines:
        try:
            return [(s["url"], s["frames"], s["dropped"], s["fps"], s.get("latency_ms", {}).get("mean"), peer_note(s))
                    for s in json.loads(lines[-1])["streams"]]
        except (ValueError, KeyError):
            return []
    rows = re.findall(r"^(\S+): (\d+) frames, (\d+) dropped, \S+ fps, latency (\S+) ms mean, \S+ ms max, "
                      r"stream (\S+) fps over \S+ s$", text, re.M)
    return [(u, int(n), int(d), float(r), float(lat), "") for u, n, d, lat, r in rows]


def peer_note(s):
    """When the peer's stream dropped (start-up burst or steady) and its latency, where its JSON says."""
    if "dropped_first_s" not in s:
        return ""
    lat = s.get("latency_ms", {})
    return "; drops %d in its first second, %d later%s; latency %s ms mean, %s ms max" % (
        s["dropped_first_s"], s["dropped_later"], " (at %s s)" % ", ".join(map(str, s["drop_at_s"])) if s.get("drop_at_s") else "",
        lat.get("mean", "?"), lat.get("max", "?"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--streams", type=int, required=True)
    ap.add_argument("--frames", type=int, required=True, help="frames each sender sends")
    ap.add_argument("--fps", type=float, default=30)
    ap.add_argument("--result", required=True, help="the receiver's stdout")
    ap.add_argument("--details", help="per-stream rows")
    ap.add_argument("logs", nargs="*")
    a = ap.parse_args()
    n = a.streams
    rates = senders(a.logs, a.frames)
    rates += [None] * (n - len(rates))
    try:
        rx = receivers(open(a.result, errors="replace").read())
    except OSError:
        rx = []
    if a.details:
        with open(a.details, "w") as f:
            for i in range(max(n, len(rx))):
                s = "%.1f fps" % rates[i] if i < len(rates) and rates[i] else "no rtime"
                r = "%s: %d frames, %d dropped, %.1f fps" % rx[i][:4] + rx[i][5] if i < len(rx) else "no result"
                f.write("  stream %d: sender %s | receiver %s\n" % (i, s, r))
    slow = [r for r in rates if r is None or r < SENDER_MIN * a.fps]
    known = [r for r in rates if r is not None]
    send = "senders: %d of %d below %.1f fps, rate min %s" % (
        len(slow), n, SENDER_MIN * a.fps, "%.1f fps" % min(known) if known else "none (no rtime)")
    if not rx or not any(r[1] for r in rx):  # (H200 call B, session 10: darkrt's first frames failed)
        print("FAILED %d streams: no frame detected (the run's stderr is in runs.txt); %s" % (n, send))
        return 2
    frames = [r[1] for r in rx]
    fps = [r[3] for r in rx]
    lat = [r[4] for r in rx if r[4] is not None]
    recv = "receivers: %d streams, frames min %d mean %.0f of %d, dropped max %d, fps min %.1f%s" % (
        len(rx), min(frames), sum(frames) / len(frames), a.frames, max(r[2] for r in rx), min(fps),
        ", mean latency up to %.0f ms" % max(lat) if lat else "")
    if slow:
        print("SENDERS-SLOW %d streams: %s; %s" % (n, send, recv))
        return 3
    ok = (len(rx) == n and min(frames) >= int(FRAMES_MIN * a.frames) and min(fps) >= RECEIVER_FPS_MIN * a.fps
          and max(lat or [0]) < LATENCY_MAX_MS)
    print("%s %d streams: %s; %s" % ("FULL" if ok else "SHORT", n, send, recv))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
