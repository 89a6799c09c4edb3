import Workloads

/// AlexNet's CONV1–5 and FC6–8 as the Eyeriss papers use it: 227×227 input, CONV2, 4
/// and 5 in two groups (Chen, Emer, Sze, ISCA 2016, Table II; Krizhevsky et al. 2012).
enum AlexNetShapes {
    static func conv(_ name: String, batch: Int, C: Int, M: Int, H: Int, R: Int, stride: Int, pad: Int, groups: Int) -> OperatorShape {
        let P = LoopNest.outputExtent(input: H, filter: R, stride: stride, padBefore: pad, padAfter: pad)
        let nest = LoopNest(N: batch, M: M, C: C, H: H, W: H, P: P, Q: P, R: R, S: R, strideH: stride, strideW: stride,
                            padTop: pad, padLeft: pad, padBottom: pad, padRight: pad, groups: groups)
        return .convolution(name: name, loopNest: nest, hasBias: false, bitWidths: .fixed16)
    }

    static func convolutions(batch: Int) -> [OperatorShape] {
        [
            conv("CONV1", batch: batch, C: 3, M: 96, H: 227, R: 11, stride: 4, pad: 0, groups: 1),
            conv("CONV2", batch: batch, C: 96, M: 256, H: 27, R: 5, stride: 1, pad: 2, groups: 2),
            conv("CONV3", batch: batch, C: 256, M: 384, H: 13, R: 3, stride: 1, pad: 1, groups: 1),
            conv("CONV4", batch: batch, C: 384, M: 384, H: 13, R: 3, stride: 1, pad: 1, groups: 2),
            conv("CONV5", batch: batch, C: 384, M: 256, H: 13, R: 3, stride: 1, pad: 1, groups: 2),
        ]
    }

    static func fullyConnected(batch: Int) -> [OperatorShape] {
        [
            .fullyConnected(name: "FC6", batch: batch, inputChannels: 256, inputHeight: 6, inputWidth: 6,
                            outputFeatures: 4096, hasBias: false, bitWidths: .fixed16),
            .fullyConnected(name: "FC7", batch: batch, inputChannels: 4096, outputFeatures: 4096, hasBias: false, bitWidths: .fixed16),
            .fullyConnected(name: "FC8", batch: batch, inputChannels: 4096, outputFeatures: 1000, hasBias: false, bitWidths: .fixed16),
        ]
    }

    static func all(batch: Int) -> [OperatorShape] { convolutions(batch: batch) + fullyConnected(batch: batch) }

    /// The ISCA 2016 analysis workload (Figs. 10–11) as the original two-GPU AlexNet lays it
    /// out (Krizhevsky et al. 2012): CONV1 and CONV3 are two towers of half the filters, each
    /// reading the whole input (CONV1: 2 × 48 filters on the 3-channel image; CONV3: 2 × 192
    /// on all 256 channels); CONV2/4/5 are grouped and FC6–8 whole, as in `all`. This is how
    /// nn_dataflow, whose RS model reproduces Fig. 10 on all eight layers, defines the network
    /// (stanford-mast/nn_dataflow, `nn_dataflow/nns/alex_net.py`: `conv1_a`/`conv1_b` =
    /// `ConvLayer(3, 48, 55, 11, 4)`, `conv3_a`/`conv3_b` = `ConvLayer(256, 192, 13, 3)`).
    /// A layer's figure is the sum over its towers.
    static func towers(batch: Int) -> [(layer: String, parts: [OperatorShape])] {
        let conv1Tower = conv("CONV1", batch: batch, C: 3, M: 48, H: 227, R: 11, stride: 4, pad: 0, groups: 1)
        let conv3Tower = conv("CONV3", batch: batch, C: 256, M: 192, H: 13, R: 3, stride: 1, pad: 1, groups: 1)
        let whole = all(batch: batch)
        return whole.map { shape in
            switch shape.name {
            case "CONV1": (shape.name, [conv1Tower, conv1Tower])
            case "CONV3": (shape.name, [conv3Tower, conv3Tower])
            default: (shape.name, [shape])
            }
        }
    }
}
