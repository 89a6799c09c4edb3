#!/usr/bin/env bash
# Pricing speed: JouleBench's analytic energy model vs nn_dataflow's mapping search, in one run.
#
#   Scripts/bench-energy.sh            # JouleBench on 4 networks x 5 dataflows, nn_dataflow on AlexNet
#   NND_RUNS=3 Scripts/bench-energy.sh # more runs of the (slow) exhaustive nn_dataflow search
#   Scripts/bench-energy.sh --peer-oracles
#                                      # only nn_dataflow on the Eyeriss oracles (about 2 min):
#                                      # ISCA 2016 Fig. 10 per layer and the chip's Table V
#                                      # latency/power, as docs/ENERGY.md quotes them
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
VENV=Scripts/.venv
nnd_venv() {
  if [[ ! -x "$VENV/bin/python" ]]; then python3 -m venv "$VENV"; fi
  "$VENV/bin/pip" install -q "nn-dataflow==2.1" "sympy==1.5.1"
}

if [[ "${1:-}" == --peer-oracles ]]; then
  # nn_dataflow's own oracle settings (nn_dataflow/tests/dataflow_test/test_nn_dataflow.py:
  # test_eyeriss_isca16 and test_eyeriss_isscc16), exhaustive search, printed per layer.
  nnd_venv
  "$VENV/bin/python" - <<'PY'
from nn_dataflow.core import (Cost, MapStrategyEyeriss, MemHierEnum as me, NodeRegion,
                              NNDataflow, Option, PhyDim2, Resource)
from nn_dataflow.nns import import_network

net = import_network('alex_net')
dram = NodeRegion(origin=PhyDim2(0, 0), dim=PhyDim2(1, 1), type=NodeRegion.DRAM)
def resource(array, gbuf, regf):
    return Resource(proc_region=NodeRegion(origin=PhyDim2(0, 0), dim=PhyDim2(1, 1), type=NodeRegion.PROC),
                    dram_region=dram, src_data_region=dram, dst_data_region=dram,
                    dim_array=PhyDim2(*array), size_gbuf=gbuf, size_regf=regf,
                    array_bus_width=float('inf'), dram_bandwidth=float('inf'), no_time_mux=False)
def parts(layer):
    return [name for name in net if name and name.startswith(layer)]

# ISCA 2016 Fig. 10: 16x16 PEs, 128 kB buffer, 512 B RF, costs 1/200/6/2/1, batch 16.
cost = Cost(mac_op=1, mem_hier=(200, 6, 2, 1), noc_hop=0, idl_unit=0)
sched = NNDataflow(net, 16, resource((16, 16), 128 * 1024 // 2, 512 // 2), cost,
                   MapStrategyEyeriss).schedule_search(Option())[0][0]
print('| layer (nn_dataflow, Fig. 10 setting) | ALU | DRAM | RF | DRAM words per tower: filters / ifmaps / ofmaps (M) |')
print('|---|---|---|---|---|')
for layer in ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'fc1', 'fc2', 'fc3']:
    rs = [sched[name] for name in parts(layer)]
    alu = sum(r.total_ops for r in rs) / 1e9
    acc = [sum(r.total_accesses[level] for r in rs) for level in range(me.NUM)]
    words = ' / '.join('%.2f' % (w / 1e6) for w in rs[0].scheme['access'][me.DRAM])
    print('| %s (%d part%s) | %.2f | %.3f | %.2f | %s |' % (layer, len(rs), 's' if len(rs) > 1 else '', alu,
          acc[me.DRAM] * 200 / 1e9, acc[me.REGF] / 1e9, words))

# JSSC 2017 Table V: 12x14 PEs, 108 kB buffer, 261-word RF, its pJ costs, 30 mW static, batch 4.
cost = Cost(mac_op=2e-12, mem_hier=(460e-12, 15e-12, 4e-12, 1e-12), noc_hop=0, idl_unit=30e-3 / 200e6)
sched = NNDataflow(net, 4, resource((12, 14), 108 * 1024 // 2, 261), cost,
                   MapStrategyEyeriss).schedule_search(Option())[0][0]
chip = {'conv1': (332, 16.5), 'conv2': (288, 39.2), 'conv3': (266, 21.8), 'conv4': (235, 16.0), 'conv5': (236, 10.0)}
print()
print('| layer (nn_dataflow, chip setting) | latency ms (x chip) | on-chip power mW (x chip) | mean active PEs |')
print('|---|---|---|---|')
for layer, (power_mw, latency_ms) in chip.items():
    rs = [sched[name] for name in parts(layer)]
    cycles = sum(r.total_time for r in rs)
    onchip = sum(r.total_cost - r.total_accesses[me.DRAM] * cost.mem_hier[me.DRAM] for r in rs)
    ms, mw = cycles / 200e3, onchip / (cycles / 200e6) * 1e3
    print('| %s | %.2f (%.3f) | %.0f (%.3f) | %.1f |' % (layer, ms, ms / latency_ms, mw, mw / power_mw,
          sum(r.total_ops for r in rs) / cycles))
PY
  exit 0
fi

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
nnd_venv
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
