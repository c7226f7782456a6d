#!/usr/bin/env bash
# darkrt detect --show: without a display it says so in one line and detects on; under Xvfb the
# window shows the drawn frames (a screenshot, taken with xwd, holds one of the frames --frames wrote,
# pixel for pixel outside the rate label) and the "N frames  X fps" label in white on black.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no darkrt in $DRT_BUILD"
[ -f "$FASTEST_CFG" ] && [ -f "$FASTEST_WEIGHTS" ] || skip "yolo-fastest-1.1 not found (DRT_SHARED)"
command -v ffmpeg >/dev/null || skip "no ffmpeg CLI (scripts/deps.sh installs it)"
command -v Xvfb >/dev/null && command -v xwd >/dev/null || skip "no Xvfb/xwd (scripts/deps.sh installs xvfb, x11-apps)"
M=("$FASTEST_CFG" --weights "$FASTEST_WEIGHTS")
PY=python3
FF=(ffmpeg -nostdin -v error -y)

"${FF[@]}" -pattern_type glob -i "$DN_DATA/*.jpg" -vf scale=320:240 "$TMP/seq-%02d.png" || fail "sequence"
"${FF[@]}" -framerate 5 -i "$TMP/seq-%02d.png" -c:v libx264 -pix_fmt yuv420p "$TMP/clip.mp4" || fail "clip"

# Headless: a note, then the same work as without --show.
env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER "$DARKRT" detect "${M[@]}" "$TMP/clip.mp4" --show \
    --json "$TMP/headless.jsonl" >/dev/null 2>"$TMP/err"; rc=$?
if [ $rc -eq 0 ] && grep -q -- '--show: no display' "$TMP/err" && [ "$(wc -l <"$TMP/headless.jsonl")" = 7 ]; then
    ok "headless: $(cat "$TMP/err")"
else
    fail "headless: rc=$rc: $(cat "$TMP/err")"
fi

# Under Xvfb: screenshot while frames are shown (slowed down so the window stays up). SDL's X11,
# D-Bus and input libraries keep allocations of their own to the end: leak checks are off for this run.
d=$((90 + RANDOM % 400))
Xvfb ":$d" -screen 0 640x480x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; rm -rf "$TMP"' EXIT
for i in $(seq 100); do [ -e "/tmp/.X11-unix/X$d" ] && break; sleep 0.1; done
ASAN_OPTIONS=detect_leaks=0 DISPLAY=":$d" "$DARKRT" detect "${M[@]}" "$TMP/clip.mp4" --show --batch 1 --test-delay-ms 700 --frames "$TMP/fr" \
    >/dev/null 2>"$TMP/err" &
run=$!
for i in $(seq 300); do [ "$(ls "$TMP/fr/clip" 2>/dev/null | wc -l)" -ge 3 ] && break; sleep 0.1; done
xwd -root -silent -display ":$d" >"$TMP/shot.xwd" || fail "xwd"
wait $run || fail "--show under Xvfb: $(cat "$TMP/err")"
"${FF[@]}" -f xwd_pipe -i "$TMP/shot.xwd" -pix_fmt rgb24 -f rawvideo "$TMP/shot.rgb" || fail "reading the screenshot"
for f in "$TMP"/fr/clip/*.png; do "${FF[@]}" -i "$f" -pix_fmt rgb24 -f rawvideo "${f%.png}.rgb"; done
$PY - "$TMP/shot.rgb" "$TMP"/fr/clip/*.rgb <<'PY' && ok "screenshot shows a drawn frame and its fps label" || fail "screenshot"
import sys, numpy as np
shot = np.fromfile(sys.argv[1], np.uint8).reshape(480, 640, 3)
win = shot[120:360, 160:480]  # the window is centred
best = 0
for path in sys.argv[2:]:
    frame = np.fromfile(path, np.uint8).reshape(240, 320, 3)
    same = (win[30:] == frame[30:]).all(axis=2).mean()  # below the label band
    best = max(best, same)
assert best > 0.99, best
band = win[:24, :150]
white = (band == 255).all(axis=2).sum(); black = (band == 0).all(axis=2).sum()
assert white > 50 and black > 1000, (white, black)
print("best match %.4f, label: %d white, %d black pixels" % (best, white, black))
PY
finish
