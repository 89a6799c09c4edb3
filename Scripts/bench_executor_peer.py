#!/usr/bin/env python3
"""The onnxruntime side of Scripts/bench-executor.sh.

  build vgg16|mobilenet_v2 OUT.onnx   write the graph of the JouleBench zoo model of that name
                                      (same layers and shapes; batch-norm already folded into
                                      conv biases, as both runtimes fold it anyway; seeded
                                      He-normal weights)
  compare MODEL.onnx VALUES.txt       largest difference of the first output on the synthetic input
                                      between JouleBench (VALUES.txt) and onnxruntime, relative
                                      to onnxruntime's largest magnitude
  reference MODEL.onnx OUT.json EVERY [TENSOR] onnxruntime's first output on the synthetic input (every
                                      EVERY-th value) for the executor's real-weight test
  time MODEL.onnx RUNS                onnxruntime CPU provider, 2 intra-op threads,
                                      WARM_UP_RUNS untimed runs, then one line per run: milliseconds
  serve MODEL.onnx                    one onnxruntime run per line read on stdin, its milliseconds
                                      written back (after "ready")
  drive GAP_MS RUNS COMMAND...        start COMMAND (this script's `serve` or `executor-bench
                                      serve MODEL`), then every GAP_MS hand it a line (a frame)
                                      and print the milliseconds it answers, one line per run
  profile MODEL.onnx RUNS             onnxruntime's own per-node profile (enable_profiling):
                                      per operator type and per node, the median over RUNS
                                      runs of the kernel time in ms, one line each
                                      ("type OP MS COUNT" / "node NAME OP MS"), largest first
"""
import sys
import time

import numpy as np


def build(name, path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    nodes, inits = [], []
    counter = [0]

    def fresh(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def weight(shape, fan_in, prefix):
        n = fresh(prefix)
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32), n))
        return n

    def bias(count, prefix):
        n = fresh(prefix)
        inits.append(numpy_helper.from_array(np.full(count, 0.01, np.float32), n))
        return n

    def conv(x, cin, cout, k, stride=1, pad=None, groups=1, act="relu"):
        pad = k // 2 if pad is None else pad
        w = weight((cout, cin // groups, k, k), cin // groups * k * k, "w")
        y = fresh("conv")
        nodes.append(helper.make_node("Conv", [x, w, bias(cout, "b")], [y], kernel_shape=[k, k], strides=[stride, stride],
                                      pads=[pad] * 4, group=groups))
        if act == "relu":
            z = fresh("relu"); nodes.append(helper.make_node("Relu", [y], [z])); return z
        if act == "relu6":
            lo, hi = fresh("c"), fresh("c")
            inits.append(numpy_helper.from_array(np.array(0, np.float32), lo))
            inits.append(numpy_helper.from_array(np.array(6, np.float32), hi))
            z = fresh("relu6"); nodes.append(helper.make_node("Clip", [y, lo, hi], [z])); return z
        return y

    def fc(x, cin, cout, relu):
        y = fresh("fc")
        nodes.append(helper.make_node("Gemm", [x, weight((cout, cin), cin, "fcw"), bias(cout, "fcb")], [y], transB=1))
        if relu:
            z = fresh("relu"); nodes.append(helper.make_node("Relu", [y], [z])); return z
        return y

    x = "input"
    if name == "vgg16":
        c = 3
        for channels, convs in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
            for _ in range(convs):
                x = conv(x, c, channels, 3); c = channels
            y = fresh("pool"); nodes.append(helper.make_node("MaxPool", [x], [y], kernel_shape=[2, 2], strides=[2, 2])); x = y
        y = fresh("flat"); nodes.append(helper.make_node("Flatten", [x], [y], axis=1)); x = y
        x = fc(x, 25088, 4096, True); x = fc(x, 4096, 4096, True); x = fc(x, 4096, 1000, False)
    elif name == "mobilenet_v2":
        x = conv(x, 3, 32, 3, stride=2, act="relu6"); c = 32
        for t, cout, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
            for i in range(n):
                stride = s if i == 0 else 1
                hidden = c * t
                y = x
                if t != 1:
                    y = conv(y, c, hidden, 1, act="relu6")
                y = conv(y, hidden, hidden, 3, stride=stride, groups=hidden, act="relu6")
                y = conv(y, hidden, cout, 1, act=None)
                if stride == 1 and c == cout:
                    z = fresh("add"); nodes.append(helper.make_node("Add", [x, y], [z])); y = z
                x = y; c = cout
        x = conv(x, 320, 1280, 1, act="relu6")
        y = fresh("gap"); nodes.append(helper.make_node("GlobalAveragePool", [x], [y])); x = y
        y = fresh("flat"); nodes.append(helper.make_node("Flatten", [x], [y], axis=1)); x = y
        x = fc(x, 1280, 1000, False)
    else:
        sys.exit(f"unknown model {name}")
    nodes.append(helper.make_node("Softmax", [x], ["prob"], axis=1))
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 224, 224])],
                              [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 1000])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)


def session_and_input(path, profile=False):
    import onnxruntime as ort

    ort.set_default_logger_severity(3)  # no warnings about unused initializers
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.enable_profiling = profile
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    inp = session.get_inputs()[0]
    shape = [d if isinstance(d, int) and d > 0 else (1 if i == 0 else 224) for i, d in enumerate(inp.shape)]
    count = int(np.prod(shape))
    # The same smooth pattern as executor-bench's synthetic input.
    x = (np.sin(np.arange(count, dtype=np.float64) * 0.001) * 2).astype(np.float32).reshape(shape)
    return session, {inp.name: x}


def reference(path, out_json, every, tensor=None):
    """onnxruntime's first output (or an intermediate tensor) on the synthetic input, every
    `every`-th value, as JSON: the oracle of ExecutorTests' real-weight test."""
    import json
    session, feed = session_and_input(exposing(path, tensor))
    values = session.run(None, feed)[0].astype(np.float32).ravel()
    with open(out_json, "w") as f:
        json.dump({"model": path.split("/")[-1], "tensor": tensor, "every": every, "count": int(values.size),
                   "values": [float(v) for v in values[::every]]}, f, indent=1)


# Untimed runs before the timed ones, the same on both sides (executor-bench's WARM_UP_RUNS):
# onnxruntime's first run after one warm-up was still ~25 % slower than its steady state
# (3.66-3.74 ms against 2.8-3.1 for MobileNetV2), which with 3-run blocks favoured JouleBench.
WARM_UP_RUNS = 3


def time_model(path, runs):
    session, feed = session_and_input(path)
    for _ in range(WARM_UP_RUNS):
        session.run(None, feed)
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feed)
        print(f"{(time.perf_counter() - start) * 1e3:.3f}", flush=True)


def serve(path):
    """onnxruntime's side of `drive`: one run per line read on stdin, its milliseconds written back."""
    session, feed = session_and_input(path)
    for _ in range(WARM_UP_RUNS):
        session.run(None, feed)
    print("ready", flush=True)
    for _ in sys.stdin:
        start = time.perf_counter()
        session.run(None, feed)
        print(f"{(time.perf_counter() - start) * 1e3:.3f}", flush=True)


def drive(gap_ms, runs, command):
    """Frames handed over by another process: starts `command` (a `serve` of either runtime),
    waits for "ready", then every `gap_ms` writes one line to its stdin and prints the
    milliseconds it answers. The pass starts when a write from this process wakes the
    server's thread, as a camera process would wake an inference process."""
    import subprocess
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    try:
        if child.stdout.readline().strip() != "ready":
            raise SystemExit(f"{' '.join(command)} did not start")
        for _ in range(runs):
            time.sleep(gap_ms / 1e3)
            child.stdin.write("run\n")
            child.stdin.flush()
            line = child.stdout.readline()
            if not line:
                raise SystemExit(f"{' '.join(command)} stopped")
            print(line.strip(), flush=True)
    finally:
        child.stdin.close()
        child.wait()


def profile_model(path, runs):
    """Per-node kernel times from onnxruntime's JSON profile (one warm-up run excluded)."""
    import json, os, statistics
    session, feed = session_and_input(path, profile=True)
    for _ in range(runs + 1):
        session.run(None, feed)
    trace_file = session.end_profiling()
    with open(trace_file) as f:
        events = json.load(f)
    os.remove(trace_file)
    per_node = {}
    for e in events:
        if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time"):
            name = e["name"][: -len("_kernel_time")]
            per_node.setdefault(name, (e["args"].get("op_name", "?"), []))[1].append(e["dur"] / 1e3)
    nodes = []
    for name, (op, times) in per_node.items():
        times = times[-runs:]  # drop the warm-up
        nodes.append((statistics.median(times), name, op))
    by_type = {}
    for ms, _, op in nodes:
        total, count = by_type.get(op, (0.0, 0))
        by_type[op] = (total + ms, count + 1)
    for op, (ms, count) in sorted(by_type.items(), key=lambda kv: -kv[1][0]):
        print(f"type {op} {ms:.3f} {count}")
    for ms, name, op in sorted(nodes, reverse=True):
        print(f"node {name} {op} {ms:.3f}")


def exposing(path, tensor):
    """`path`, or a temporary copy whose first output is the intermediate `tensor`."""
    if not tensor:
        return path
    import onnx, tempfile
    model = onnx.load(path)
    model.graph.output.insert(0, onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None))
    out = tempfile.mktemp(suffix=".onnx")
    onnx.save(model, out)
    return out


def compare(path, ours_file, tensor=None):
    """Largest |JouleBench − onnxruntime| of the first output (or of an intermediate
    tensor), relative to max |onnxruntime|."""
    session, feed = session_and_input(exposing(path, tensor))
    theirs = session.run(None, feed)[0].astype(np.float64).ravel()
    ours = np.loadtxt(ours_file, dtype=np.float64).ravel()
    if ours.shape != theirs.shape:
        sys.exit(f"output sizes differ: JouleBench {ours.size}, onnxruntime {theirs.size}")
    absolute = np.abs(ours - theirs).max()
    print(f"relative {absolute / max(np.abs(theirs).max(), 1e-30):.2e} absolute {absolute:.2e}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "build":
        build(sys.argv[2], sys.argv[3])
    elif len(sys.argv) in (5, 6) and sys.argv[1] == "reference":
        reference(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] if len(sys.argv) == 6 else None)
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) == 5 else None)
    elif len(sys.argv) == 4 and sys.argv[1] == "profile":
        profile_model(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif len(sys.argv) >= 5 and sys.argv[1] == "drive":
        drive(float(sys.argv[2]), int(sys.argv[3]), sys.argv[4:])
    elif len(sys.argv) == 4 and sys.argv[1] == "time":
        time_model(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
