#!/usr/bin/env bash
# Downloads YOLOv3's trained COCO weights (248 MB) for real use. Tests and benchmarks never need it:
# they use `darkrt synth`. Fails with one clear line when the machine is offline.
# usage: scripts/download-yolov3.sh [DEST_DIR]   (default: models/)
set -euo pipefail
dest=${1:-models}
url=https://pjreddie.com/media/files/yolov3.weights
size=248007048
out="$dest/yolov3.weights"
mkdir -p "$dest"
if [ -f "$out" ] && [ "$(stat -c %s "$out")" = "$size" ]; then
    echo "$out: already there"; exit 0
fi
command -v curl >/dev/null || { echo "download-yolov3: curl is not installed (apt-get install curl)" >&2; exit 1; }
tmp="$out.part"
if ! curl -fL --connect-timeout 15 --retry 2 -o "$tmp" "$url" 2>/dev/null; then
    rm -f "$tmp"
    echo "download-yolov3: cannot reach $url (offline?); for tests and benchmarks use: darkrt synth /usr/share/darknet/cfg/yolov3.cfg -o yolov3.weights" >&2
    exit 1
fi
got=$(stat -c %s "$tmp")
if [ "$got" != "$size" ]; then
    rm -f "$tmp"
    echo "download-yolov3: $url gave $got bytes, expected $size: not the YOLOv3 weights" >&2
    exit 1
fi
mv "$tmp" "$out"
echo "$out: $size bytes"
