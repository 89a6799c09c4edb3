#!/usr/bin/env python3
"""Makes the committed fixtures of Tests/ImagingTests/Fixtures, once, with independent
decoders and OpenCV (run: Scripts/.venv/bin/python Scripts/make-imaging-fixtures.py).

Expected pixels are written as binary PGM/PPM (8-bit) or raw little-endian files by this
script's own few lines of numpy, never by the code under test.
"""
import os
import sys

import struct
import subprocess
import zlib

import numpy as np
import cv2
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ImagingTests", "Fixtures")


def write_pnm(path, array):
    """Binary PGM (2-D) or PPM (H×W×3), 8-bit, written by hand."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = b"P5" if array.ndim == 2 else b"P6"
    h, w = array.shape[:2]
    with open(path, "wb") as f:
        f.write(magic + b"\n%d %d\n255\n" % (w, h))
        f.write(array.tobytes())


def write_pnm16(path, array):
    """Binary PGM/PPM with maxval 65535 (big-endian samples), written by hand."""
    array = np.ascontiguousarray(array, dtype=">u2")
    magic = b"P5" if array.ndim == 2 else b"P6"
    h, w = array.shape[:2]
    with open(path, "wb") as f:
        f.write(magic + b"\n%d %d\n65535\n" % (w, h))
        f.write(array.tobytes())


# ------------------------------------------------------------------ PNG, encoded by hand

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(samples, bit_depth):
    """One scanline of samples (ints) at `bit_depth` bits each, MSB first."""
    if bit_depth == 8:
        return bytes(int(v) for v in samples)
    if bit_depth == 16:
        return b"".join(struct.pack(">H", int(v)) for v in samples)
    out, acc, nbits = bytearray(), 0, 0
    for v in samples:
        acc = (acc << bit_depth) | int(v)
        nbits += bit_depth
        if nbits == 8:
            out.append(acc)
            acc, nbits = 0, 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(rows, bpp):
    """Applies filter type (row index % 5) to each packed row: exercises every unfilter."""
    out, prior = bytearray(), bytes(len(rows[0])) if rows else b""
    for index, row in enumerate(rows):
        kind = index % 5
        filtered = bytearray()
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prior[i]
            c = prior[i - bpp] if i >= bpp else 0
            pred = (0, a, b, (a + b) // 2, paeth(a, b, c))[kind]
            filtered.append((x - pred) & 0xFF)
        out.append(kind)
        out += filtered
        prior = row
    return bytes(out)


ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def encode_png(samples, color_type, bit_depth, interlaced=False, palette=None, trns=None):
    """PNG bytes for `samples` (H×W×C ints as stored: palette indices, gray, RGB …)."""
    h, w, channels = samples.shape
    bpp = max(1, channels * bit_depth // 8)
    if interlaced:
        data = b""
        for x0, y0, dx, dy in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue
            data += filter_rows([pack_row(r.reshape(-1), bit_depth) for r in sub], bpp)
    else:
        data = filter_rows([pack_row(r.reshape(-1), bit_depth) for r in samples], bpp)
    out = b"\x89PNG\r\n\x1a\n"
    out += png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlaced else 0))
    if palette is not None:
        out += png_chunk(b"PLTE", bytes(int(v) for v in palette.reshape(-1)))
    if trns is not None:
        out += png_chunk(b"tRNS", trns)
    compressed = zlib.compress(data, 9)
    half = len(compressed) // 2  # two IDAT chunks: exercises chunk boundaries
    out += png_chunk(b"IDAT", compressed[:half]) + png_chunk(b"IDAT", compressed[half:])
    out += png_chunk(b"IEND", b"")
    return out


def make_png(rng):
    """Every PNG colour type and bit depth, plain and Adam7; expected pixels from Pillow
    (OpenCV for 16-bit colour, which Pillow reduces to 8 bits), as PGM/PPM."""
    folder = os.path.join(ROOT, "png")
    os.makedirs(folder, exist_ok=True)
    w, h = 13, 11
    cases = []
    for depth in (1, 2, 4, 8, 16):
        cases.append(("gray", 0, depth))
    for depth in (8, 16):
        cases += [("rgb", 2, depth), ("gray_alpha", 4, depth), ("rgba", 6, depth)]
    for depth in (1, 2, 4, 8):
        cases.append(("palette", 3, depth))
    lines = []
    for name, color_type, depth in cases:
        for interlaced in (False, True):
            channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
            top = (1 << depth) - 1
            palette = trns = None
            if color_type == 3:
                entries = 1 << depth
                palette = rng.integers(0, 256, (entries, 3))
                samples = rng.integers(0, entries, (h, w, 1))
                trns = bytes([0, 128]) if depth == 8 else None
            else:
                samples = rng.integers(0, top + 1, (h, w, channels))
            png = encode_png(samples, color_type, depth, interlaced, palette, trns)
            stem = f"{name}_{depth}bit{'_adam7' if interlaced else ''}"
            with open(os.path.join(folder, stem + ".png"), "wb") as f:
                f.write(png)
            # What the file means, independently of any decoder: gray/RGB samples, alpha dropped.
            if color_type == 3:
                meaning = palette[samples[..., 0]]
            else:
                meaning = samples[..., : (1 if color_type in (0, 4) else 3)]
                if depth < 8:
                    meaning = meaning * 255 // top
            meaning = meaning[..., 0] if meaning.shape[2] == 1 else meaning
            # The independent decoder's opinion.
            path = os.path.join(folder, stem + ".png")
            if depth == 16:
                decoded = cv2.imread(path, cv2.IMREAD_UNCHANGED)
                if decoded.ndim == 3:
                    decoded = decoded[..., 2::-1] if decoded.shape[2] >= 3 else decoded
                    decoded = decoded[..., :3] if color_type in (2, 6) else decoded[..., 0]
                expected_name = stem + ".expected.ppm" if meaning.ndim == 3 else stem + ".expected.pgm"
                assert np.array_equal(decoded, meaning), stem
                write_pnm16(os.path.join(folder, expected_name), decoded)
            else:
                im = Image.open(path)
                im = im.convert("RGB") if color_type in (2, 3, 6) else im.convert("L")
                decoded = np.asarray(im)
                expected_name = stem + ".expected.ppm" if decoded.ndim == 3 else stem + ".expected.pgm"
                assert np.array_equal(decoded, meaning), stem
                write_pnm(os.path.join(folder, expected_name), decoded)
            source_channels = channels if color_type != 3 else (4 if trns else 3)
            lines.append(f"{stem}.png {expected_name} {depth} {source_channels}")
    with open(os.path.join(folder, "cases.txt"), "w") as f:
        f.write("# png expected bit-depth source-channels (Pillow %s, OpenCV %s for 16-bit)\n"
                % (Image.__version__ if hasattr(Image, "__version__") else "", cv2.__version__))
        f.write("\n".join(lines) + "\n")
    # A header claiming 100000 × 100000 pixels (valid CRCs, almost no data).
    huge = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0))
    huge += png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + png_chunk(b"IEND", b"")
    os.makedirs(os.path.join(ROOT, "bad"), exist_ok=True)
    with open(os.path.join(ROOT, "bad", "huge_100000x100000.png"), "wb") as f:
        f.write(huge)


# ----------------------------------------------------------------------------- JPEG

def make_jpeg(rng):
    """JPEGs made by cjpeg (libjpeg-turbo-progs) with each chroma subsampling, progressive and
    gray; expected pixels from djpeg (-pnm, default ISLOW DCT and fancy upsampling). A CMYK
    JPEG (Pillow) for the refusal test."""
    folder = os.path.join(ROOT, "jpeg")
    os.makedirs(folder, exist_ok=True)
    w, h = 35, 21
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([xx * 7 % 256, yy * 11 % 256, (xx * yy) % 256], axis=2) + rng.integers(0, 40, (h, w, 3))
    rgb = np.clip(rgb, 0, 255).astype(np.uint8)
    source = os.path.join(folder, "source_35x21.ppm")
    write_pnm(source, rgb)
    gray_source = os.path.join(folder, "source_gray_35x21.pgm")
    write_pnm(gray_source, rgb[..., 1])
    variants = [
        ("444", ["-sample", "1x1"], source),
        ("422", ["-sample", "2x1"], source),
        ("420", ["-sample", "2x2"], source),
        ("440", ["-sample", "1x2"], source),
        ("411", ["-sample", "4x1"], source),
        ("420_progressive", ["-sample", "2x2", "-progressive"], source),
        ("444_progressive", ["-sample", "1x1", "-progressive"], source),
        ("gray", ["-grayscale"], gray_source),
    ]
    lines = []
    for name, flags, src in variants:
        jpg = os.path.join(folder, f"{name}.jpg")
        subprocess.run(["cjpeg", "-quality", "90", *flags, "-outfile", jpg, src], check=True)
        ext = "pgm" if name == "gray" else "ppm"
        expected = os.path.join(folder, f"{name}.expected.{ext}")
        subprocess.run(["djpeg", "-pnm", "-outfile", expected, jpg], check=True)
        pillow = np.asarray(Image.open(jpg))
        with open(expected, "rb") as f:
            ours = f.read()
        print(f"jpeg {name}: Pillow agrees with djpeg: "
              f"{np.array_equal(pillow.tobytes(), ours[-pillow.size:])}")
        lines.append(f"{name}.jpg {name}.expected.{ext} {1 if name == 'gray' else 3}")
    with open(os.path.join(folder, "cases.txt"), "w") as f:
        f.write("# jpeg expected source-components (cjpeg/djpeg of Debian libjpeg-turbo-progs)\n")
        f.write("\n".join(lines) + "\n")
    Image.new("CMYK", (8, 8), (10, 20, 30, 40)).save(os.path.join(ROOT, "bad", "cmyk.jpg"), quality=90)


# ------------------------------------------------------------------------------ PFM

def make_pfm():
    """PFM in both byte orders, rows bottom to top, with inf (Middlebury 'unknown')."""
    folder = os.path.join(ROOT, "pfm")
    os.makedirs(folder, exist_ok=True)
    values = np.arange(4 * 3, dtype=np.float32).reshape(3, 4) * 1.5 - 2
    values[1, 2] = np.inf
    for name, scale, dtype in (("little", b"-1.0", "<f4"), ("big", b"1.0", ">f4")):
        with open(os.path.join(folder, f"gray_4x3_{name}.pfm"), "wb") as f:
            f.write(b"Pf\n4 3\n" + scale + b"\n" + values[::-1].astype(dtype).tobytes())
    rgb = np.arange(2 * 2 * 3, dtype=np.float32).reshape(2, 2, 3) / 4
    with open(os.path.join(folder, "rgb_2x2_little.pfm"), "wb") as f:
        f.write(b"PF\n2 2\n-1.0\n" + rgb[::-1].astype("<f4").tobytes())


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
    wide_rng = np.random.default_rng(7)  # separate stream: earlier fixtures stay as committed
    wide = {("gray", 203, 61): wide_rng.integers(0, 256, (61, 203), dtype=np.uint8),
            ("rgb", 151, 40): wide_rng.integers(0, 256, (40, 151, 3), dtype=np.uint8)}
    targets = {
        ("gray", 37, 23): [(20, 13), (50, 31), (18, 11), (74, 46), (36, 22), (1, 1), (37, 1), (5, 40)],
        ("rgb", 37, 23): [(30, 19), (64, 40), (35, 22)],
        ("gray", 64, 48): [(32, 24), (61, 46), (58, 44), (53, 40)],
        ("gray", 203, 61): [(193, 58), (184, 55), (97, 29), (250, 80), (67, 20), (40, 12)],
        ("rgb", 151, 40): [(144, 38), (137, 36), (75, 20), (30, 8)],
    }
    lines = []
    for (layout, w, h), src in list(sources.items()) + list(wide.items()):
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
    make_png(rng)
    make_jpeg(rng)
    make_pfm()


if __name__ == "__main__":
    sys.exit(main())
