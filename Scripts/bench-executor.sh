#!/usr/bin/env bash
# Executor performance (issue 3), JouleBench against onnxruntime in the same run:
#   1. the machine's measured FP32 FMA peak (1 and 2 threads);
#   2. SGEMM GFLOP/s on conv-like shapes: Debian's OpenBLAS (SkylakeX kernels forced, and
#      the kernel the environment picks) vs the executor's own SIMD16 kernel;
#   3. batch-1 latency, 2 threads, median of RUNS (default 11, rounded up to a multiple of 4: four alternating blocks) per side, with ratios, for
#      AlexNet, VGG-16, GoogLeNet, ResNet-50 and MobileNetV2 (onnxruntime CPU provider);
#      JouleBench runs its default backend (GEMMBackend.preferred), then oneDNN explicitly;
#      then frame by frame (another process hands over a frame every 10 ms), pinned and unpinned;
#   4. the depthwise 3×3 kernel against the general depthwise kernel (MobileNetV2 shapes);
#      oneDNN (nChw16c) against SIMD16 on convolution layers of the five models;
#      oneDNN's inner product against the SIMD16 GEMM on their fully-connected layers;
#      the backends end to end (simd, oneDNN, hybrid, OpenBLAS) on the five models;
#   5. GFLOP/s per layer class and for the large CONV layers, against the peak;
#   6. peak RSS of a VGG-16 forward pass vs its weights plus its two largest activations.
# Equivalent graphs: AlexNet, GoogLeNet and ResNet-50 are the same ONNX files on both sides
# (the onnx package's architecture-only test models, copied into the repo's Workloads
# fixtures); VGG-16 and MobileNetV2 are the zoo graphs, which the peer rebuilds layer for
# layer with onnx.helper (Scripts/bench_executor_peer.py).
# Usage: Scripts/bench-executor.sh [RUNS]      Results go to docs/EXECUTOR.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-11}
quarter=$(( (runs + 3) / 4 ))
# The tables describe JouleBench's own OpenMP settings (spin count chosen by pinning, its own
# pinning); a wait policy, spin count or binding left in the environment would change them.
for v in GOMP_SPINCOUNT OMP_WAIT_POLICY OMP_PROC_BIND OMP_PLACES GOMP_CPU_AFFINITY JOULEBENCH_PIN_THREADS; do
  if [ -n "${!v+set}" ]; then echo "note: $v=${!v} unset for this benchmark" >&2; unset "$v"; fi
done

Scripts/setup.sh
venv=Scripts/.venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import onnxruntime, onnx, numpy" 2>/dev/null || "$venv/bin/pip" install -q onnxruntime onnx numpy
py="$venv/bin/python"

swift build -c release --product executor-bench >&2
bench=.build/release/executor-bench

cache="$venv/executor-models"
mkdir -p "$cache"
fixtures=Tests/WorkloadsTests/Fixtures
for f in light_bvlc_alexnet light_inception_v1 light_resnet50; do cp -f "$fixtures/$f.onnx" "$cache/"; done
for m in vgg16 mobilenet_v2; do
  [ -s "$cache/$m.onnx" ] || "$py" Scripts/bench_executor_peer.py build "$m" "$cache/$m.onnx"
done

echo "## Machine"
echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) vCPU; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $(swift --version 2>/dev/null | head -1); onnxruntime $("$py" -c 'import onnxruntime; print(onnxruntime.__version__)')"
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); command: Scripts/bench-executor.sh $runs"
echo
echo "## FP32 peak (pure FMA loop, best of 9, GFLOP/s)"
$bench peak | while read -r _ threads rate; do echo "- $threads thread(s): $rate"; done
peak2=$($bench peak | awk '$2 == 2 { print $3 }')
echo
echo "## SGEMM, 2 threads, median of 10 (GFLOP/s)"
echo "### OpenBLAS with OPENBLAS_CORETYPE=SkylakeX"
OPENBLAS_CORETYPE=SkylakeX $bench gemm 10
# The executor upgrades an unset or Haswell core type to SkylakeX on AVX-512 CPUs (it sets it
# before it dlopens OpenBLAS); Zen selects the same AVX2 kernels Haswell does.
echo "### OpenBLAS with OPENBLAS_CORETYPE=Zen (the AVX2 kernels)"
OPENBLAS_CORETYPE=Zen $bench gemm 10
echo

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# NAME:OURS:THEIRS — what JouleBench runs (a zoo name or an ONNX file) and what onnxruntime runs.
pairs=("alexnet:$cache/light_bvlc_alexnet.onnx:$cache/light_bvlc_alexnet.onnx"
       "vgg16:vgg16:$cache/vgg16.onnx"
       "googlenet:$cache/light_inception_v1.onnx:$cache/light_inception_v1.onnx"
       "resnet50:$cache/light_resnet50.onnx:$cache/light_resnet50.onnx"
       "mobilenet_v2:mobilenet_v2:$cache/mobilenet_v2.onnx")

echo "## Batch-1 latency, 2 threads, median of $((4 * quarter)) runs each, 4 alternating blocks, each process after 3 untimed runs (ms)"
default=$(env -u JOULEBENCH_GEMM $bench backend | awk '$1 == "default" { print $2 }')
echo "JouleBench: $(env -u JOULEBENCH_GEMM $bench backend | tr '\n' ';')"
echo "| model | JouleBench runs | onnxruntime runs | JouleBench ms (default) | JouleBench ms (oneDNN) | onnxruntime ms | ratio JB/ORT (default) | ratio JB/ORT (oneDNN) |"
echo "|---|---|---|---:|---:|---:|---:|---:|"
for pair in "${pairs[@]}"; do
  IFS=: read -r name ours theirs <<< "$pair"
  jb=$(mktemp); dn=$(mktemp); ort=$(mktemp)
  # Four alternating blocks per side, so all see the same load (the order rotates).
  for block in 1 2 3 4; do
    if [ $((block % 2)) -eq 1 ]; then
      env -u JOULEBENCH_GEMM $bench latency "$ours" "$quarter" >> "$jb"
      JOULEBENCH_GEMM=onednn $bench latency "$ours" "$quarter" >> "$dn"
      "$py" Scripts/bench_executor_peer.py time "$theirs" "$quarter" >> "$ort"
    else
      "$py" Scripts/bench_executor_peer.py time "$theirs" "$quarter" >> "$ort"
      JOULEBENCH_GEMM=onednn $bench latency "$ours" "$quarter" >> "$dn"
      env -u JOULEBENCH_GEMM $bench latency "$ours" "$quarter" >> "$jb"
    fi
  done 2>/dev/null
  a=$(median < "$jb"); d=$(median < "$dn"); b=$(median < "$ort")
  echo "| $name | $(basename "$ours") | $(basename "$theirs") | $a | $d | $b | $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }') | $(awk -v a="$d" -v b="$b" 'BEGIN { printf "%.2f", a / b }') |"
  rm -f "$jb" "$dn" "$ort"
done
echo

echo "## Frame by frame: batch-1 latency when another process hands over each frame, 10 ms apart, 2 threads, median of $((4 * quarter)) runs each, 4 alternating blocks, each process after 3 untimed runs (ms)"
echo "Each runtime serves passes in its own process; a driver process (bench_executor_peer.py drive) writes it a line every 10 ms and reads the time back, so the threads sleep between frames and the pass starts from a wake-up by another process. \"unpinned\" is JOULEBENCH_PIN_THREADS=0 at the same spin count, GOMP_SPINCOUNT=3000 (docs/EXECUTOR.md, \"Pinned team\"); its 75th percentile shows passes whose two threads shared one core."
echo "| model | JouleBench | JouleBench unpinned | JouleBench unpinned, 75th percentile | onnxruntime | ratio JB/ORT | unpinned/pinned |"
echo "|---|---:|---:|---:|---:|---:|---:|"
p75() { sort -n | awk '{ v[NR] = $1 } END { i = int(NR * 3 / 4 + 0.5); if (i < 1) i = 1; print v[i] }'; }
drive() { "$py" Scripts/bench_executor_peer.py drive 10 "$quarter" "$@"; }
# interleave MODEL PREFIX BLOCKS NAME:SETTINGS…: `latency MODEL $quarter` under each NAME's
# environment settings (space-separated assignments), the names in turn, the order reversed
# every other block; the times go to $venv/PREFIX-NAME (emptied first).
interleave() {
  local model=$1 prefix=$2 blocks=$3 block i; shift 3
  local specs=("$@")
  for spec in "${specs[@]}"; do : > "$venv/$prefix-${spec%%:*}"; done
  for block in $(seq "$blocks"); do
    for i in $(if [ $((block % 2)) -eq 1 ]; then seq 0 $(( ${#specs[@]} - 1 )); else seq $(( ${#specs[@]} - 1 )) -1 0; fi); do
      # shellcheck disable=SC2086  # the settings are separate assignments
      env -u JOULEBENCH_GEMM ${specs[$i]#*:} $bench latency "$model" "$quarter" 2>/dev/null >> "$venv/$prefix-${specs[$i]%%:*}"
    done
  done
}
for pair in "${pairs[@]}"; do
  IFS=: read -r name ours theirs <<< "$pair"
  jb=$(mktemp); un=$(mktemp); ort=$(mktemp)
  for block in 1 2 3 4; do
    if [ $((block % 2)) -eq 1 ]; then
      drive "$bench" serve "$ours" >> "$jb"
      JOULEBENCH_PIN_THREADS=0 GOMP_SPINCOUNT=3000 drive "$bench" serve "$ours" >> "$un"
      drive "$py" Scripts/bench_executor_peer.py serve "$theirs" >> "$ort"
    else
      drive "$py" Scripts/bench_executor_peer.py serve "$theirs" >> "$ort"
      JOULEBENCH_PIN_THREADS=0 GOMP_SPINCOUNT=3000 drive "$bench" serve "$ours" >> "$un"
      drive "$bench" serve "$ours" >> "$jb"
    fi
  done 2>/dev/null
  a=$(median < "$jb"); u=$(median < "$un"); u75=$(p75 < "$un"); b=$(median < "$ort")
  echo "| $name | $a | $u | $u75 | $b | $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }') | $(awk -v a="$a" -v u="$u" 'BEGIN { printf "%.2f", u / a }') |"
  rm -f "$jb" "$un" "$ort"
done
echo

echo "## The oneDNN backend's switches, A/B: batch-1 latency (ms), median of $((4 * quarter)) runs each, 4 interleaved blocks, same binary"
echo "Each column turns one thing off (or back to session 2): patches = strided 3×3 convolutions as 1×1 over gathered patches;"
echo "fuse = residual adds fused into their convolution in untraced runs; spin = GOMP_SPINCOUNT (3000 by default; 1000, the short spin used when pinning is switched off, for comparison);"
echo "pin = the team pinned to distinct CPUs during a pass (off at the same spin count; back to back here; the frame-by-frame table above is where it matters);"
echo "dw = depthwise 3×3 convolutions fused into the 1×1 before them in untraced runs, where oneDNN JITs the pair;"
echo "gemv = batch-1 fully-connected layers on the shim's own GEMV (off: oneDNN's inner product)."
echo "| model | default | JOULEBENCH_ONEDNN_PATCHES=0 | JOULEBENCH_ONEDNN_FUSE=0 | GOMP_SPINCOUNT=1000 | JOULEBENCH_PIN_THREADS=0 GOMP_SPINCOUNT=3000 | JOULEBENCH_ONEDNN_FUSE_DW=0 | JOULEBENCH_ONEDNN_GEMV=0 | patches off / default | fuse off / default | spin 1000 / default | pin off / default | dw off / default | gemv off / default |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for model in "$cache/light_bvlc_alexnet.onnx" "$cache/light_resnet50.onnx" mobilenet_v2 "$cache/light_inception_v1.onnx"; do
  interleave "$model" ab 4 "default:JOULEBENCH_UNUSED=0" "patches:JOULEBENCH_ONEDNN_PATCHES=0" "fuse:JOULEBENCH_ONEDNN_FUSE=0" \
    "spin:GOMP_SPINCOUNT=1000" "pin:JOULEBENCH_PIN_THREADS=0 GOMP_SPINCOUNT=3000" "dw:JOULEBENCH_ONEDNN_FUSE_DW=0" "gemv:JOULEBENCH_ONEDNN_GEMV=0"
  a=$(median < "$venv/ab-default"); p=$(median < "$venv/ab-patches"); f=$(median < "$venv/ab-fuse"); w=$(median < "$venv/ab-spin"); n=$(median < "$venv/ab-pin"); v=$(median < "$venv/ab-dw"); g=$(median < "$venv/ab-gemv")
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b / a }'; }
  echo "| $(basename "$model") | $a | $p | $f | $w | $n | $v | $g | $(ratio "$a" "$p") | $(ratio "$a" "$f") | $(ratio "$a" "$w") | $(ratio "$a" "$n") | $(ratio "$a" "$v") | $(ratio "$a" "$g") |"
done
echo

echo "## Under load: batch-1 latency (ms) with a busy loop on every CPU, median of $((2 * quarter)) runs each, 2 interleaved blocks"
echo "The spin count (GOMP_SPINCOUNT) is chosen by pinning (cdnnl.c): a thread that spins while its partner waits for the same core"
echo "costs that partner a time slice, so a long spin is safe only when the team's threads are pinned to distinct CPUs."
echo "| model | default (pinned, spin 3000) | pinned, spin 1000 | JOULEBENCH_PIN_THREADS=0 (unpinned, spin 1000) | unpinned, spin 3000 (avoided) |"
echo "|---|---:|---:|---:|---:|"
busy_pids=()
stop_busy() {
  if [ ${#busy_pids[@]} -gt 0 ]; then kill "${busy_pids[@]}" 2>/dev/null || true; wait "${busy_pids[@]}" 2>/dev/null || true; fi
  busy_pids=()
}
trap stop_busy EXIT
for _ in $(seq "$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)"); do sh -c 'while :; do :; done' & busy_pids+=($!); done
for model in mobilenet_v2 "$cache/light_resnet50.onnx"; do
  interleave "$model" load 2 "a:JOULEBENCH_UNUSED=0" "b:GOMP_SPINCOUNT=1000" "c:JOULEBENCH_PIN_THREADS=0" "d:JOULEBENCH_PIN_THREADS=0 GOMP_SPINCOUNT=3000"
  echo "| $(basename "$model") | $(median < "$venv/load-a") | $(median < "$venv/load-b") | $(median < "$venv/load-c") | $(median < "$venv/load-d") |"
done
stop_busy
echo

echo "## Depthwise 3×3 on MobileNetV2 shapes: general kernel vs DepthwiseConv3x3 (ReLU6 fused, alternating, median of 21)"
$bench depthwise 21
echo

echo "## Convolution layers: SIMD16 (as a session prepares it) vs oneDNN (nChw16c in and out, filter reordered once), alternating, median of 21"
$bench onednn 21
echo
echo "## Fully-connected layers: SIMD16 GEMM vs the session's kernel (batch 1: the shim's GEMV; batch 8: oneDNN) vs oneDNN's inner product (ReLU fused, alternating, median of 21; cold: 64 MB touched before each call)"
$bench fc 21
echo

echo "## Backends end to end: batch-1 latency (ms), median of $((4 * quarter)) runs each, 4 interleaved blocks (order reversed every other block), same binary"
echo "| model | SIMD16 | oneDNN | hybrid (SIMD16 + OpenBLAS SkylakeX) | OpenBLAS SkylakeX | oneDNN/SIMD16 | hybrid/SIMD16 | OpenBLAS/SIMD16 |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for model in "$cache/light_bvlc_alexnet.onnx" vgg16 "$cache/light_inception_v1.onnx" "$cache/light_resnet50.onnx" mobilenet_v2; do
  interleave "$model" e2e 4 "simd:JOULEBENCH_GEMM=simd" "onednn:JOULEBENCH_GEMM=onednn" "hybrid:JOULEBENCH_GEMM=hybrid" "openblas:JOULEBENCH_GEMM=openblas"
  a=$(median < "$venv/e2e-simd"); d=$(median < "$venv/e2e-onednn"); h=$(median < "$venv/e2e-hybrid"); b=$(median < "$venv/e2e-openblas")
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
  echo "| $(basename "$model") | $a | $d | $h | $b | $(ratio "$a" "$d") | $(ratio "$a" "$h") | $(ratio "$a" "$b") |"
done
echo

backends=$default; [ "$default" = oneDNN ] || backends="$default oneDNN"
for backend in $backends; do
echo "## GFLOP/s per layer class, backend $backend (traced passes, median over uncontended ones; FLOPs = 2 × direct-convolution MACs, so a layer oneDNN runs by Winograd shows an effective rate that can exceed the peak)"
echo "Each pass is bracketed by a short 2-thread FMA peak; a pass counts as uncontended when both are within 10 % of the best peak seen (a co-tenant on the host's sibling hyperthreads halves the FMA peak within seconds). % of peak is against that best peak; the start-of-run peak was $peak2."
for model in vgg16 resnet50 mobilenet_v2; do
  echo "### $model"
  JOULEBENCH_GEMM=$backend $bench layers "$model" 5 > "$cache/layers.txt"
  read -r _ passes _ clean _ best < <(grep '^passes' "$cache/layers.txt")
  echo "- $passes passes, $clean uncontended; best 2-thread peak $best GFLOP/s"
  echo
  echo "| class | operators | ms | GFLOP/s | % of peak |"
  echo "|---|---:|---:|---:|---:|"
  awk -v peak="$best" '$1 == "class" { pct = ($5 == "-") ? "-" : sprintf("%.0f", 100 * $5 / peak); print "| " $2 " | " $3 " | " $4 " | " $5 " | " pct " |" }' "$cache/layers.txt"
  if grep -q '^large' "$cache/layers.txt"; then
    echo
    echo "\"alone\": the same step run by itself, back to back, its filter and input as warm as the caches allow (KernelBenchmark.isolatedConvolutionSeconds); the gap to \"in the network\" is mostly weights streamed from memory."
    echo
    echo "| large CONV (≥ 100 MMAC) | MACs | ms | GFLOP/s | % of peak | alone GFLOP/s | alone % of peak |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    awk -v peak="$best" '$1 == "large" { alone = ($6 == "-") ? "-" : sprintf("%.0f", 100 * $6 / peak); printf "| %s | %d | %s | %s | %.0f | %s | %s |\n", $2, $3, $4, $5, 100 * $5 / peak, $6, alone }' "$cache/layers.txt"
    awk -v peak="$best" '$1 == "large" { n++; if (100 * $5 / peak >= 60) k++; if ($6 != "-" && 100 * $6 / peak >= 60) a++ } END { printf "\n- %d of %d large CONV layers at ≥ 60 %% of the peak in the network; %d of %d alone\n", k, n, a, n }' "$cache/layers.txt"
  fi
  echo
done
done

for backend in $backends; do
echo "## Peak resident memory of one VGG-16 forward pass, backend $backend"
read -r _ _ weights _ acts _ rss _ before < <(JOULEBENCH_GEMM=$backend $bench memory vgg16)
awk -v w="$weights" -v a="$acts" -v r="$rss" -v b="$before" 'BEGIN {
  printf "- weights %.1f MB, two largest activations %.1f MB, sum %.1f MB\n", w / 1e6, a / 1e6, (w + a) / 1e6
  printf "- peak RSS %.1f MB (%.1f MB before loading) = %.2f × (weights + two largest activations); target ≤ 1.5×\n", r / 1e6, b / 1e6, r / (w + a)
}'
done
