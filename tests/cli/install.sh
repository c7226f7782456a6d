#!/usr/bin/env bash
# make install PREFIX=tmp: headers, libdarkrt.{a,so} (+ SONAME link), the CLI, darkrt.pc and the
# CMake package; a program built against it with `pkg-config --cflags --libs darkrt` (and --static, on
# libdarkrt.a) and one with find_package(darkrt) (shared and static) find the dog in dog.jpg through the
# installed library.
source "$(dirname "$0")/../lib.sh"
command -v pkg-config >/dev/null || skip "no pkg-config (make deps installs it)"
[ -f "$DRT_BUILD/libdarkrt.so" ] || skip "no libdarkrt.so in $DRT_BUILD"
[ -f "$FASTEST_CFG" ] && [ -f "$FASTEST_WEIGHTS" ] || skip "yolo-fastest-1.1 not found (DRT_SHARED)"
P="$TMP/prefix"
# The build's own settings: a sanitized build installs a library that needs sanitized programs.
san=0; nm "$DRT_BUILD/libdarkrt.a" 2>/dev/null | grep -q __asan_ && san=1
build=$(realpath --relative-to="$DRT_ROOT" "$DRT_BUILD")
if ! make -s -C "$DRT_ROOT" BUILD="$build" SAN=$san install PREFIX="$P" >"$TMP/install.log" 2>&1; then
    fail "make install: $(tail -n 5 "$TMP/install.log")"; finish; exit
fi
for f in include/darkrt.h include/darkrt/engine.h include/darkrt/api.h lib/libdarkrt.a lib/libdarkrt.so \
         lib/libdarkrt.so.0 bin/darkrt lib/pkgconfig/darkrt.pc lib/cmake/darkrt/darkrt-config.cmake \
         lib/libdarkrt-video.so $([ -f "$DRT_BUILD/libdarkrt-cuda.so" ] && echo lib/libdarkrt-cuda.so); do
    [ -e "$P/$f" ] || fail "not installed: $f"
done
ok "installed $(cd "$P" && find . -type f -o -type l | wc -l) files"
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
[ "$(pkg-config --modversion darkrt)" = "$("$DARKRT" --version | grep -o '[0-9][0-9.]*' | head -n 1)" ] &&
    ok "pkg-config darkrt: $(pkg-config --modversion darkrt)" || fail "pkg-config version $(pkg-config --modversion darkrt)"
src="$DRT_ROOT/tests/packaging/consumer.c"
# shellcheck disable=SC2046
if cc -std=c11 -Wall -Werror -o "$TMP/pc-consumer" "$src" $(pkg-config --cflags --libs darkrt) 2>"$TMP/cc.log"; then
    out=$(LD_LIBRARY_PATH="$P/lib" "$TMP/pc-consumer" "$FASTEST_CFG" "$FASTEST_WEIGHTS" "$DN_DATA/dog.jpg" 2>&1)
    grep -q "objects, best 16" <<<"$out" && ok "pkg-config build: $(tr '\n' ' ' <<<"$out")" || fail "pkg-config build: $out"
    LD_LIBRARY_PATH="$P/lib" ldd "$TMP/pc-consumer" | grep -q "libdarkrt.so.0 => $P/lib" && ok "linked against $P/lib/libdarkrt.so.0" \
        || fail "not linked to the installed SONAME: $(ldd "$TMP/pc-consumer" | grep darkrt)"
else
    fail "cc with pkg-config: $(head -n 5 "$TMP/cc.log")"
fi
# Static: libdarkrt.a with the libraries `pkg-config --static` adds (Libs.private: libdnnl, the libgomp
# darkrt's kernels call, ...); ld takes no symbol from a library that is only a dependency of another.
# shellcheck disable=SC2046
if cc -std=c11 -Wall -Werror -o "$TMP/pc-static" "$src" $(pkg-config --cflags darkrt) \
      $(pkg-config --static --libs darkrt | sed 's/-ldarkrt\b/-l:libdarkrt.a/') 2>"$TMP/cc-static.log"; then
    out=$("$TMP/pc-static" "$FASTEST_CFG" "$FASTEST_WEIGHTS" "$DN_DATA/dog.jpg" 2>&1)
    grep -q "objects, best 16" <<<"$out" && ! ldd "$TMP/pc-static" | grep -q libdarkrt \
        && ok "pkg-config --static build (libdarkrt.a): $(tr '\n' ' ' <<<"$out")" || fail "pkg-config --static build: $out"
else
    fail "cc with pkg-config --static: $(grep -m 3 -E 'error|undefined' "$TMP/cc-static.log")"
fi
if ! command -v cmake >/dev/null; then
    echo "no cmake: find_package not checked"
elif ! cmake -S "$DRT_ROOT/tests/packaging" -B "$TMP/cm" -DCMAKE_PREFIX_PATH="$P" >"$TMP/cm.log" 2>&1 ||
     ! cmake --build "$TMP/cm" >>"$TMP/cm.log" 2>&1; then
    fail "find_package build: $(grep -m 5 -iE 'error' "$TMP/cm.log")"
else
    for b in consumer consumer_static; do
        out=$("$TMP/cm/$b" "$FASTEST_CFG" "$FASTEST_WEIGHTS" "$DN_DATA/dog.jpg" 2>&1)
        grep -q "objects, best 16" <<<"$out" && ok "find_package $b: $(tr '\n' ' ' <<<"$out")" || fail "find_package $b: $out"
    done
fi
finish
