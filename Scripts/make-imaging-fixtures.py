#!/usr/bin/env python3
"""Makes the committed fixtures of Tests/ImagingTests/Fixtures, once, with independent
decoders and OpenCV (run: Scripts/.venv/bin/python Scripts/make-imaging-fixtures.py).

Expected pixels are written as binary PGM/PPM (8-bit) or raw little-endian files by this
script's own few lines of numpy, never by the code under test.
"""
import os
import sys

import numpy as np
import cv2

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ImagingTests", "Fixtures")


def write_pnm(path, array):
    """Binary PGM (2-D) or PPM (H×W×3), 8-bit, written by hand."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = b"P5" if array.ndim == 2 else b"P6"
    h, w = array.shape[:2]
    with open(path, "wb") as f:
        f.write(magic + b"\n%d %d\n255\n" % (w, h))
        f.write(array.tobytes())


def make_resize(rng):
    """Random 8-bit sources and OpenCV's INTER_LINEAR / INTER_LINEAR_EXACT results (RGB order
    is irrelevant to resize)."""
    folder = os.path.join(ROOT, "resize")
    os.makedirs(folder, exist_ok=True)
    sources = {
        ("gray", 37, 23): rng.integers(0, 256, (23, 37), dtype=np.uint8),
        ("rgb", 37, 23): rng.integers(0, 256, (23, 37, 3), dtype=np.uint8),
        ("gray", 64, 48): rng.integers(0, 256, (48, 64), dtype=np.uint8),
    }
    targets = {
        ("gray", 37, 23): [(20, 13), (50, 31), (18, 11), (74, 46), (36, 22), (1, 1), (37, 1), (5, 40)],
        ("rgb", 37, 23): [(30, 19), (64, 40), (35, 22)],
        ("gray", 64, 48): [(32, 24), (61, 46), (58, 44), (53, 40)],
    }
    lines = []
    for (layout, w, h), src in sources.items():
        ext = "pgm" if layout == "gray" else "ppm"
        name = f"src_{layout}_{w}x{h}.{ext}"
        write_pnm(os.path.join(folder, name), src)
        for (tw, th) in targets[(layout, w, h)]:
            for flag, label in ((cv2.INTER_LINEAR, "linear"), (cv2.INTER_LINEAR_EXACT, "linearExact")):
                out = cv2.resize(src, (tw, th), interpolation=flag)
                out_name = f"{label}_{layout}_{w}x{h}_to_{tw}x{th}.{ext}"
                write_pnm(os.path.join(folder, out_name), out)
                lines.append(f"{name} {out_name} {label} {tw} {th}")
    with open(os.path.join(folder, "cases.txt"), "w") as f:
        f.write("# source expected interpolation width height (OpenCV %s)\n" % cv2.__version__)
        f.write("\n".join(lines) + "\n")


def make_color(rng):
    """OpenCV's 8-bit RGB2GRAY on a random RGB image."""
    folder = os.path.join(ROOT, "color")
    os.makedirs(folder, exist_ok=True)
    rgb = rng.integers(0, 256, (41, 67, 3), dtype=np.uint8)
    write_pnm(os.path.join(folder, "rgb_67x41.ppm"), rgb)
    write_pnm(os.path.join(folder, "gray_opencv_67x41.pgm"), cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))


def make_pyramid(rng):
    """OpenCV pyrDown chains (5 levels) on random 8-bit images of even, odd and tiny sizes."""
    folder = os.path.join(ROOT, "pyramid")
    os.makedirs(folder, exist_ok=True)
    lines = []
    for layout, w, h in (("gray", 37, 23), ("gray", 64, 48), ("gray", 83, 3), ("rgb", 37, 23), ("rgb", 50, 17)):
        shape = (h, w) if layout == "gray" else (h, w, 3)
        ext = "pgm" if layout == "gray" else "ppm"
        level = rng.integers(0, 256, shape, dtype=np.uint8)
        base = f"{layout}_{w}x{h}_level0.{ext}"
        write_pnm(os.path.join(folder, base), level)
        names = [base]
        for k in range(1, 5):
            level = cv2.pyrDown(level)
            name = f"{layout}_{w}x{h}_level{k}.{ext}"
            write_pnm(os.path.join(folder, name), level)
            names.append(name)
        lines.append(" ".join(names))
    with open(os.path.join(folder, "chains.txt"), "w") as f:
        f.write("# level0 … level4 of cv2.pyrDown chains (OpenCV %s)\n" % cv2.__version__)
        f.write("\n".join(lines) + "\n")


def main():
    rng = np.random.default_rng(20261121)
    make_resize(rng)
    make_color(rng)
    make_pyramid(rng)


if __name__ == "__main__":
    sys.exit(main())
