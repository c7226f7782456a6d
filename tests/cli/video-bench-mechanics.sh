#!/usr/bin/env bash
# The GPU video benchmark's parts that can fail before it measures anything, here on the CPU:
#  - bench/device/video-pace.py, its rule on known inputs: FULL only when every sender kept real
#    time and every stream got >= 99% of its frames at >= 97% of the rate; SENDERS-SLOW when a
#    sender fell behind or left no time; SHORT otherwise; FAILED when no frame was detected;
#  - bench/peers/torch_video.py (Debian's torch, CPU) on 3 live UDP streams served on loopback as
#    bench/device/video.sh serves them: every stream's socket listens before any sender starts
#    (H200 call C: OpenCV's readers opened 1 of 64), every frame sent is received, and each stream's
#    frames are either detected or counted as dropped, every drop timed (first second or later), its
#    latency and batches reported, its queues sized as darkrt's and dropped by darkrt's rule
#    (drop_oldest against src/video/live-drop.h); a batch takes every queued frame, round robin
#    (take(), on known queues).
source "$(dirname "$0")/../lib.sh"
command -v ffmpeg >/dev/null || skip "no ffmpeg CLI (scripts/deps.sh installs it)"
PACE=(python3 "$DRT_ROOT/bench/device/video-pace.py")

# sender I RTIME: a sender's log as ffmpeg -benchmark writes it.
sender() { printf 'Output #0, mpegts\nbench: utime=0.020s stime=0.010s rtime=%ss\nbench: maxrss=5000kB\n' "$2" >"$TMP/send-$1.log"; }
# darkrt_line PORT FRAMES DROPPED RATE: detect's summary line of one stream.
darkrt_line() { echo "udp://127.0.0.1:$1: $2 frames, $3 dropped, 20.1 fps, latency 15.0 ms mean, 40.0 ms max, stream $4 fps over 3.97 s"; }
# pace NAME WANT_RC WANT_WORD: video-pace.py on $TMP/out and the sender logs.
pace() {
    local line rc
    line=$("${PACE[@]}" --streams 2 --frames 120 --fps 30 --result "$TMP/out" "$TMP"/send-*.log); rc=$?
    [ $rc = "$2" ] && [ "${line%% *}" = "$3" ] && ok "pace $1: $line" || fail "pace $1: rc $rc (want $2 $3): $line"
}
rm -f "$TMP"/send-*.log
sender 0 3.97; sender 1 4.02
{ darkrt_line 30000 120 0 30.0; darkrt_line 30001 119 1 29.9; } >"$TMP/out"
pace "all kept" 0 FULL
{ darkrt_line 30000 120 0 30.0; darkrt_line 30001 120 0 26.0; } >"$TMP/out"
pace "a receiver at 26 fps" 1 SHORT
{ darkrt_line 30000 120 0 30.0; darkrt_line 30001 110 10 30.0; } >"$TMP/out"
pace "a receiver dropped 10 of 120" 1 SHORT
darkrt_line 30000 120 0 30.0 >"$TMP/out"
pace "one stream of 2 reported" 1 SHORT
{ darkrt_line 30000 120 0 30.0; darkrt_line 30001 120 0 30.0; } >"$TMP/out"
sender 1 4.5
pace "a sender at 26.7 fps" 3 SENDERS-SLOW
echo "Output #0, mpegts" >"$TMP/send-1.log"
pace "a sender without rtime" 3 SENDERS-SLOW
sender 1 4.0
echo '{"peer": "p", "streams": [{"url": "a", "frames": 120, "dropped": 0, "fps": 29.8}, {"url": "b", "frames": 119, "dropped": 1, "fps": 29.5}]}' >"$TMP/out"
pace "the peer's JSON, kept" 0 FULL
# the peer's drops split into its start-up second and later, and its latency, in the per-stream rows
echo '{"peer": "p", "streams": [{"url": "a", "frames": 115, "dropped": 5, "fps": 30.1, "dropped_first_s": 4, "dropped_later": 1, "drop_at_s": [0.1, 0.2, 0.2, 0.3, 2.5], "latency_ms": {"mean": 21.5, "max": 80.0}}]}' >"$TMP/out"
"${PACE[@]}" --streams 1 --frames 120 --fps 30 --result "$TMP/out" --details "$TMP/details" "$TMP/send-0.log" >/dev/null
grep -q "a: 115 frames, 5 dropped, 30.1 fps; drops 4 in its first second, 1 later (at 0.1, 0.2, 0.2, 0.3, 2.5 s); latency 21.5 ms mean, 80.0 ms max" "$TMP/details" &&
    ok "pace: the peer's drops (first second, later) and latency in its row" || fail "pace: the peer's row: $(cat "$TMP/details")"
echo "darkrt: I/O error: it failed" >"$TMP/out"
pace "no results" 2 FAILED
{ darkrt_line 30000 0 0 0.0; darkrt_line 30001 0 0 0.0; } >"$TMP/out"
pace "no frame detected" 2 FAILED

# The PyTorch peer on live streams, on the CPU.
if [ ! -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    finish
    echo "skipped: the peer part: no torch in /usr/bin/python3"
    exit $((failures ? 1 : 0))
fi
# A batch takes every queued frame, round robin over the streams, not one a stream (H200 call C: the
# start-up burst of 30 frames a stream overflowed a depth-8 queue drained one frame a batch).
/usr/bin/python3 - "$DRT_ROOT/bench/peers" <<'PY' && ok "peer: a batch takes every queued frame, round robin" || fail "peer: take()"
import collections, sys, threading
sys.path.insert(0, sys.argv[1])
from torch_video import take
class S:
    def __init__(self, name, n):
        self.lock, self.q = threading.Lock(), collections.deque((f"{name}{i}", i) for i in range(n))
a, b, c = S("a", 5), S("b", 1), S("c", 0)
batch, owners, arrived, k = take([a, b, c], 0, 4)
assert batch == ["a0", "b0", "a1", "a2"] and k == 1, (batch, k)  # full: the next batch starts after a
batch, owners, arrived, k = take([a, b, c], k, 4)
assert batch == ["a3", "a4"] and owners == [a, a] and arrived == [3, 4], batch  # all that was left
assert take([a, b, c], k, 4)[0] == []
PY
# The peer drops as darkrt does: drop_oldest against src/video/live-drop.h compiled here, on a grid of
# queue lengths, depths, rates (unknown and implausible ones too) and waits around each depth's time.
cat >"$TMP/rule.c" <<'C'
#include <stdio.h>
#include "video/live-drop.h"
int main(void)
{
    int count, depth;
    double fps, wait_ms;
    while (scanf("%d %d %lf %lf", &count, &depth, &fps, &wait_ms) == 4) printf("%d\n", drt_live_drop(count, depth, fps, wait_ms));
    return 0;
}
C
cc -I"$DRT_ROOT/src" -o "$TMP/rule" "$TMP/rule.c" || fail "live-drop.h: does not compile alone"
/usr/bin/python3 - "$DRT_ROOT/bench/peers" "$TMP/rule" <<'PY' && ok "peer: drop_oldest is darkrt's rule (live-drop.h) on 3060 cases" || fail "peer: drop_oldest"
import collections, subprocess, sys
sys.path.insert(0, sys.argv[1])
from torch_video import drop_oldest
cases = [(n, d, fps, w) for d in (4, 8, 18) for fps in (0, 10, 29.97, 30, 1000) for n in range(1, 52)
         for w in ((0, 1, 250, 1e4) if not 0 < fps <= 240 else (0, 1000 * d / fps - 1, 1000 * d / fps + 1, 1e4))]
out = subprocess.run([sys.argv[2]], input="".join(f"{n} {d} {fps!r} {w!r}\n" for n, d, fps, w in cases),
                     capture_output=True, text=True, check=True).stdout.split()
now = 100.0
got = [int(drop_oldest(collections.deque([(None, now - w / 1000)] + [(None, now)] * (n - 1)), d, fps, now)) for n, d, fps, w in cases]
bad = [(c, o, g) for c, o, g in zip(cases, out, got) if int(o) != g]
assert len(out) == len(cases) and not bad and 0 < sum(got) < len(got), (len(out), bad[:5])
PY
[ -x "$DARKRT" ] || skip "no darkrt in $DRT_BUILD"
FF=(ffmpeg -nostdin -v error -y)
# NV12 on the pipe (the peer's default): its letterbox, RGB made after the resize, against swscale's
# RGB24 of the same decoded frame. Chroma is resized before the conversion (swscale upsamples it
# first), so edges differ by up to ~25 grey levels; the mean stays within one (measured: 0.098, 0.004).
"${FF[@]}" -i "$DN_DATA/dog.jpg" -vf scale=320:240,format=yuv420p -c:v libx264 -frames:v 1 "$TMP/one.mp4" &&
    "${FF[@]}" -i "$TMP/one.mp4" -f rawvideo -pix_fmt nv12 "$TMP/one.nv12" &&
    "${FF[@]}" -i "$TMP/one.mp4" -f rawvideo -pix_fmt rgb24 "$TMP/one.rgb" || fail "one frame"
/usr/bin/python3 - "$DRT_ROOT/bench/peers" "$TMP" <<'PY' && ok "peer: NV12 letterbox matches swscale's RGB24" || fail "peer: NV12 letterbox"
import sys, numpy as np, torch
sys.path.insert(0, sys.argv[1])
from torch_video import letterbox
w, h = 320, 240
nv = torch.from_numpy(np.fromfile(sys.argv[2] + "/one.nv12", np.uint8).reshape(h * 3 // 2, w))
rgb = torch.from_numpy(np.fromfile(sys.argv[2] + "/one.rgb", np.uint8).reshape(h, w, 3))
a, b = (letterbox([f], 64, torch.device("cpu"), torch.float32, 2, p) for f, p in ((nv, "nv12"), (rgb, "rgb24")))
d = (a - b).abs()
assert d.max() < 0.15 and d.mean() < 0.01 and a.std() > 0.1, (d.max(), d.mean())
assert (a[1] == 0.5).all()  # the padding row
PY
"${FF[@]}" -pattern_type glob -i "$DN_DATA/*.jpg" -vf scale=160:120 "$TMP/seq-%02d.png" || fail "sequence"
# 3 s at 30 fps, a keyframe a second, cut to MPEG-TS once as video.sh does
"${FF[@]}" -stream_loop -1 -framerate 3 -i "$TMP/seq-%02d.png" -vf fps=30 -frames:v 90 -c:v libx264 -g 30 "$TMP/clip.mp4" &&
    "${FF[@]}" -i "$TMP/clip.mp4" -c copy -f mpegts "$TMP/clip.ts" || fail "clip"
"$DARKRT" synth "$DN_CFG/yolov3-tiny.cfg" -o "$TMP/t.weights" --seed 1 >/dev/null || fail "synth"
ports=(); for i in 0 1 2; do ports+=($((20000 + RANDOM % 20000))); done
urls=(); for p in "${ports[@]}"; do urls+=("udp://127.0.0.1:$p"); done
timeout -k 5 120 /usr/bin/python3 "$DRT_ROOT/bench/peers/torch_video.py" --cfg "$DN_CFG/yolov3-tiny.cfg" --weights "$TMP/t.weights" \
    --device cpu --size 64 --batch 4 --fps 30 --read-timeout 2 --frame-size 160x120 --thresh 1.0 "${urls[@]}" \
    >"$TMP/peer.out" 2>"$TMP/peer.err" &
peer=$!
# every socket before any sender (the model loads first: up to 60 s here)
for i in $(seq 600); do
    up=0
    for p in "${ports[@]}"; do grep -q ":$(printf '%04X' "$p") " /proc/net/udp && up=$((up + 1)); done
    [ $up = 3 ] && break
    kill -0 $peer 2>/dev/null || break
    sleep 0.1
done
[ $up = 3 ] && ok "peer: all 3 sockets listen before any stream starts" || fail "peer: $up of 3 sockets listen: $(cat "$TMP/peer.err")"
rm -f "$TMP"/send-*.log
for i in 0 1 2; do
    ffmpeg -nostdin -hide_banner -nostats -benchmark -re -i "$TMP/clip.ts" -c copy -f mpegts \
        "udp://127.0.0.1:${ports[$i]}?pkt_size=1316" 2>"$TMP/send-$i.log" &
done
wait $peer; rc=$?
wait
/usr/bin/python3 - "$TMP/peer.out" <<'PY' && ok "peer: every frame received, each detected or dropped ($(tail -c 300 "$TMP/peer.out"))" || fail "peer: rc $rc: $(cat "$TMP/peer.out" "$TMP/peer.err")"
import json, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
assert len(r["streams"]) == 3, r
assert r["batch_sizes"] == [1, 2, 4] and len(r["warmup_ms"]) == 3, r  # every padded batch size warmed up
for s in r["streams"]:
    assert s["received"] == 90, s
    assert s["frames"] >= 1 and s["frames"] + s["dropped"] == s["received"], s
    assert s["fps"] > 0, s
    assert s["dropped_first_s"] + s["dropped_later"] == s["dropped"], s  # every drop timed
    assert 0 < s["latency_ms"]["mean"] <= s["latency_ms"]["max"], s
b = r["batches"]  # every detected frame in some batch, none larger than --batch
assert 1 <= b["mean_size"] <= 4 and round(b["mean_size"] * b["count"]) == sum(s["frames"] for s in r["streams"]), b
assert len(r["warm_ms"]) == 3, r
assert r["depth"] == 8 and r["pix"] == "nv12", r  # darkrt's rule: max(8, 2 * ceil(4 / 3) + 2)
PY
line=$("${PACE[@]}" --streams 3 --frames 90 --fps 30 --result "$TMP/peer.out" "$TMP"/send-*.log)
case $line in
    FULL\ 3*|SHORT\ 3*|SENDERS-SLOW\ 3*) ok "pace of the peer's run: $line" ;;
    *) fail "pace of the peer's run: $line" ;;
esac
finish
