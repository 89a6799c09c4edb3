#!/usr/bin/env python3
"""Makes the CLI test fixtures in Tests/CLITests/Fixtures/images (run once; the outputs are committed).

Needs only python3 (standard library) and libjpeg-turbo-progs' djpeg/cjpeg. Inputs are files of
this repository: datasets/sample/person.jpg and Tests/PipelinesTests/Fixtures/window_person_64x128.png.

  person_120x197.jpg     rows 30-423, columns 110-349 of person.jpg (the crop of
                         Tests/PipelinesTests/Fixtures/person_crop_240x394.png), halved by 2x2 means, cjpeg -quality 90
  window_64x128.png      a copy of window_person_64x128.png (gray PNG)
  stereo/pair_left.pgm   64x128 gray (BT.601 luma) from person_120x197's pixels, columns 0-63
  stereo/pair_right.pgm  the same, columns 4-67 (a 4-pixel disparity)
  stereo/pair_disp.pfm   64x128 little-endian gray PFM: 4.0 everywhere, inf (unknown) in the last 4 columns
  truncated.jpg          the first 600 bytes of person_120x197.jpg
  corrupt.png            window_64x128.png with one byte of IHDR's CRC flipped
  not-an-image.png       text with an image extension
  notes.txt              text (skipped by the scan)
"""
import os
import struct
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(root, "Tests", "CLITests", "Fixtures", "images")
os.makedirs(os.path.join(out, "stereo"), exist_ok=True)


def read_ppm(data):
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P6" and parts[3] == b"255", "djpeg must give an 8-bit P6"
    width, height = int(parts[1]), int(parts[2])
    return width, height, parts[4][: width * height * 3]


ppm = subprocess.run(["djpeg", "-pnm", os.path.join(root, "datasets/sample/person.jpg")],
                     check=True, capture_output=True).stdout
width, height, pixels = read_ppm(ppm)
x0, y0, cw, ch = 110, 30, 240, 394
crop = [pixels[((y0 + y) * width + x0) * 3:((y0 + y) * width + x0 + cw) * 3] for y in range(ch)]
hw, hh = cw // 2, ch // 2
half = bytearray()
for y in range(hh):
    a, b = crop[2 * y], crop[2 * y + 1]
    for x in range(hw):
        for c in range(3):
            s = a[6 * x + c] + a[6 * x + 3 + c] + b[6 * x + c] + b[6 * x + 3 + c]
            half.append((s + 2) // 4)
half_ppm = b"P6\n%d %d\n255\n" % (hw, hh) + bytes(half)
jpeg = subprocess.run(["cjpeg", "-quality", "90"], input=half_ppm, check=True, capture_output=True).stdout
open(os.path.join(out, "person_120x197.jpg"), "wb").write(jpeg)


def luma(x, y):
    r, g, b = half[(y * hw + x) * 3:(y * hw + x) * 3 + 3]
    return (9798 * r + 19235 * g + 3735 * b + 16384) >> 15


for name, dx in (("pair_left", 0), ("pair_right", 4)):
    gray = bytes(luma(x + dx, y) for y in range(128) for x in range(64))
    open(os.path.join(out, "stereo", name + ".pgm"), "wb").write(b"P5\n64 128\n255\n" + gray)
disp = b"".join(struct.pack("<f", 4.0 if x < 60 else float("inf")) for y in range(128) for x in range(64))
open(os.path.join(out, "stereo", "pair_disp.pfm"), "wb").write(b"Pf\n64 128\n-1.0\n" + disp)

open(os.path.join(out, "truncated.jpg"), "wb").write(jpeg[:600])
png = open(os.path.join(root, "Tests/PipelinesTests/Fixtures/window_person_64x128.png"), "rb").read()
open(os.path.join(out, "window_64x128.png"), "wb").write(png)
assert png[12:16] == b"IHDR"
bad = bytearray(png)
bad[8 + 8 + 13] ^= 0xFF  # first byte of IHDR's CRC (after length, type and 13 data bytes)
open(os.path.join(out, "corrupt.png"), "wb").write(bytes(bad))
open(os.path.join(out, "not-an-image.png"), "w").write("this file is text, not a PNG\n")
open(os.path.join(out, "notes.txt"), "w").write("A text file: the dataset scan lists it as skipped.\n")
print("wrote", out, file=sys.stderr)
