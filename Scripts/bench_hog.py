"""HOG agreement and speed: JouleBench's `detect` against OpenCV's detectMultiScale.

Agreement (sample images with people, datasets/sample): OpenCV's defaults on the BGR image
cv2.imread returns; JouleBench `detect --json` on the same file. Every OpenCV box must have a
JouleBench box with IoU >= 0.5 and vice versa (greedy one-to-one matching by IoU), and
matched scores must agree within 0.05.

Speed: detectMultiScale at 640x480 (basketball1.png) and 1920x1080 (kite.jpg resized with
cv2.INTER_LINEAR and written as PNG to a temporary folder), 2 threads each, decoding
excluded on both sides (JouleBench reports per-run detection times with --repeat). The
two sides alternate in rounds on the same machine; medians of all runs and the ratio
JouleBench / OpenCV are printed (target <= 0.7).
"""
import argparse, json, os, platform, statistics, subprocess, sys, tempfile, time

import cv2
import numpy as np

PEOPLE = ["person.jpg", "kite.jpg", "basketball1.png", "basketball2.png",
          "vtest_frame000.jpg", "vtest_frame200.jpg", "vtest_frame400.jpg"]
SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "datasets", "sample")


def iou(a, b):
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def match(ours, theirs):
    """Greedy one-to-one matching by IoU; returns pairs (i, j, iou)."""
    pairs = sorted(((iou(o, t), i, j) for i, o in enumerate(ours) for j, t in enumerate(theirs)), reverse=True)
    used_o, used_t, out = set(), set(), []
    for v, i, j in pairs:
        if v < 0.5 or i in used_o or j in used_t:
            continue
        used_o.add(i); used_t.add(j); out.append((i, j, v))
    return out


def joulebench(binary, image, *extra):
    out = subprocess.run([binary, "detect", image, "--json", *extra], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def agreement(binary, hog, padding):
    print("## Agreement with OpenCV %s (scale 1.05, stride 8, padding %d, hit threshold 0, groupRectangles 2 / 0.2)" % (cv2.__version__, padding))
    print()
    print("| image | size | OpenCV boxes | JouleBench boxes | matched (IoU >= 0.5) | min IoU | max score diff | verdict |")
    print("|---|---|---|---|---|---|---|---|")
    all_ok = True
    for name in PEOPLE:
        path = os.path.join(SAMPLE, name)
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        rects, weights = hog.detectMultiScale(img, padding=(padding, padding))
        theirs = [list(map(int, r)) + [float(w)] for r, w in zip(rects, np.ravel(weights))]
        ours = [[d["x"], d["y"], d["width"], d["height"], d["score"]] for d in joulebench(binary, path, "--padding", str(padding))["detections"]]
        pairs = match(ours, theirs)
        diff = max((abs(ours[i][4] - theirs[j][4]) for i, j, _ in pairs), default=0.0)
        min_iou = min((v for _, _, v in pairs), default=float("nan"))
        ok = len(pairs) == len(ours) == len(theirs) and diff <= 0.05
        all_ok &= ok
        print("| %s | %dx%d | %d | %d | %d | %.3f | %.4f | %s |" % (
            name, img.shape[1], img.shape[0], len(theirs), len(ours), len(pairs), min_iou, diff, "ok" if ok else "MISMATCH"))
    print()
    return all_ok


def speed(binary, hog, runs):
    cv2.setNumThreads(2)
    tmp = tempfile.mkdtemp(prefix="bench-hog-")
    kite = cv2.imread(os.path.join(SAMPLE, "kite.jpg"), cv2.IMREAD_COLOR)
    big = os.path.join(tmp, "kite_1920x1080.png")
    cv2.imwrite(big, cv2.resize(kite, (1920, 1080), interpolation=cv2.INTER_LINEAR))
    cases = [("640x480", os.path.join(SAMPLE, "basketball1.png")), ("1920x1080", big)]
    print("## Speed: detectMultiScale, 2 threads, decoding excluded, median of %d runs per side" % (2 * ((runs + 1) // 2)))
    print()
    print("| size | image | OpenCV median (ms) | JouleBench median (ms) | ratio JouleBench / OpenCV |")
    print("|---|---|---|---|---|")
    ratios = []
    for label, path in cases:
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        hog.detectMultiScale(img)  # warm-up
        joulebench(binary, path)
        cv_times, jb_times = [], []
        per_round = (runs + 1) // 2
        for _ in range(2):  # alternate the two sides in rounds
            for _ in range(per_round):
                t = time.perf_counter(); hog.detectMultiScale(img); cv_times.append(time.perf_counter() - t)
            jb_times += joulebench(binary, path, "--threads", "2", "--repeat", str(per_round))["wallTimesSeconds"]
        cv_ms, jb_ms = statistics.median(cv_times) * 1e3, statistics.median(jb_times) * 1e3
        ratios.append(jb_ms / cv_ms)
        print("| %s | %s | %.1f | %.1f | %.2f |" % (label, os.path.basename(path), cv_ms, jb_ms, jb_ms / cv_ms))
    print()
    return ratios


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--joulebench", required=True)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    if args.runs < 5:
        sys.exit("--runs must be at least 5")
    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    cpu = "unknown"
    try:
        cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]
    except Exception:
        pass
    print("Machine: %s, %d logical CPUs, %s; Python %s, OpenCV %s; load average %s" % (
        cpu, os.cpu_count(), platform.platform(), platform.python_version(), cv2.__version__,
        " ".join("%.2f" % v for v in os.getloadavg())))
    print()
    ok = agreement(args.joulebench, hog, 0)
    ok &= agreement(args.joulebench, hog, 8)
    ratios = speed(args.joulebench, hog, args.runs)
    print("agreement: %s; speed ratios: %s (target <= 0.70)" % (
        "all images agree" if ok else "MISMATCH", ", ".join("%.2f" % r for r in ratios)))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
