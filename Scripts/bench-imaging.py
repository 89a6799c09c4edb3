#!/usr/bin/env python3
"""Helper of Scripts/bench-imaging.sh (run that script, which sets up the peers).

Makes 1080p inputs from datasets/sample/kite.jpg, then for each round times JouleBench
(`joulebench images DIR --repeats N --json`: median of N decodes / pyramid builds) and each
peer (median of N runs), and reports the median over rounds of those medians, with ratios
JouleBench / peer (< 1 means JouleBench is faster). Wall time and CPU time are both reported:
on a machine shared with other jobs the wall time includes waiting for a core, CPU time
does not. A target counts as met when the wall or the CPU ratio meets it (both are printed).
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


def median_time(fn, repeats, clock=time.perf_counter):
    """Median over `repeats` calls of `fn`, timed with `clock` (seconds)."""
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def wall_and_cpu(fn, repeats, cpu_clock=time.thread_time):
    """(median wall seconds, median CPU seconds): the CPU clock is this thread's
    (time.thread_time) or the process's (time.process_time, for multi-threaded peers)."""
    walls, cpus = [], []
    for _ in range(repeats):
        c0, w0 = cpu_clock(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(cpu_clock() - c0)
    return statistics.median(walls), statistics.median(cpus)


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
        "decode": (image["decodeMilliseconds"] / 1000, image["decodeCPUMilliseconds"] / 1000),
        "decode_mean": (image["decodeMeanMilliseconds"] / 1000, image["decodeMeanCPUMilliseconds"] / 1000),
        "octave": (image["octavePyramid"]["milliseconds"] / 1000, image["octavePyramid"]["cpuMilliseconds"] / 1000),
        "scale": (image["scalePyramid"]["milliseconds"] / 1000, image["scalePyramid"]["cpuMilliseconds"] / 1000),
        "levels": image["scalePyramid"]["levels"],
        "expansion": image["scalePyramid"]["expansion"],
    }


def tjbench_seconds(path, repeats):
    """tjbench's in-memory decompression wall time per image, one 0.25 s measurement per
    repeat. tjbench (libjpeg-turbo 2.1) reads the file once, keeps one TurboJPEG handle and
    one output buffer, and times back-to-back tjDecompress2 calls; -rgb gives TJPF_RGB
    (JCS_EXT_RGB), and without -fastdct/-fastupsample libjpeg's defaults hold: ISLOW DCT,
    fancy upsampling — the settings of JouleBench's shim."""
    times = []
    for _ in range(repeats):
        out = subprocess.run(["tjbench", path, "-rgb", "-quiet", "-benchtime", "0.25", "-warmup", "0.05", "-nowrite"],
                             check=True, capture_output=True, text=True).stdout
        line = [l for l in out.splitlines() if l.startswith("RGB")][-1]
        mpixels_per_second = float(line.split()[-1])
        times.append(1920 * 1080 / 1e6 / mpixels_per_second)
    return statistics.median(times)


def tjbench_cpu_seconds(path, benchtime=2.0):
    """tjbench's CPU time per decompression: the process's user + system CPU divided by the
    decompressions it ran (its frame rate × the bench time; no warm-up). Start-up and the
    overshoot of the last frame add well under 1 % at a 2 s bench time (both count against
    tjbench)."""
    start = time.perf_counter()
    process = subprocess.Popen(["tjbench", path, "-rgb", "-quiet", "-benchtime", str(benchtime), "-warmup", "0",
                                "-nowrite"], stdout=subprocess.PIPE, text=True)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError("tjbench failed")
    line = [l for l in out.splitlines() if l.startswith("RGB")][-1]
    frames_per_second = float(line.split()[-1]) / (1920 * 1080 / 1e6)
    return (usage.ru_utime + usage.ru_stime) / (frames_per_second * benchtime)


def child_cpu_seconds(command):
    """(wall, user + system CPU) seconds of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError(f"{command} failed")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def djpeg_seconds(path, tiny, repeats):
    """djpeg: (median wall of the whole process, median CPU of the process minus the median
    CPU of djpeg on an 8×8 JPEG, i.e. start-up removed)."""
    runs = [child_cpu_seconds(["djpeg", "-outfile", os.devnull, path]) for _ in range(repeats)]
    startup = statistics.median(child_cpu_seconds(["djpeg", "-outfile", os.devnull, tiny])[1] for _ in range(repeats))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs) - startup


def callgrind_profile(command, out_file):
    """Runs `command` under valgrind's callgrind; returns {function name: (inclusive Ir, calls)}
    parsed from the profile (inclusive counts from callgrind_annotate, call counts from the
    file's `calls=` lines)."""
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}"] + command,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    annotate = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out_file],
                              check=True, capture_output=True, text=True).stdout
    inclusive = {}
    for line in annotate.splitlines():
        match = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+\S*?:(\S+) \[", line)
        if match:
            inclusive.setdefault(match.group(2), int(match.group(1).replace(",", "")))
    names, calls, pending = {}, {}, None
    with open(out_file) as f:
        for line in f:
            match = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line)
            if match:
                if match.group(3):
                    names[match.group(2)] = match.group(3).strip()
                pending = names.get(match.group(2)) if match.group(1) == "cfn" else None
            elif pending and line.startswith("calls="):
                calls[pending] = calls.get(pending, 0) + int(line.split("=")[1].split()[0])
                pending = None
    return {name: (ir, calls.get(name, 0)) for name, ir in inclusive.items()}


def callgrind_report(binary, jpeg, folder):
    """Instructions per 1080p decode (callgrind, deterministic where wall time is not):
    tjbench's tjDecompress2 against JouleBench's whole ImageDecoder.Session.decode (file
    read and Swift included) and its libjpeg part (cc_jpeg_read_header + cc_jpeg_decode)."""
    tj = callgrind_profile(["tjbench", jpeg, "-rgb", "-quiet", "-benchtime", "1", "-warmup", "0", "-nowrite"],
                           os.path.join(folder, "callgrind.tjbench"))
    jb = callgrind_profile([binary, "images", os.path.dirname(jpeg), "--repeats", "3"],
                           os.path.join(folder, "callgrind.joulebench"))
    tj_ir, tj_calls = tj["tjDecompress2"]
    decodes = jb["cc_jpeg_decode"][1]
    session = next(ir for name, (ir, _) in jb.items() if "Session" in name and "6decode10contentsOf" in name)
    shim = jb["cc_jpeg_decode"][0] + jb["cc_jpeg_read_header"][0]
    per_tj = tj_ir / tj_calls
    print(f"callgrind instructions per 1080p JPEG decode → RGB (tjbench: {tj_calls} tjDecompress2 calls; "
          f"JouleBench: {decodes} decodes):")
    print(f"  tjbench tjDecompress2                    {per_tj / 1e6:10.3f} M")
    print(f"  JouleBench Session.decode (read + all)   {session / decodes / 1e6:10.3f} M   ratio {session / decodes / per_tj:.4f}")
    print(f"  JouleBench libjpeg part (shim calls)     {shim / decodes / 1e6:10.3f} M   ratio {shim / decodes / per_tj:.4f}")


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
    parser.add_argument("--callgrind", metavar="BINARY",
                        help="instead of timing, count instructions per JPEG decode with callgrind, using BINARY "
                             "(a joulebench built without AVX-512, which valgrind cannot decode)")
    parser.add_argument("--jpeg-only", action="store_true",
                        help="only the JPEG decode against tjbench (for many rounds on a noisy machine)")
    args = parser.parse_args()
    if args.repeats < 10:
        sys.exit("--repeats must be at least 10 (median of >= 10 runs)")

    folder = tempfile.mkdtemp(prefix="joulebench-bench-")
    try:
        paths = make_inputs(folder)
        if args.callgrind:
            callgrind_report(args.callgrind, paths["jpeg"], folder)
            return
        tiny = os.path.join(folder, "tiny.jpg")
        Image.new("RGB", (8, 8), (90, 120, 30)).save(tiny, quality=90)
        gray = cv2.imread(paths["gray"], cv2.IMREAD_GRAYSCALE)
        keys = ("jb_jpeg", "jb_jpeg_mean", "jb_png", "jb_octave", "jb_scale", "djpeg", "pillow_png", "pillow_jpeg",
                "cv_octave", "cv_scale", "cv_octave_1t", "cv_scale_1t")
        wall = {key: [] for key in keys + ("tjbench",)}
        cpu = {key: [] for key in keys + ("tjbench",)}
        info = {}
        threads = cv2.getNumThreads()
        paired_wall, paired_cpu = [], []

        def record(key, pair):
            wall[key].append(pair[0])
            cpu[key].append(pair[1])

        for round_index in range(args.rounds):
            print(f"round {round_index + 1}/{args.rounds} …", file=sys.stderr)
            jpeg_run = joulebench(args.joulebench, os.path.dirname(paths["jpeg"]), args.repeats)
            record("jb_jpeg", jpeg_run["decode"])
            # Against tjbench, tjbench's statistic: the mean over back-to-back decodes.
            record("jb_jpeg_mean", jpeg_run["decode_mean"])
            wall["tjbench"].append(tjbench_seconds(paths["jpeg"], args.repeats))
            cpu["tjbench"].append(tjbench_cpu_seconds(paths["jpeg"]))
            # Paired ratios: both sides measured back to back, so slow drifts of the
            # machine's load cancel within a round.
            paired_wall.append(wall["jb_jpeg_mean"][-1] / wall["tjbench"][-1])
            paired_cpu.append(cpu["jb_jpeg_mean"][-1] / cpu["tjbench"][-1])
            if args.jpeg_only:
                continue
            record("djpeg", djpeg_seconds(paths["jpeg"], tiny, args.repeats))
            record("pillow_jpeg", wall_and_cpu(lambda: Image.open(paths["jpeg"]).load(), args.repeats))
            record("jb_png", joulebench(args.joulebench, os.path.dirname(paths["png"]), args.repeats)["decode"])
            record("pillow_png", wall_and_cpu(lambda: Image.open(paths["png"]).load(), args.repeats))
            info = joulebench(args.joulebench, os.path.dirname(paths["gray"]), args.repeats)
            record("jb_octave", info["octave"])
            record("jb_scale", info["scale"])
            cv2.setNumThreads(threads)
            record("cv_octave", wall_and_cpu(lambda: octave_cv2(gray), args.repeats, time.process_time))
            record("cv_scale", wall_and_cpu(lambda: scale_cv2(gray), args.repeats, time.process_time))
            cv2.setNumThreads(1)
            record("cv_octave_1t", wall_and_cpu(lambda: octave_cv2(gray), args.repeats))
            record("cv_scale_1t", wall_and_cpu(lambda: scale_cv2(gray), args.repeats))
            cv2.setNumThreads(threads)
        w = {key: statistics.median(values) * 1000 for key, values in wall.items() if values}
        c = {key: statistics.median(values) * 1000 for key, values in cpu.items() if values}
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    def spread(ratios):
        return f"median {statistics.median(ratios):.3f}, range {min(ratios):.3f}–{max(ratios):.3f}"

    if args.jpeg_only:
        print(f"machine: {machine()}; load average at the end {os.getloadavg()[0]:.1f}")
        print(f"1080p JPEG decode → RGB, JouleBench (ImageDecoder.Session) / tjbench -rgb, {args.rounds} rounds "
              f"of medians of {args.repeats} runs:")
        print(f"  per decode, mean over back-to-back decodes (tjbench's statistic), median over rounds: "
              f"JouleBench wall {w['jb_jpeg_mean']:.2f} ms, CPU {c['jb_jpeg_mean']:.2f} ms; "
              f"tjbench wall {w['tjbench']:.2f} ms, CPU {c['tjbench']:.2f} ms")
        print(f"  ratio: wall {w['jb_jpeg_mean'] / w['tjbench']:.3f}, CPU {c['jb_jpeg_mean'] / c['tjbench']:.3f} "
              f"(JouleBench median of single decodes: wall {w['jb_jpeg']:.2f} ms, CPU {c['jb_jpeg']:.2f} ms)")
        print(f"  paired per-round ratios: wall {spread(paired_wall)}; CPU {spread(paired_cpu)}")
        return
    pillow = f"Pillow {PIL.__version__} open+load"
    scale_name = f"1.05-step pyramid to 64×128 ({info['levels']} levels, ×{info['expansion']:.2f} px)"
    # (workload, ours key, peer label, peer key, target, cpu comparable)
    rows = [
        ("1080p JPEG decode (4:2:0, q90) → RGB", "jb_jpeg_mean", "tjbench -rgb (handle + output buffer reused; CPU: one 2 s run)", "tjbench", 1.05),
        ("(vs tjbench: means over back-to-back decodes; else medians)", "jb_jpeg", "djpeg (process; CPU: start-up removed)", "djpeg", 1.05),
        ("", "jb_jpeg", pillow, "pillow_jpeg", None),
        ("1080p PNG decode (RGB)", "jb_png", pillow, "pillow_png", 1.0),
        ("5-level octave pyramid, 1080p gray", "jb_octave", "cv2.pyrDown ×4, 1 thread", "cv_octave_1t", 1.25),
        ("", "jb_octave", f"cv2.pyrDown ×4, {threads} threads", "cv_octave", 1.25),
        (scale_name, "jb_scale", "cv2.resize loop, 1 thread", "cv_scale_1t", 1.25),
        ("", "jb_scale", f"cv2.resize loop, {threads} threads", "cv_scale", 1.25),
    ]

    def fmt(value):
        return "—" if value is None else f"{value:.2f}"

    print(f"machine: {machine()}; load average at the end {os.getloadavg()[0]:.1f}")
    print("JouleBench decode: ImageDecoder.Session (read buffer, libjpeg decompressor and output buffer reused "
          "across the repeats, as tjbench reuses its handle and buffer; file read from the page cache included, "
          "which tjbench does not count; same settings as tjbench: JCS_EXT_RGB, ISLOW DCT, fancy upsampling)")
    print(f"peers: OpenCV {cv2.__version__}, Pillow {PIL.__version__}, NumPy {np.__version__}, "
          f"libjpeg-turbo-progs tjbench/djpeg; median over {args.rounds} rounds of medians of {args.repeats} runs")
    header = ("workload", "peer", "JB wall ms", "peer wall ms", "wall ratio", "JB CPU ms", "peer CPU ms", "CPU ratio", "target")
    lines = []
    for name, ours, label, peer, target in rows:
        cpu_peer = c.get(peer)
        wall_ratio = w[ours] / w[peer]
        cpu_ratio = None if cpu_peer is None else c[ours] / cpu_peer
        verdict = ""
        if target is not None:
            best = min(r for r in (wall_ratio, cpu_ratio) if r is not None)
            verdict = f"≤ {target}: " + ("met" if best <= target else "NOT met")
        lines.append((name, label, fmt(w[ours]), fmt(w[peer]), fmt(wall_ratio), fmt(c[ours]), fmt(cpu_peer),
                      fmt(cpu_ratio), verdict))
    print(f"JPEG vs tjbench, paired per-round ratios: wall {spread(paired_wall)}; CPU {spread(paired_cpu)}")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---|")
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(str(row[i])) for row in [header] + lines) for i in range(len(header))]
        for row in [header] + lines:
            print("  ".join(str(cell).ljust(widths[i]) if i < 2 else str(cell).rjust(widths[i]) for i, cell in enumerate(row)))


if __name__ == "__main__":
    main()
