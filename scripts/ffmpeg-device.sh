#!/usr/bin/env bash
# FFmpeg for the GPU machine, which has none: Debian's FFmpeg 5.1 source (the ABI darkrt links:
# libavcodec.so.59...) built with only what the video benchmarks use (H.264/H.265 decoders, mp4,
# Matroska and MPEG-TS demuxers, file/udp protocols, swscale, NVDEC through ffnvcodec, which opens
# the driver's libcuda/libnvcuvid at run time) and the ffmpeg CLI (serves the benchmark's UDP
# streams). Debian's own libraries need ~210 others (246 MB); these are ~6 MB and need only libc.
# Also writes the benchmark's 1080p30 H.264 clip (this machine's libx264).
#   usage: bash scripts/ffmpeg-device.sh DEST   -> DEST/lib/*.so.*, DEST/bin/ffmpeg, DEST/data/video/
# The build is cached per machine and FFmpeg version in ~/.cache/darkrt/ (FFMPEG_BUILD=dir to move it).
set -eu
DEST=${1:?usage: ffmpeg-device.sh DEST}
VERSION=$(dpkg-query -W -f '${Version}' libavcodec-dev) # 7:5.1.x-...: the headers darkrt is built with
WORK=${FFMPEG_BUILD:-${XDG_CACHE_HOME:-$HOME/.cache}/darkrt/ffmpeg-device-${VERSION//[:+~]/_}}
mkdir -p "$WORK" "$DEST/lib" "$DEST/bin" "$DEST/data/video"

fetch_source() { # apt-get source with private deb-src lists: the machine's apt setup is left alone
    local apt="$WORK/apt" suite
    mkdir -p "$apt/lists/partial" "$apt/parts"
    for suite in "debian bookworm" "debian bookworm-updates" "debian-security bookworm-security"; do
        echo "deb-src http://deb.debian.org/${suite% *} ${suite#* } main"
    done >"$apt/sources.list"
    local o=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts="$apt/parts"
             -o Dir::State::Lists="$apt/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
    apt-get "${o[@]}" update -qq
    (cd "$WORK" && apt-get "${o[@]}" source --download-only -qq "ffmpeg=$VERSION")
    tar -C "$WORK" -xf "$WORK"/ffmpeg_*.orig.tar.xz
}

# What the build holds. The null muxer and wrapped_avframe encoder let the ffmpeg CLI decode to
# nowhere (`-hwaccel cuda -f null -`: bench/device/video-smoke.sh checks NVDEC without darkrt); the
# rawvideo muxer and encoder and the scale filter let it decode to RGB24 on a pipe (the PyTorch peer
# of bench/device/video.sh reads its frames so, where the machine's Python has no OpenCV).
CONF=(--enable-shared --disable-static --disable-doc
      --disable-autodetect --disable-everything --disable-ffplay --disable-ffprobe --enable-ffmpeg --enable-pthreads
      --enable-decoder=h264,hevc --enable-parser=h264,hevc --enable-demuxer=mov,mpegts,h264,hevc,matroska
      --enable-muxer=mpegts,null,rawvideo --enable-encoder=wrapped_avframe,rawvideo
      --enable-filter=scale --enable-protocol=file,udp,pipe
      --enable-bsf=h264_mp4toannexb,hevc_mp4toannexb
      --enable-ffnvcodec --enable-nvdec --enable-hwaccel=h264_nvdec,hevc_nvdec --enable-network)
if [ ! -f "$WORK/prefix/lib/libavcodec.so.59" ] || [ "$(cat "$WORK/prefix/configure-options" 2>/dev/null)" != "${CONF[*]}" ]; then
    missing=()
    command -v nasm >/dev/null || missing+=(nasm)
    [ -f /usr/include/ffnvcodec/dynlink_loader.h ] || missing+=(libffmpeg-nvenc-dev)
    [ ${#missing[@]} = 0 ] ||
        { echo "ffmpeg-device.sh: missing ${missing[*]} (scripts/deps.sh installs them: apt-get install ${missing[*]})" >&2; exit 1; }
    [ -d "$WORK"/ffmpeg-5.1* ] 2>/dev/null || fetch_source
    src=$(ls -d "$WORK"/ffmpeg-5.1*/ | head -1)
    rm -rf "$WORK/obj" "$WORK/prefix"
    mkdir -p "$WORK/obj"
    (cd "$WORK/obj" && "$src/configure" --prefix="$WORK/prefix" "${CONF[@]}" >/dev/null &&
        nice make -j"$(nproc)" >/dev/null && make install >/dev/null)
    echo "${CONF[*]}" >"$WORK/prefix/configure-options"
fi
for l in avcodec.so.59 avformat.so.59 avdevice.so.59 avfilter.so.8 swscale.so.6 swresample.so.4 avutil.so.57; do
    cp -L "$WORK/prefix/lib/lib$l" "$DEST/lib/"
done
cp "$WORK/prefix/bin/ffmpeg" "$DEST/bin/ffmpeg"
strip "$DEST"/lib/libav*.so.* "$DEST"/lib/libsw*.so.* "$DEST/bin/ffmpeg"

# The streams' clip: Darknet's sample images, 1080p, 30 fps, 10 s, a keyframe a second.
clip="$DEST/data/video/clip-1080p.mp4"
if [ ! -f "$clip" ]; then
    t=$(mktemp -d)
    ffmpeg -nostdin -v error -y -pattern_type glob -i '/usr/share/darknet/data/*.jpg' \
        -vf 'scale=1920:1080:force_original_aspect_ratio=decrease,pad=1920:1080:(ow-iw)/2:(oh-ih)/2' "$t/f-%02d.png"
    ffmpeg -nostdin -v error -y -stream_loop -1 -framerate 3 -i "$t/f-%02d.png" -vf fps=30 -frames:v 300 \
        -c:v libx264 -pix_fmt yuv420p -g 30 "$clip"
    rm -rf "$t"
fi
