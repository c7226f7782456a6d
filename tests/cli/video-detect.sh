#!/usr/bin/env bash
# darkrt detect on video, with clips the test makes with the ffmpeg CLI from Darknet's sample images:
# every frame's detections equal `darkrt detect` on the same frame exported by ffmpeg as PNG; JSON
# Lines carry source, frame index and pts; the annotated mp4 decodes without errors with the input's
# frame count; --fast-resize equals detect on ffmpeg's PNGs scaled the same way; two sources at
# once keep their own outputs; with stderr a terminal, a progress line has each source's frames done and
# dropped, fps and latency (none otherwise); corrupt input, a missing camera and an
# unreachable URL give one-line errors, and the outputs hold every frame decoded before the failure (a failed open,
# none: an existing --json file is left as it was).
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no darkrt in $DRT_BUILD"
[ -f "$FASTEST_CFG" ] && [ -f "$FASTEST_WEIGHTS" ] || skip "yolo-fastest-1.1 not found (DRT_SHARED)"
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || skip "no ffmpeg/ffprobe CLI (scripts/deps.sh installs them)"
M=("$FASTEST_CFG" --weights "$FASTEST_WEIGHTS")
PY=python3
FF=(ffmpeg -nostdin -v error -y)

# The 7 sample images at one size, then a 5 fps H.264 clip with B-frames and an MJPEG avi of them.
"${FF[@]}" -pattern_type glob -i "$DN_DATA/*.jpg" -vf scale=320:240 "$TMP/seq-%02d.png" || fail "making the sequence"
"${FF[@]}" -framerate 5 -i "$TMP/seq-%02d.png" -c:v libx264 -bf 2 -g 4 -pix_fmt yuv420p "$TMP/clip.mp4" || fail "clip.mp4"
"${FF[@]}" -framerate 5 -i "$TMP/seq-%02d.png" -c:v mjpeg -q:v 4 -pix_fmt yuvj420p "$TMP/other.avi" || fail "other.avi"

# One video: JSON Lines, the annotated mp4 and the drawn frames.
"$DARKRT" detect "${M[@]}" "$TMP/clip.mp4" -o "$TMP/clip-boxes.mp4" --json "$TMP/clip.jsonl" --frames "$TMP/fr" \
    >"$TMP/out" 2>"$TMP/err" || fail "clip.mp4: exit $?: $(cat "$TMP/err")"
grep -q "clip.mp4: 7 frames, 0 dropped" "$TMP/out" && ok "summary: 7 frames, 0 dropped" || fail "summary: $(cat "$TMP/out")"

# The same frames as ffmpeg exports them, through detect's image path.
mkdir -p "$TMP/png"
"${FF[@]}" -i "$TMP/clip.mp4" -pix_fmt rgb24 "$TMP/png/%02d.png" || fail "ffmpeg export"
"$DARKRT" detect "${M[@]}" "$TMP/png" --json "$TMP/png.json" >/dev/null 2>&1 || fail "detect on the PNGs"
$PY - "$TMP/clip.jsonl" "$TMP/png.json" "$TMP/clip.mp4" <<'PY' && ok "every frame's detections equal detect on ffmpeg's PNG of it; indices and pts" || fail "video vs PNG detections"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
pngs = json.load(open(sys.argv[2]))
assert len(lines) == len(pngs) == 7, (len(lines), len(pngs))
total = 0
for i, (v, p) in enumerate(zip(lines, pngs)):
    assert v["source"] == v["image"] == sys.argv[3] and v["frame"] == i, v
    assert abs(v["pts"] - i / 5) < 1e-6, (i, v["pts"])
    assert (v["width"], v["height"]) == (p["width"], p["height"]) == (320, 240)
    # Same boxes; scores may differ in the last printed digit: the video path runs other batch
    # sizes than the 7 PNGs' one batch, and oneDNN's rounding follows the batch.
    same = len(v["detections"]) == len(p["detections"]) and all(
        a["class_id"] == b["class_id"] and abs(a["score"] - b["score"]) < 1e-5 and
        all(abs(a["box"][k] - b["box"][k]) < 0.02 for k in a["box"]) for a, b in zip(v["detections"], p["detections"]))
    assert same, (i, v["detections"], p["detections"])
    total += len(v["detections"])
assert total >= 7, total  # real scenes: something found
print(total, "detections")
PY
# --fast-resize: frames scaled to the network input's inner size in the RGB conversion (640x360 ->
# 320x320 stretched, as yolo-fastest-1.1's cfg says, or 320x180 with --resize letterbox), boxes mapped
# back: equal to detect on ffmpeg's PNGs at that size (`scale=W:H:flags=bilinear`, the same libswscale
# pass, byte for byte) with the boxes scaled by 640/W, 360/H.
"${FF[@]}" -i "$TMP/clip.mp4" -vf scale=640:360 -c:v libx264 -pix_fmt yuv420p "$TMP/wide.mp4" || fail "wide.mp4"
for mode in stretch:320:320 letterbox:320:180; do
    IFS=: read -r resize w h <<<"$mode"
    rm -rf "$TMP/small" && mkdir -p "$TMP/small"
    "${FF[@]}" -i "$TMP/wide.mp4" -vf "scale=$w:$h:flags=bilinear" -pix_fmt rgb24 "$TMP/small/%02d.png" || fail "small PNGs"
    "$DARKRT" detect "${M[@]}" "$TMP/small" --resize "$resize" --json "$TMP/small.json" >/dev/null 2>&1 ||
        fail "detect on the small PNGs"
    "$DARKRT" detect "${M[@]}" "$TMP/wide.mp4" --resize "$resize" --fast-resize --json "$TMP/fast.jsonl" >/dev/null 2>"$TMP/err" ||
        fail "--fast-resize: $(cat "$TMP/err")"
    $PY - "$TMP/fast.jsonl" "$TMP/small.json" "$w" "$h" <<'PY' && ok "--fast-resize --resize $resize: detections equal detect on ffmpeg's bilinear ${w}x$h PNGs, boxes scaled back" || fail "--fast-resize --resize $resize vs small PNGs"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
pngs = json.load(open(sys.argv[2]))
w, h = int(sys.argv[3]), int(sys.argv[4])
assert len(lines) == len(pngs) == 7, (len(lines), len(pngs))
total = 0
for i, (v, p) in enumerate(zip(lines, pngs)):
    assert (v["width"], v["height"], p["width"], p["height"]) == (640, 360, w, h), (v["width"], p["width"])
    same = len(v["detections"]) == len(p["detections"]) and all(
        a["class_id"] == b["class_id"] and abs(a["score"] - b["score"]) < 1e-5 and
        all(abs(a["box"][k] - (640 / w if k[0] == "x" else 360 / h) * b["box"][k]) < 0.05 for k in a["box"])
        for a, b in zip(v["detections"], p["detections"]))
    assert same, (i, v["detections"], p["detections"])
    total += len(v["detections"])
assert total >= 7, total
print(total, "detections")
PY
done
"$DARKRT" detect "${M[@]}" "$TMP/wide.mp4" --fast-resize -o "$TMP/fast.mp4" >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q -- '--fast-resize' "$TMP/err" && [ ! -e "$TMP/fast.mp4" ] &&
    ok "--fast-resize with -o: one-line usage error" || fail "--fast-resize -o: $(cat "$TMP/err")"

n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,codec_name -of csv=p=0 "$TMP/clip-boxes.mp4")
[ "$n" = "h264,7" ] && ok "annotated mp4: H.264, 7 frames" || fail "annotated mp4: '$n'"
errs=$(ffmpeg -nostdin -v error -i "$TMP/clip-boxes.mp4" -f null - 2>&1)
[ -z "$errs" ] && ok "annotated mp4 decodes without errors" || fail "annotated mp4: $errs"
[ "$(ls "$TMP/fr/clip" | wc -l)" = 7 ] && [ -s "$TMP/fr/clip/000006.png" ] && ok "--frames: 7 PNGs" || fail "--frames: $(ls -R "$TMP/fr")"
# Drawn, not copied: the drawn frame differs from ffmpeg's frame, but only where boxes go (< 25% of pixels).
$PY - "$TMP/fr/clip/000000.png" "$TMP/png/01.png" <<'PY' && ok "drawn frame = the frame plus boxes" || fail "drawn frame"
import sys, zlib, struct
def png(path):  # 8-bit RGB, non-interlaced (both writers)
    d = open(path, 'rb').read(); i = 8; idat = b''
    while i < len(d):
        n, t = struct.unpack('>I4s', d[i:i+8]); body = d[i+8:i+8+n]; i += 12 + n
        if t == b'IHDR': w, h = struct.unpack('>II', body[:8])
        if t == b'IDAT': idat += body
    raw = zlib.decompress(idat); rows = []; prev = bytearray(w * 3); s = w * 3
    for y in range(h):
        f, line = raw[y*(s+1)], bytearray(raw[y*(s+1)+1:(y+1)*(s+1)])
        for x in range(s):
            a = line[x-3] if x >= 3 else 0; b = prev[x]; c = prev[x-3] if x >= 3 else 0
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + [0, a, b, (a + b) // 2, a if pa <= pb and pa <= pc else b if pb <= pc else c][f]) & 255
        rows.append(line); prev = line
    return w, h, b''.join(rows)
w1, h1, a = png(sys.argv[1]); w2, h2, b = png(sys.argv[2])
assert (w1, h1) == (w2, h2) == (320, 240)
diff = sum(1 for i in range(0, len(a), 3) if a[i:i+3] != b[i:i+3])
assert 0 < diff < 0.25 * w1 * h1, diff
PY

# Two sources at once: each its own mp4 and lines; batched across sources, the same detections.
"$DARKRT" detect "${M[@]}" "$TMP/clip.mp4" "$TMP/other.avi" -o "$TMP/two" --json "$TMP/two.jsonl" --batch 3 \
    >"$TMP/out" 2>"$TMP/err" || fail "two sources: $(cat "$TMP/err")"
"$DARKRT" detect "${M[@]}" "$TMP/other.avi" --json "$TMP/other.jsonl" >/dev/null 2>&1 || fail "other.avi alone"
$PY - "$TMP/two.jsonl" "$TMP/clip.jsonl" "$TMP/other.jsonl" <<'PY' && ok "two sources: per-source lines equal single runs" || fail "two sources"
import json, sys
two = [json.loads(l) for l in open(sys.argv[1])]
for path in sys.argv[2:]:
    alone = [json.loads(l) for l in open(path)]
    mine = [l for l in two if l["source"] == alone[0]["source"]]
    assert [l["frame"] for l in mine] == list(range(7)), [l["frame"] for l in mine]
    for a, b in zip(mine, alone):
        # Scores may differ in the last printed digit: batches of 3 across sources vs one source's.
        same = len(a["detections"]) == len(b["detections"]) and all(
            x["class_id"] == y["class_id"] and abs(x["score"] - y["score"]) < 1e-5 and
            all(abs(x["box"][k] - y["box"][k]) < 0.02 for k in x["box"]) for x, y in zip(a["detections"], b["detections"]))
        assert same and a["pts"] == b["pts"], (a, b)
PY
for f in clip other; do
    n=$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$TMP/two/$f.mp4" 2>&1)
    [ "$n" = 7 ] || fail "two sources: $f.mp4 has '$n' frames"
done

# Progress on a terminal: with stderr a pseudo-terminal (util-linux's script; stdout, the summary, to a
# file) the last progress line has each source, in order: its 7 frames done and 0 dropped (as the
# summary says), an fps of at least its frames after the first over the process's wall time, and its
# mean latency (the summary's, rounded). With stderr not a terminal: no progress line.
two=("$DARKRT" detect "${M[@]}" "$TMP/clip.mp4" "$TMP/other.avi" --json "$TMP/progress.jsonl")
command -v script >/dev/null || fail "no script command (util-linux's bsdutils) for the progress line"
start=$(date +%s.%N)
script -qec "$(printf '%q ' "${two[@]}") >$(printf '%q' "$TMP/tty.out")" /dev/null </dev/null >"$TMP/tty.err" 2>&1 ||
    fail "under a terminal: exit $?: $(cat "$TMP/tty.err")"
wall=$(echo "$(date +%s.%N) - $start" | bc)
$PY - "$TMP/tty.err" "$TMP/tty.out" "$wall" <<'PY' && ok "terminal: $(tr '\r' '\n' <"$TMP/tty.err" | grep ' done, ' | tail -1 | sed 's/\x1b\[K//')" || fail "terminal progress: $(cat -v "$TMP/tty.err")"
import re, sys
shown = open(sys.argv[1], errors="replace").read().replace("\x1b[K", "")
lines = [l for l in re.split(r"[\r\n]", shown) if " done, " in l]
assert lines, "no progress line"
summary = {m[0]: (int(m[1]), int(m[2]), float(m[3])) for m in re.findall(
    r"^\S*/(\w+)\.\w+: (\d+) frames, (\d+) dropped, [0-9.]+ fps, latency ([0-9.]+) ms mean", open(sys.argv[2]).read(), re.M)}
wall = float(sys.argv[3])
parts = lines[-1].split(" | ")
assert [p.split(":")[0] for p in parts] == ["clip", "other"], parts
for p in parts:
    m = re.fullmatch(r"(\w+): (\d+) done, (\d+) dropped, ([0-9.]+) fps, (\d+) ms", p)
    assert m, p
    name, done, dropped, fps, ms = m[1], int(m[2]), int(m[3]), float(m[4]), int(m[5])
    assert (done, dropped) == summary[name][:2] == (7, 0), (p, summary)
    assert fps >= (done - 1) / wall - 0.05, (p, wall)
    assert summary[name][2] > 0 and abs(ms - summary[name][2]) <= 0.51 and ms <= wall * 1000, (p, summary)
PY
"${two[@]}" >/dev/null 2>"$TMP/notty.err" || fail "stderr to a file: exit $?"
! grep -q ' done, ' "$TMP/notty.err" && ! grep -q $'\r' "$TMP/notty.err" && ok "stderr not a terminal: no progress line" ||
    fail "progress with stderr not a terminal: $(cat -v "$TMP/notty.err")"

# Bad sources: one line, non-zero.
expect_error "missing camera" '/dev/video97: cannot open the camera' "$DARKRT" detect "${M[@]}" /dev/video97
expect_error "unreachable url" 'rtsp://127.0.0.1:1/x: cannot open the stream: Connection refused' \
    "$DARKRT" detect "${M[@]}" rtsp://127.0.0.1:1/x
expect_error "missing file" 'nothere.mp4: cannot open: No such file' "$DARKRT" detect "${M[@]}" "$TMP/nothere.mp4"
# A failed open handles no frame: an existing --json file stays byte for byte, no temporary left.
printf '{"old": "complete line"}\n' >"$TMP/kept.jsonl"
cp "$TMP/kept.jsonl" "$TMP/kept.orig"
"$DARKRT" detect "${M[@]}" "$TMP/nothere.mp4" --json "$TMP/kept.jsonl" >/dev/null 2>&1 && fail "missing file: exit 0"
cmp -s "$TMP/kept.jsonl" "$TMP/kept.orig" && [ -z "$(find "$TMP" -maxdepth 1 -name 'kept.jsonl.*')" ] \
    && ok "missing file: the existing --json file kept as it was" \
    || fail "missing file: --json file now $(wc -c <"$TMP/kept.jsonl") bytes; $(find "$TMP" -maxdepth 1 -name 'kept.jsonl.*')"
expect_error "images with videos" 'images and videos in one run' "$DARKRT" detect "${M[@]}" "$TMP/clip.mp4" "$DN_DATA/dog.jpg"
expect_error "-o not mp4" 'out.png: darkrt writes video as mp4' "$DARKRT" detect "${M[@]}" "$TMP/clip.mp4" -o "$TMP/out.png"

# Corrupt in the second half: the error names the frame reached; the mp4 and the lines hold every frame before it.
"${FF[@]}" -stream_loop 2 -framerate 10 -i "$TMP/seq-%02d.png" -c:v libx264 -g 5 -frames:v 20 -movflags +faststart "$TMP/long.mp4"
$PY - "$TMP/long.mp4" "$TMP/bad.mp4" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
for i in range(len(d) // 2, len(d), 97): d[i] ^= 0x5a
open(sys.argv[2], 'wb').write(d)
PY
"$DARKRT" detect "${M[@]}" "$TMP/bad.mp4" -o "$TMP/bad-boxes.mp4" --json "$TMP/bad.jsonl" >/dev/null 2>"$TMP/err"; rc=$?
reached=$(sed -n 's/.*bad.mp4: frame \([0-9]*\): .*/\1/p' "$TMP/err")
if [ $rc -eq 1 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && [ -n "$reached" ] && [ "$reached" -gt 0 ]; then
    n=$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$TMP/bad-boxes.mp4")
    [ "$(wc -l <"$TMP/bad.jsonl")" = "$reached" ] && [ "$n" = "$reached" ] \
        && ok "corrupt video: '$(cat "$TMP/err")'; mp4 and JSON Lines hold its $reached frames" \
        || fail "corrupt video: $reached frames reached, $(wc -l <"$TMP/bad.jsonl") lines, mp4 '$n' frames"
else
    fail "corrupt video: rc=$rc: $(cat "$TMP/err")"
fi
finish
