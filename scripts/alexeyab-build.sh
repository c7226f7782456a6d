#!/bin/bash
# Builds AlexeyAB's Darknet (../shared/reference/alexeyab-darknet) as a CPU shared library, once:
# the build is cached in ${DRT_CACHE:-$HOME/.cache/darkrt}/alexeyab-HASH, HASH of its sources and
# of this script, so later runs (and fresh clones on the same machine) reuse it. Prints the
# directory (libdarknet.so, include/darknet.h, cfg/) on stdout. AVX=0: its AVX maxpool is wrong
# for stride-1 pools of size >= 3 (upstream issue #5793); -msse4a is AMD-only.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
self=$here/scripts/$(basename "$0")
src=${DRT_ALEXEYAB_SRC:-$here/../shared/reference/alexeyab-darknet}
[ -f "$src/Makefile" ] || { echo "alexeyab-build: $src: AlexeyAB's Darknet source not found" >&2; exit 77; }
hash=$( (cd "$src" && find src include Makefile -type f | sort | xargs cat; cat "$self") | sha256sum | cut -c1-16)
cache=${DRT_CACHE:-$HOME/.cache/darkrt}
out=$cache/alexeyab-$hash
if [ ! -f "$out/libdarknet.so" ]; then
    mkdir -p "$cache"
    tmp=$(mktemp -d "$cache/alexeyab-build.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    cp -r "$src/." "$tmp/"
    sed -i 's/ -msse4a//' "$tmp/Makefile"
    nice make -C "$tmp" -j"$(nproc)" GPU=0 CUDNN=0 OPENCV=0 OPENMP=1 AVX=0 LIBSO=1 libdarknet.so >&2
    rm -rf "$tmp/obj"
    mv -T "$tmp" "$out" 2>/dev/null || true   # another run may have won the race: either copy is good
    trap - EXIT
    rm -rf "$tmp"
fi
echo "$out"
