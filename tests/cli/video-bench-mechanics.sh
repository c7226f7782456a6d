#!/usr/bin/env bash
# The GPU video benchmark's parts that can fail before it measures anything, here on the CPU:
#  - bench/device/video-pace.py, its rule on known inputs: FULL only when every sender kept real
#    time and every stream got >= 99% of its frames at >= 97% of the rate; SENDERS-SLOW when a
#    sender fell behind or left no time; SHORT otherwise; FAILED when no frame was detected;
#  - bench/peers/torch_video.py (Debian's torch, CPU) on 3 live UDP streams served on loopback as
#    bench/device/video.sh serves them: every stream's socket listens before any sender starts
#    (H200 call C: OpenCV's readers opened 1 of 64), every frame sent is received, and each stream's
#    frames are either detected or counted as dropped.
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
[ -x "$DARKRT" ] || skip "no darkrt in $DRT_BUILD"
FF=(ffmpeg -nostdin -v error -y)
"${FF[@]}" -pattern_type glob -i "$DN_DATA/*.jpg" -vf scale=160:120 "$TMP/seq-%02d.png" || fail "sequence"
# 3 s at 30 fps, a keyframe a second, cut to MPEG-TS once as video.sh does
"${FF[@]}" -stream_loop -1 -framerate 3 -i "$TMP/seq-%02d.png" -vf fps=30 -frames:v 90 -c:v libx264 -g 30 "$TMP/clip.mp4" &&
    "${FF[@]}" -i "$TMP/clip.mp4" -c copy -f mpegts "$TMP/clip.ts" || fail "clip"
"$DARKRT" synth "$DN_CFG/yolov3-tiny.cfg" -o "$TMP/t.weights" --seed 1 >/dev/null || fail "synth"
ports=(); for i in 0 1 2; do ports+=($((20000 + RANDOM % 20000))); done
urls=(); for p in "${ports[@]}"; do urls+=("udp://127.0.0.1:$p"); done
timeout -k 5 120 /usr/bin/python3 "$DRT_ROOT/bench/peers/torch_video.py" --cfg "$DN_CFG/yolov3-tiny.cfg" --weights "$TMP/t.weights" \
    --device cpu --size 64 --batch 4 --depth 8 --read-timeout 2 --frame-size 160x120 --thresh 1.0 "${urls[@]}" \
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
PY
line=$("${PACE[@]}" --streams 3 --frames 90 --fps 30 --result "$TMP/peer.out" "$TMP"/send-*.log)
case $line in
    FULL\ 3*|SHORT\ 3*|SENDERS-SLOW\ 3*) ok "pace of the peer's run: $line" ;;
    *) fail "pace of the peer's run: $line" ;;
esac
finish
