#!/usr/bin/env python3
"""Helper of Scripts/bench-imaging.sh (run that script, which sets up the peers).

Makes 1080p inputs from datasets/sample/kite.jpg, then for each round times JouleBench
(`joulebench images DIR --repeats N --json`: median of N decodes / pyramid builds) and each
peer (median of N runs), and reports the median over rounds of those medians, with ratios
JouleBench / peer (< 1 means JouleBench is faster).
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np
import PIL
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_inputs(folder):
    """1080p JPEG (cjpeg q90 4:2:0), PNG (Pillow, default compression) and gray PGM."""
    src = cv2.imread(os.path.join(ROOT, "datasets", "sample", "kite.jpg"))
    big = cv2.resize(src, (1920, 1080), interpolation=cv2.INTER_CUBIC)
    paths = {}
    for name in ("jpeg", "png", "gray"):
        os.makedirs(os.path.join(folder, name))
    ppm = os.path.join(folder, "source.ppm")
    cv2.imwrite(ppm, big)
    paths["jpeg"] = os.path.join(folder, "jpeg", "bench_1080p.jpg")
    subprocess.run(["cjpeg", "-quality", "90", "-sample", "2x2", "-outfile", paths["jpeg"], ppm], check=True)
    os.remove(ppm)
    paths["png"] = os.path.join(folder, "png", "bench_1080p.png")
    Image.fromarray(big[..., ::-1]).save(paths["png"])
    paths["gray"] = os.path.join(folder, "gray", "bench_1080p_gray.pgm")
    cv2.imwrite(paths["gray"], cv2.cvtColor(big, cv2.COLOR_BGR2GRAY))
    return paths


def joulebench(binary, folder, repeats):
    out = subprocess.run([binary, "images", folder, "--json", "--repeats", str(repeats)],
                         check=True, capture_output=True, text=True).stdout
    image = json.loads(out)["images"][0]
    return {
        "decode": image["decodeMilliseconds"] / 1000,
        "octave": image["octavePyramid"]["milliseconds"] / 1000,
        "scale": image["scalePyramid"]["milliseconds"] / 1000,
        "levels": image["scalePyramid"]["levels"],
        "expansion": image["scalePyramid"]["expansion"],
    }


def tjbench_seconds(path, repeats):
    """tjbench's in-memory decompression time (RGB output, default ISLOW DCT, fancy
    upsampling), one 0.25 s measurement per repeat."""
    times = []
    for _ in range(repeats):
        out = subprocess.run(["tjbench", path, "-rgb", "-quiet", "-benchtime", "0.25", "-warmup", "0.05", "-nowrite"],
                             check=True, capture_output=True, text=True).stdout
        line = [l for l in out.splitlines() if l.startswith("RGB")][-1]
        mpixels_per_second = float(line.split()[-1])
        times.append(1920 * 1080 / 1e6 / mpixels_per_second)
    return statistics.median(times)


def djpeg_seconds(path, repeats):
    """Whole djpeg process (start-up, read, decode, PPM to /dev/null)."""
    return median_time(lambda: subprocess.run(["djpeg", "-outfile", os.devnull, path], check=True), repeats)


def octave_cv2(gray):
    level = gray
    for _ in range(4):
        level = cv2.pyrDown(level)


def scale_cv2(gray, step=1.05, min_w=64, min_h=128):
    """HOGDescriptor::detectMultiScale's level sizes; each level resized from the original."""
    h, w = gray.shape
    scale = 1.0
    for _ in range(64):
        size = (round(w / scale), round(h / scale))  # Python rounds half to even, as cvRound
        if scale > 1 and (size[0] < min_w or size[1] < min_h):
            break
        if size != (w, h):
            cv2.resize(gray, size, interpolation=cv2.INTER_LINEAR)
        if size[0] < min_w or size[1] < min_h:
            break
        scale *= step


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--joulebench", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()
    if args.repeats < 10:
        sys.exit("--repeats must be at least 10 (median of >= 10 runs)")

    folder = tempfile.mkdtemp(prefix="joulebench-bench-")
    try:
        paths = make_inputs(folder)
        gray = cv2.imread(paths["gray"], cv2.IMREAD_GRAYSCALE)
        samples = {key: [] for key in ("jb_jpeg", "jb_png", "jb_octave", "jb_scale", "tjbench", "djpeg",
                                       "pillow_png", "pillow_jpeg", "cv_octave", "cv_scale", "cv_octave_1t", "cv_scale_1t")}
        info = {}
        threads = cv2.getNumThreads()
        for round_index in range(args.rounds):
            print(f"round {round_index + 1}/{args.rounds} …", file=sys.stderr)
            jb = joulebench(args.joulebench, os.path.dirname(paths["jpeg"]), args.repeats)
            samples["jb_jpeg"].append(jb["decode"])
            samples["tjbench"].append(tjbench_seconds(paths["jpeg"], args.repeats))
            samples["djpeg"].append(djpeg_seconds(paths["jpeg"], args.repeats))
            samples["pillow_jpeg"].append(median_time(lambda: Image.open(paths["jpeg"]).load(), args.repeats))
            jb = joulebench(args.joulebench, os.path.dirname(paths["png"]), args.repeats)
            samples["jb_png"].append(jb["decode"])
            samples["pillow_png"].append(median_time(lambda: Image.open(paths["png"]).load(), args.repeats))
            jb = joulebench(args.joulebench, os.path.dirname(paths["gray"]), args.repeats)
            samples["jb_octave"].append(jb["octave"])
            samples["jb_scale"].append(jb["scale"])
            info = jb
            cv2.setNumThreads(threads)
            samples["cv_octave"].append(median_time(lambda: octave_cv2(gray), args.repeats))
            samples["cv_scale"].append(median_time(lambda: scale_cv2(gray), args.repeats))
            cv2.setNumThreads(1)
            samples["cv_octave_1t"].append(median_time(lambda: octave_cv2(gray), args.repeats))
            samples["cv_scale_1t"].append(median_time(lambda: scale_cv2(gray), args.repeats))
            cv2.setNumThreads(threads)
        m = {key: statistics.median(values) * 1000 for key, values in samples.items()}
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    rows = [
        ("1080p JPEG decode (4:2:0, q90)", m["jb_jpeg"], "tjbench (libjpeg-turbo, in memory)", m["tjbench"], 1.05),
        ("", m["jb_jpeg"], "djpeg (whole process)", m["djpeg"], None),
        ("", m["jb_jpeg"], f"Pillow {PIL.__version__} open+load", m["pillow_jpeg"], None),
        ("1080p PNG decode (RGB, Pillow-encoded)", m["jb_png"], f"Pillow {PIL.__version__} open+load", m["pillow_png"], 1.0),
        ("5-level octave pyramid, 1080p gray", m["jb_octave"], f"cv2.pyrDown ×4, {threads} threads", m["cv_octave"], 1.25),
        ("", m["jb_octave"], "cv2.pyrDown ×4, 1 thread", m["cv_octave_1t"], 1.25),
        (f"1.05-step pyramid to 64×128 ({info['levels']} levels, ×{info['expansion']:.2f} pixels)", m["jb_scale"],
         f"cv2.resize loop (INTER_LINEAR), {threads} threads", m["cv_scale"], 1.25),
        ("", m["jb_scale"], "cv2.resize loop, 1 thread", m["cv_scale_1t"], 1.25),
    ]
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    print(f"peers: OpenCV {cv2.__version__}, Pillow {PIL.__version__}, NumPy {np.__version__}; "
          f"median over {args.rounds} rounds of medians of {args.repeats} runs")
    if args.markdown:
        print("| workload | JouleBench ms | peer | peer ms | ratio | target |")
        print("|---|---:|---|---:|---:|---:|")
        for name, ours, peer, theirs, target in rows:
            verdict = "" if target is None else f"≤ {target}× " + ("✓" if ours / theirs <= target else "✗")
            print(f"| {name} | {ours:.2f} | {peer} | {theirs:.2f} | {ours / theirs:.2f} | {verdict} |")
    else:
        for name, ours, peer, theirs, target in rows:
            verdict = "" if target is None else f"  target ≤ {target}: " + ("met" if ours / theirs <= target else "NOT met")
            print(f"{name:<62} JouleBench {ours:8.2f} ms | {peer:<40} {theirs:8.2f} ms | ratio {ours / theirs:5.2f}{verdict}")


if __name__ == "__main__":
    main()
