#!/usr/bin/env python3
"""Writes the fuzz-image seed corpus (tiny images, one per decoder path darkrt has) into OUT_DIR.
PNG, BMP and PNM are written here byte by byte (zlib, struct): every PNG colour type and the depths
1, 2, 8 and 16, one Adam7-interlaced, a palette with transparency. The JPEGs come from Pillow:
baseline RGB, grey, progressive, and one with an EXIF orientation (6: rotated 90 degrees).
Usage: python3 tests/fuzz/seeds/images.py OUT_DIR (tests/fuzz/seeds/make-seeds.sh runs it)."""
import os
import struct
import sys
import zlib


def pixel(x, y, c):
    """A deterministic pattern: neighbouring pixels and channels differ."""
    return (x * 37 + y * 101 + c * 59 + 13) % 256


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(w, h, depth, colour, rows, extra=b"", interlace=0):
    """rows(y0, step_y, x0, step_x, w, h) -> the packed scanlines of one (sub)image, without filter bytes."""
    ihdr = struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, interlace)
    raw = b""
    passes = [(0, 8, 0, 8), (0, 8, 4, 8), (4, 8, 0, 4), (0, 4, 2, 4), (2, 4, 0, 2), (0, 2, 1, 2), (1, 2, 0, 1)]
    for y0, sy, x0, sx in passes if interlace else [(0, 1, 0, 1)]:
        pw, ph = (w - x0 + sx - 1) // sx, (h - y0 + sy - 1) // sy
        if pw and ph:
            for line in rows(y0, sy, x0, sx, pw, ph):
                raw += b"\0" + line  # filter type 0 (none)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b"")


def rows8(channels):
    def rows(y0, sy, x0, sx, pw, ph):
        return [bytes(pixel(x0 + i * sx, y0 + j * sy, c) for i in range(pw) for c in range(channels)) for j in range(ph)]
    return rows


def rows16(channels):
    def rows(y0, sy, x0, sx, pw, ph):
        return [b"".join(struct.pack(">H", pixel(x0 + i * sx, y0 + j * sy, c) * 257 + i) for i in range(pw) for c in range(channels))
                for j in range(ph)]
    return rows


def rows_bits(depth):
    def rows(y0, sy, x0, sx, pw, ph):
        out = []
        for j in range(ph):
            bits = "".join(format(pixel(x0 + i * sx, y0 + j * sy, 0) % (1 << depth), "0%db" % depth) for i in range(pw))
            bits += "0" * (-len(bits) % 8)
            out.append(bytes(int(bits[k:k + 8], 2) for k in range(0, len(bits), 8)))
        return out
    return rows


def bmp24(w, h):
    stride = (w * 3 + 3) & ~3
    rows = b"".join(bytes(pixel(x, y, c) for x in range(w) for c in range(3)) + b"\0" * (stride - w * 3) for y in range(h))
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(rows), 0, 0, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + 40 + len(rows), 0, 0, 54) + info + rows


def pnm(magic, w, h, channels, comment=b""):
    body = bytes(pixel(x, y, c) for y in range(h) for x in range(w) for c in range(channels))
    return magic + b"\n" + comment + b"%d %d\n255\n" % (w, h) + body


def jpegs(out):
    try:
        from PIL import Image
    except ImportError:
        sys.exit("images.py: the JPEG seeds need Pillow in %s (pip install pillow; scripts/deps.sh)" % sys.executable)

    def image(mode, w, h):
        im = Image.new(mode, (w, h))
        channels = len(mode)
        im.putdata([tuple(pixel(x, y, c) for c in range(channels)) if channels > 1 else pixel(x, y, 0)
                    for y in range(h) for x in range(w)])
        return im
    image("RGB", 9, 7).save(out + "rgb.jpg", quality=90)
    image("L", 5, 4).save(out + "grey.jpg", quality=90)
    image("RGB", 9, 7).save(out + "progressive.jpg", quality=90, progressive=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the stored pixels are rotated; darkrt turns them upright
    image("RGB", 6, 3).save(out + "exif-orient6.jpg", quality=90, exif=exif.tobytes())


def main():
    out = sys.argv[1].rstrip("/") + "/"
    os.makedirs(out, exist_ok=True)
    files = {
        "rgb.png": png(7, 5, 8, 2, rows8(3)),
        "rgba.png": png(3, 5, 8, 6, rows8(4)),
        "grey.png": png(5, 3, 8, 0, rows8(1)),
        "grey-alpha.png": png(4, 4, 8, 4, rows8(2)),
        "grey1bit.png": png(10, 3, 1, 0, rows_bits(1)),
        "rgb16.png": png(4, 3, 16, 2, rows16(3)),
        "palette2.png": png(6, 2, 2, 3, rows_bits(2),
                            png_chunk(b"PLTE", bytes([0, 0, 0, 255, 0, 0, 0, 255, 0, 255, 255, 255])) + png_chunk(b"tRNS", b"\x80")),
        "interlaced.png": png(9, 9, 8, 2, rows8(3), interlace=1),
        "rgb24.bmp": bmp24(5, 3),
        "rgb.ppm": pnm(b"P6", 4, 3, 3, b"# comment\n"),
        "grey.pgm": pnm(b"P5", 3, 2, 1),
    }
    for name, data in files.items():
        with open(out + name, "wb") as f:
            f.write(data)
    jpegs(out)


if __name__ == "__main__":
    main()
