#!/usr/bin/env python3
"""Writes the image regression inputs of the fuzzers (tests/fuzz/crashes/image, found 2026-11-24) into OUT_DIR,
bit-exact: each input as it crashed or hung darkrt, with why it is kept (the bytes that triggered the bug and
the fix). PNM and BMP inputs are written as Python byte strings; the JPEG inputs are fuzzer output with
mutated structure (junk between segments), kept as hex. tests/fuzz/seeds/expect.txt says the outcome each
must still have (the check that refuses it, or a clean decode).
Usage: python3 tests/fuzz/seeds/hostile-images.py OUT_DIR (tests/fuzz/seeds/make-seeds.sh runs it)."""
import os
import sys

INPUTS = {

    # uncompressed BMP header claiming 20992x8960 24-bit pixels (width at byte 18, height at 22) in a 102-byte file
    # whose own file-size field (bytes 2..5) says 102: darkrt trusted that field and allocated 2.26 GB. Fixed in
    # src/vision/image-stb.c check_bmp: offset + row stride x rows must be present.
    "bmp-102-bytes-2GB-alloc.bmp": (
        b'BMf\x00\x00\x00\x00\x00\x00\x006\x00\x00\x00(\x00\x00\x00\x00R\x00\x00\x00#\x00\x00\x01\x00\x18\x00'
        b'\x00\x00\x00\x000\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
        b'Z\x7f\x9a\xc9\xee\x138\x82\xa7\xcc\xf1\x16;`\x00\xa1\xc6\xeb\x102Z\x7f\xa4\xc9\xee\xdb8]\x82\xa7'
        b'\x00\xe8,2W|\xa1\xc6\xeb\x105Z\x7f\xa4\xc9\xee\x00'
    ),

    # BMP claiming 255x53763 pixels (bytes 18..25) in 289 bytes: decoded (stb pads the missing rows) into 13.7 M
    # pixels in 1-3 s. Same fix as bmp-102-bytes-2GB-alloc.bmp.
    "bmp-289-bytes-13M-pixels.bmp": (
        b'BMf\x00\x00\x00\x00\x00\x00\x006\x00\x00\x00(\x00\x00\x00\xff\x00\x00\x00\x03\xd2\x00\x00\x01\x00'
        b'\x18\x00\x00\x00\x00\x001\x00\x00\x00\xcc\x00\x00\x00\xdfs\x00\x00\x00\x00IEND\xaeB\x82\xa7\x00\xe8'
        b'CCCCCCCCCCCCCCCCCCCCCCCCC\x00\x00\x00\xdfs\x00\x00\x00\x00CCCCCCCCCCCCCCCCCCCCCCCCCCC\r2W`|\xa1\xc6'
        b'\xeb\x105Z\x7f\xa4\xc9\x00\x00\x00\x00\x00Z\x7f\xa4\xc9\xee\x137]\x82\xa7\x82\xcc\xf1\x16;`\x00\xa1'
        b'\xc6\xeb\x107Z\x7f\xa4\xc9\xee\x138]\x82\xa7\x00\xe8\r2W|\xa1D\xaeB\x82\xa7\x00\xe8CCCCCCCCCCCCC'
        b'CCCCCCCCCCCC\x00\x00\x00\xdfs\x00\x00\x00\x00CCCCCCCCCCCCCCCCCCCCCCCCCCC\r2W`|\xa1\xc6\xeb\x105Z'
        b'\xc6\xeb\x105Z\x7f\x00\x00\x00\x0cPLTE\xffinput.jpg\t\t\\q~\xa4\xc9\xee\x00'
    ),

    # 56-byte BMP claiming 5x16515075 pixels (height 0x00fc0003 at byte 22): decoded into a 1 GB float image in 5 s.
    # Fixed: the header's size is checked against the bytes present.
    "bmp-56-bytes-82M-pixels.bmp": (
        b'BMf\x00\x00\x00\x00\x00\x00\x006\x00\x00\x00(\x00\x00\x00\x05\x00\x00\x00\x03\x00\xfc\x00\x01\x00'
        b'\x18\x00\x00\x00\x00\x000\x00\x00\x82\xa7\x00\xe8\r2W|\xa1\xc6\xeb\x105Z\x7f\xa4\xc9\xee\x00'
    ),

    # BMP with compression 0xf0203550 (bytes 30..33, 'P5' of a PNM spliced in) and a 0x00040005 x 0x3ff size: stb
    # decoded it slowly. Refused now: only uncompressed and bitfield BMPs are read.
    "bmp-unknown-compression-slow.bmp": (
        b'BMf\x00\x00\x00\x00\x00\x00\x006\x00\x00\x00(\x00\x00\x00\x05\x00\x04\x00\xff\x03\x00\x00\x01\x00'
        b'\x18\x00\x00P5\xf0\t\r\x00\x00\x000\x00\x00\x00\x00\x00\xc1y\t\x00\xb0`\x00\x00\x00\x00\x00\x00\x00'
        b'\x00\x00\x00\x00\x00\x00\x00\x00\x00Z\x7f\x04\x00\x00\x00\x00\x00\x00\x00\xcc\xf1\x16;\x00\x008]'
        b'\x82\xa7\x00\xe8\r2W|\xa1\xc6\xeb\x105Z\x7f\xa4\xc9\xee\x00'
    ),

    # complete baseline JPEG of 371 bytes whose SOF0 (byte 90) declares 55551x1279 pixels: 71 M pixels, 2.5 s. Refused
    # from the header now: the 8192x8192 limit and at most 1024 pixels per byte of file (include/darkrt/image.h,
    # src/vision/image-jpeg.c).
    "jpeg-371-bytes-71M-pixels-slow.jpg": bytes.fromhex(
        "ffd8ffe000104a46494600010100000100010000ffdb00430006040506050406060506070706080a100a0a09090a140e"
        "0f0c1017141818171416161a1d251f1a1b231c1616202c20232627292a2933191f2d302d283025282928ffc0000b0804"
        "ffd8ff01011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b510000201"
        "0303020403050504040000017d01020300041105122130410613516107227114328191a1082342b1c11552d1f0243362"
        "7282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a7374"
        "75767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b700000000000102030405"
        "060708090a0bffc400b5110002010204040304070504f2f3f4f5f6f7f8f9faffda0008010100003f0066bd29f0d7886f"
        "fc3de1d8adb4eb2d3fc9daf1db472493799046ff003991587059b1b42f079cf15fffd9"
    ),

    # progressive JPEG of 433 bytes whose SOF2 (byte 168) declares 57334x2553 pixels: 146 M pixels, 1.7 GB. Same fix
    # as jpeg-371-bytes-71M-pixels-slow.jpg.
    "jpeg-433-bytes-progressive-146M-pixels.jpg": bytes.fromhex(
        "ffd8ffe000104a46494600010100000100600000ffdb00430006040506050406060506070706080a100a0a09090a140e"
        "0f0c1017141818171416161a1d251f1a1b231c1616202c20232627292a29191f2d302d283025282928ffdb0043010707"
        "070a080a130a0a13281a161a000000000000000000282828282828282828282828282828282828282828282828282828"
        "7e2828282828282828282828282828282828282828282828ffc200110809f9dff603012200021101031101ffc4001500"
        "010100000000000000000000000000000002ffc4001501010100000000000000000000000000000305ffda000c030100"
        "021003100000ed00018b1687ffc4001810000203000000000000000000000000000002011122ffda0008010100010502"
        "b865c1ffc4001d1100020201050000000000000000000000010204110000000000000001210061114171ffda00080103"
        "01013f104ac301baa0380153ffc4001c11010002010500000000000000000000000111210032416191a1ffda00080102"
        "01013f10ba1a585858585858585858585858585858585858585858585858585800013f1036be84278c71016c8e1a7fff"
        "d9"
    ),

    # truncated JPEG whose SOF0 (byte 182) declares 64250x1024: libjpeg warned at the premature end, then filled all
    # remaining rows (11 s under ASan). Decoding now stops at the warning; the pixels-per-byte check refuses it first.
    "jpeg-434-bytes-64250x1024-slow.jpg": bytes.fromhex(
        "ffd8ffe000104a46494600010100000100010000ffdb0043000604050605909090909090909090909090909090909090"
        "90909090909090ffffffffffffffffffff90909090909090909090909090909090909090909090909090909090909090"
        "909090909090909090909090909090909090900406060506070706080a0dd2030070600000100a0a09090a140e0f0c10"
        "17141818171416161a1d251f1a1b231c1616202c20232627292a29191f2d302d283025282928ffc0000b080400fafa01"
        "011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b51000020103030204"
        "03050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a"
        "161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778"
        "797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3"
        "d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f0066bd29f0d7886ffc3de15f"
        "ffd9"
    ),

    # 6x3 JPEG (SOF0 at byte 195) with a corrupt DAC segment/scan: libjpeg longjmp'd out of jpeg_read_scanlines while
    # the pixels were in a local: leaked. src/vision/image-jpeg.c: the guard struct holds the buffer now.
    "jpeg-leak-corrupt-scan.jpg": bytes.fromhex(
        "ffd8ffe000104a46494600010100000100010000ffe100224578696600004d4d002a0000000800010112000300000001"
        "0006000000000000ffdb00430006040506050406060506070706080a100a0a09090a140e0f0c1017141818171416161a"
        "1d251f3a1a1b2316262c202320161c27292a29191f2d302d283025282928ffdb0043010707070a080a130a0a13281a16"
        "1a282828282828282828282828282828282828282828282828282e282828282828282828282828282828282828282828"
        "282828ffc00011080003000603012200021101031101ffc4001f00000105010101010101000000000000000001020304"
        "05060708090a0bffc400b5100002010303020403050504040000017d0102030004110512213141061351610722711432"
        "8191a1082342b1c11552d1f024336272090a18821719161a25262728292a3435363738393a43fb45464748494a535455"
        "565758595a636465666768696a737475767778797a838485868788897c92939495969798999aa2a3a4a5a608090a0bff"
        "cc00b51100020102040403040705040400010277000102031104052130061241510761711322328108144291a1b1c109"
        "233352f0156272d10a162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a6364"
        "65666768696a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8"
        "b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000c030100021103"
        "11003f0047b586f679ecee1336b0dcce91c284a2a847c2f0b8e406619ebcd14515f6194422f074e4d6ad5df99e2e7d5a"
        "a61f1b2a7464e314a18485868788897c92939495969798999aa2a3a4a5a608090a0bffcc00b51100020102a2765f045e"
        "cbccffd9"
    ),

    # 16-bit P5 (maxval 2555) with 4 bytes of pixels for 30x2: stbi__convert_16_to_8 read past the buffer. Refused by
    # the size check.
    "pgm-16bit-heap-overflow.pgm": b'P5 30 2 2555\n\x00x\xa0\xc8',

    # a '#' comment right after the height ('2#25$ ...') that ends at CR, then a 75-digit number: our header check
    # consumed the byte after each number, stb looks at it again and read the digits (signed overflow in stb). Fixed
    # in src/vision/image-stb.c pnm_number.
    "pgm-comment-after-height-int-overflow.pgm": (
        b'P5 3 2#25$ \x00(P10P6\r\r99999999999999999999999999999999999999999999999999999999999999999999999'
        b'9999\r\r\r\r49999\x03pg\r\r\r\r\r\r\r\r\r'
    ),

    # a comment after the height followed by newlines and an 86-digit number: the same path as pgm-comment-after-
    # height-int-overflow.pgm.
    "pgm-comment-newlines-int-overflow.pgm": (
        b'P5 3 2#25$\n\n\n\n\n\n\n\n\n\n222222222222222222222222222222222222222222222222222222222222222222'
        b'22222222222222222222\n\n\n\nE\x00\x00\x00\x05\x00\x00\x00\x80qV\xa2\x00p\x00<IDAT\n\n\x00<IDA\n\x00'
        b'\x00T\x007\n\n\n\n\xea\n\n\n\n\n\n\x89\x82'
    ),

    # 'P53 2#2...': the width ends at a comment, whose end is followed by 'P6', another comment and a 10-digit number:
    # int overflow in stb's PNM reader. Same fix.
    "pgm-width-ends-at-comment-int-overflow.pgm": (
        b'P53 2#2\x00\x00\x00\x00P6\n# comment\n99999999993 3\n255\n\xb4\xd9\xfe#Hm\x92\xb7\xdc\x01&Kp\x95'
        b'\xba\xdf\x04)Ns\x98\xbd\xe2\x07,Qv\x9b\xc0\xe5x\xa0\xc8'
    ),

    # complete 16-bit P5 (maxval 525) read as 3 channels: Debian's stb 2.27 converted 16-bit data with the 8-bit
    # converter, then stbi__convert_16_to_8 read twice the buffer. Now stb keeps its own channel count and
    # drt_image_from_u8 expands grey (the file decodes).
    "pgm16-grey-to-rgb-heap-overflow.pgm": b'P5 3 2 525\n\x005 3 2 255\n\x00(PPx(x\xa0\xc8',

    # a '#' comment ended by CR (stb ends comments at CR or LF, our check ended them at LF only), then a 108-digit
    # number the check never saw: signed overflow in stb. The check now skips whitespace and comments as
    # stbi__pnm_skip_whitespace.
    "ppm-comment-ends-at-cr-int-overflow.ppm": (
        b'P6\n#\r\r\r\r\r\r\t\t\t\t\t\t7777777777777777777777777777777777777777777777777777777777777777777'
        b'77777777777777777777777777777777777777777\t\t\t\t\t\t\t\t#\r\r\r\r\r\r\r\r\r\r\r\r\r\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\tt\n3\x1d'
        b'3\n2\n\xb4\xd9\xfe#Hm\x9255\n\x17\xd9K&mp\x01\x95\xba\xdf\xff\xff\xff\xff\xff\xff\xff\x05\x04)Ns'
        b'\x98\xbdy\x9e\xc3'
    ),

    # a 40-digit PPM width: int overflow in stbi__pnm_getinteger. The header is checked (at most 9 digits) before stb
    # sees it.
    "ppm-int-overflow.ppm": (
        b'P6\n7777777777777777777777777777777777777777 3\n255\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
        b'\x00\x00\x00\x00\x00'
    ),
}


def main():
    out = sys.argv[1].rstrip("/") + "/"
    os.makedirs(out, exist_ok=True)
    for name, data in INPUTS.items():
        with open(out + name, "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
