#!/usr/bin/env bash
# libdarkrt.so's ABI: it exports exactly the functions the public headers declare (no internal
# drt_* helpers, no protobuf-c onnx__* names that could clash with another library's), and its
# SONAME is libdarkrt.so.MAJOR with MAJOR from the headers' DRT_VERSION_MAJOR.
source "$(dirname "$0")/../lib.sh"
SO="$DRT_BUILD/libdarkrt.so"
[ -f "$SO" ] || skip "no libdarkrt.so in $DRT_BUILD"
# The declared functions, from the preprocessed header (comments and macros gone).
cc -E -P -I"$DRT_ROOT/include" "$DRT_ROOT/include/darkrt.h" | grep -oE '\bdrt_[a-z0-9_]+ *\(' |
    tr -d ' (' | sort -u >"$TMP/declared"
nm -D --defined-only "$SO" | awk '$2 ~ /^[TWDBRVi]$/ {print $3}' |
    grep -vxE '_init|_fini|_edata|_end|__bss_start' | sort -u >"$TMP/exported"
n_decl=$(wc -l <"$TMP/declared")
[ "$n_decl" -gt 60 ] && ok "$n_decl functions declared in include/" || fail "only $n_decl declared functions found"
extra=$(comm -13 "$TMP/declared" "$TMP/exported" | tr '\n' ' ')
missing=$(comm -23 "$TMP/declared" "$TMP/exported" | tr '\n' ' ')
[ -z "$extra" ] && ok "exports nothing undeclared ($(wc -l <"$TMP/exported") symbols)" || fail "exports undeclared names: $extra"
[ -z "$missing" ] && ok "exports every declared function" || fail "declared but not exported: $missing"
grep -q '^onnx__' "$TMP/exported" && fail "exports onnx__* names" || ok "no onnx__* exports"
major=$(cc -dM -E -I"$DRT_ROOT/include" "$DRT_ROOT/include/darkrt.h" | awk '$2 == "DRT_VERSION_MAJOR" {print $3}')
soname=$(readelf -d "$SO" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ -n "$major" ] && [ "$soname" = "libdarkrt.so.$major" ] && ok "SONAME $soname" || fail "SONAME '$soname', want libdarkrt.so.$major"
[ -e "$DRT_BUILD/$soname" ] && ok "$soname present beside libdarkrt.so" || fail "no $DRT_BUILD/$soname"
finish
