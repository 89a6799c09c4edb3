#!/usr/bin/env bash
# Pricing speed: JouleBench's analytic energy model vs nn_dataflow's mapping search, in one run.
#
#   Scripts/bench-energy.sh            # JouleBench on 4 networks x 5 dataflows, nn_dataflow on AlexNet
#   NND_RUNS=3 Scripts/bench-energy.sh # more runs of the (slow) exhaustive nn_dataflow search
#
# Setting (both tools): ISCA 2016's analysis array (preset eyeriss-isca2016), 16x16 PEs, 512 B RF per PE, 128 kB global
# buffer, costs MAC 1 / RF 1 / array 2 / buffer 6 / DRAM 200, batch 16.
# JouleBench: `joulebench price MODEL --benchmark 20` prices the whole network 20 times in
# process and prints the median. nn_dataflow 2.1 (PyPI, pinned with the sympy it was written
# for) runs its search on AlexNet (exhaustive loop blocking, its default, NND_RUNS times, and
# with --solve-loopblocking 5 times); its own "elapsed" field is the search time.
# Results go in docs/ENERGY.md ("Pricing speed").
set -euo pipefail
cd "$(dirname "$0")/.."

NND_RUNS="${NND_RUNS:-1}"
RUNS=20
swift build -c release --product joulebench >/dev/null
BIN="$(swift build -c release --show-bin-path)/joulebench"

SPEC=eyeriss-isca2016   # the preset of that setting

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| model | operators | dataflow | JouleBench median (ms, $RUNS runs) |"
echo "|---|---|---|---|"
ALEX_MS=""
for model in alexnet vgg16 googlenet resnet50; do
  for df in rs ws os is nlr; do
    line="$("$BIN" price "$model" --arch "$SPEC" --dataflow "$df" --batch 16 --benchmark "$RUNS")"
    ms="$(sed -E 's/.*median ([0-9.]+) ms.*/\1/' <<<"$line")"
    ops="$(awk '{print $2}' <<<"$line")"
    echo "| $model | $ops | $df | $ms |"
    if [[ "$model" == alexnet && "$df" == rs ]]; then ALEX_MS="$ms"; fi
  done
done

# The peer: nn_dataflow in a venv of its own.
VENV=Scripts/.venv
if [[ ! -x "$VENV/bin/python" ]]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install -q "nn-dataflow==2.1" "sympy==1.5.1"
NND_ARGS=(alex_net --batch 16 --nodes 1 1 --array 16 16 --regf 512 --gbuf 131072
          --op-cost 1 --hier-cost 200 6 2 1 --hop-cost 0 --unit-idle-cost 0 -p 1)
elapsed() { "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["elapsed"])'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
exhaustive="$(for _ in $(seq "$NND_RUNS"); do "$VENV/bin/python" -m nn_dataflow.tools.nn_dataflow_search "${NND_ARGS[@]}" | elapsed; done | median)"
solver="$(for _ in $(seq 5); do "$VENV/bin/python" -m nn_dataflow.tools.nn_dataflow_search "${NND_ARGS[@]}" --solve-loopblocking | elapsed; done | median)"
echo
echo "| AlexNet, batch 16, 256 PEs | median time | ratio to JouleBench (rs) |"
echo "|---|---|---|"
echo "| JouleBench \`price --dataflow rs\` | $ALEX_MS ms | 1 |"
awk -v s="$exhaustive" -v j="$ALEX_MS" -v n="$NND_RUNS" 'BEGIN { printf "| nn_dataflow 2.1, exhaustive loop blocking (%d run) | %.1f s | %.0fx |\n", n, s, s * 1000 / j }'
awk -v s="$solver" -v j="$ALEX_MS" 'BEGIN { printf "| nn_dataflow 2.1, --solve-loopblocking (5 runs) | %.2f s | %.0fx |\n", s, s * 1000 / j }'
