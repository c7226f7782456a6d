#!/usr/bin/env bash
# Issue 17's explicit configuration: every environment variable src/ or cli/ reads is listed in
# HACKING.md's "Environment variables" (debug switches, the module directory, the CLI's own), and
# the library writes nothing to stderr except through src/core/log.c (the log callback's default).
source "$(dirname "$0")/../lib.sh"
cd "$DRT_ROOT" || fail "no $DRT_ROOT"
awk '/^## Environment variables/ {on = 1; next} /^## / {on = 0} on' HACKING.md >"$TMP/section"
[ -s "$TMP/section" ] && ok "HACKING.md has an Environment variables section" || fail "HACKING.md: no '## Environment variables' section"
# Read through getenv or the switches' one reader (src/core/env-switch.c: drt_env_switch).
grep -rhoE '(getenv|drt_env_switch)\("[A-Za-z_][A-Za-z0-9_]*"' src cli | sed -E 's/.*\("(.*)"/\1/' | sort -u >"$TMP/read"
n=$(wc -l <"$TMP/read")
[ "$n" -ge 10 ] && ok "$n variables read through getenv or drt_env_switch in src/ and cli/" || fail "only $n names found: the pattern is stale"
[ "$(grep -rlE 'drt_env_switch\("[A-Z]' src cli | wc -l)" -ge 4 ] && ok "the debug switches are read by drt_env_switch" ||
    fail "drt_env_switch's callers not found: the pattern is stale"
missing=$(while read -r v; do grep -q "\`$v\`" "$TMP/section" || printf '%s ' "$v"; done <"$TMP/read")
[ -z "$missing" ] && ok "each is listed in HACKING.md" || fail "read but not listed in HACKING.md (Environment variables): $missing"
# A getenv or switch of a computed name would escape the list above (the switches' reader itself aside).
dynamic=$(grep -rnE '(getenv|drt_env_switch)\([^"]' src cli | grep -v '^[^:]*:[0-9]*: *(/\*|\*)' |
    grep -vE '^src/core/env-switch\.(c:[0-9]*: *const char \*v = getenv\(name\);|[ch]:[0-9]*:int drt_env_switch\(const char \*name)')
[ -z "$dynamic" ] && ok "no getenv or switch of a computed name" || fail "getenv or switch of a computed name: $dynamic"
writes=$(grep -rnE '\b(v?fprintf|fputs|fputc|putc|fwrite)\([^;]*\bstderr\b|\bperror\(|\bwrite\(2,' src --include='*.c' --include='*.h' --include='*.cu' |
    grep -v '^src/core/log\.c:')
[ -z "$writes" ] && ok "the library writes to stderr only in src/core/log.c" || fail "writes to stderr outside the log: $writes"
finish
