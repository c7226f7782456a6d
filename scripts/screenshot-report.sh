#!/usr/bin/env bash
# Renders darkrt compare's HTML report in headless Chromium into a PNG (the README's screenshot).
# Usage: scripts/screenshot-report.sh [REPORT.html (out/report.html)] [OUT.png (docs/report.png)] [WxH (1280x1440)]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HTML=${1:-$ROOT/out/report.html}
PNG=${2:-$ROOT/docs/report.png}
SIZE=${3:-1280x1440}
CHROMIUM=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$CHROMIUM" ] || { echo "screenshot-report: no chromium (scripts/deps.sh installs Debian's)" >&2; exit 1; }
[ -f "$HTML" ] || { echo "screenshot-report: $HTML: missing (run make demo first)" >&2; exit 1; }
mkdir -p "$(dirname "$PNG")"
tmp="$PNG.tmp-$$.png"
profile=$(mktemp -d)
trap 'rm -rf "$profile" "$tmp"' EXIT
# --no-sandbox: Chromium refuses to run as root otherwise; the page is our own file and loads nothing.
"$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
    --window-size="${SIZE/x/,}" --screenshot="$tmp" "file://$(realpath "$HTML")" >/dev/null 2>&1
[ -s "$tmp" ] || { echo "screenshot-report: chromium wrote no screenshot" >&2; exit 1; }
mv "$tmp" "$PNG"
echo "wrote $PNG ($SIZE) from $HTML"
