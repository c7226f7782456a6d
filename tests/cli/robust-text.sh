#!/usr/bin/env bash
# Names from files reach the drawing font, JSON and the terminal (issue 19 item 2, item 8 and the
# summary bullet): class names with bytes >= 0x80 or < 0x20 draw without reading past the font's
# tables (UBSan aborted on index -93), the JSON of detect and compare stays valid UTF-8 whatever bytes
# the image and class names hold (checked by Python's strict json/UTF-8 decoder), and detect's stdout
# summary carries no ESC sequence or stray newline from them.
source "$(dirname "$0")/../lib.sh"
[ -x "$DARKRT" ] || skip "no $DARKRT"
CFG=$TINY_CFG WEIGHTS=$TINY_WEIGHTS IMG=$TINY_IMG
name=$'bad\xff\xfe\x1b[31mred\x07caf\xc3\xa9-\xe2\x82\xac\x9b'
printf '%s\n' "$name" > "$TMP/odd.names"
weird="$TMP/"$'img\xff\x1b[2J\nline2\xc3(.png'
cp "$IMG" "$weird"
valid_json() { python3 -c 'import json,sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict")); print(sys.argv[2])' "$@"; }

"$DARKRT" detect "$CFG" -w "$WEIGHTS" --device ref --names "$TMP/odd.names" --thresh 0.01 "$weird" \
    -o "$TMP/out.png" --json "$TMP/out.json" > "$TMP/summary" 2>"$TMP/err"
rc=$?
if [ $rc -ne 0 ] || grep -q 'runtime error\|Sanitizer' "$TMP/err"; then fail "detect with odd names: rc=$rc $(head -c 600 "$TMP/err")"
else
    n=$(python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); d = d[0] if isinstance(d, list) else d; print(len(d["detections"]))' "$TMP/out.json" 2>/dev/null)
    [ "${n:-0}" -gt 0 ] && ok "detect drew $n tags labelled with the odd name (no sanitizer report)" || fail "no detections to draw: the test proves nothing"
    valid_json "$TMP/out.json" "detect --json: valid UTF-8 JSON" >/dev/null && ok "detect --json: valid UTF-8 JSON" || fail "detect --json: invalid JSON"
    python3 - "$TMP/out.json" <<'PY' && ok "detect --json: the valid characters kept, invalid bytes as U+FFFD" || fail "detect --json: names mangled"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
d = d[0] if isinstance(d, list) else d  # detect writes an array (one item per image)
label = d["detections"][0]["label"]
assert label == "bad\ufffd\ufffd\x1b[31mred\x07caf\u00e9-\u20ac\ufffd", ascii(label)
assert d["image"].endswith("img\ufffd\x1b[2J\nline2\ufffd(.png"), ascii(d["image"])
PY
    if grep -q $'\x1b' "$TMP/summary"; then fail "the summary carries an ESC byte"; else ok "the summary carries no ESC byte"; fi
    lines=$(grep -vc '^engine: ' "$TMP/summary") # the engine line, then one per image and per box
    [ "$lines" -eq $((n + 1)) ] && ok "the summary has one line per image and per box ($lines)" || fail "the summary has $lines lines for $n boxes"
    python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8", "strict")' "$TMP/summary" &&
        ok "the summary is valid UTF-8" || fail "the summary holds invalid UTF-8"
fi

"$DARKRT" compare "$CFG" --weights "$WEIGHTS" --engines ref --runs 1 --warmup 0 "$weird" --json "$TMP/cmp.json" >/dev/null 2>"$TMP/err" ||
    fail "compare with an odd image name: $(head -c 300 "$TMP/err")"
valid_json "$TMP/cmp.json" x >/dev/null 2>&1 && ok "compare --json: valid UTF-8 JSON" || fail "compare --json: invalid JSON"
finish
