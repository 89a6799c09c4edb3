extension ModelZoo {
    /// The thirteen depthwise-separable blocks of MobileNetV1 (Howard et al., 2017,
    /// Table 1) after its 3×3/2 stem: (output channels, depthwise stride).
    static let mobileNetV1Blocks: [(channels: Int, stride: Int)] = [
        (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
        (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
    ]

    /// MobileNetV1 (width 1.0, 224×224) up to its last block, as `conv0` … `conv13`, each
    /// depthwise-separable block a 3×3 depthwise CONV + BN + ReLU then a 1×1 CONV + BN +
    /// ReLU. Returns the output tensor and the outputs of every block (index 0 = stem).
    static func mobileNetV1Encoder(_ b: inout GraphBuilder, _ input: String, kernelDepthwise: Int = 3) throws -> (String, [String]) {
        var x = try b.convBN(input, "conv0", out: 32, kernel: 3, stride: 2)
        var blockOutputs = [x]
        for (i, block) in mobileNetV1Blocks.enumerated() {
            let name = "conv\(i + 1)"
            x = try b.convBN(x, "\(name)_dw", out: b.channels(x), kernel: 3, stride: block.stride, groups: b.channels(x))
            x = try b.convBN(x, "\(name)_pw", out: block.channels, kernel: 1)
            blockOutputs.append(x)
        }
        return (x, blockOutputs)
    }

    /// MobileNetV1 (Howard et al., arXiv 1704.04861, Table 1), width 1.0, 224×224:
    /// 0.57 GMACs and 4.2 M parameters.
    static func mobileNetV1(batch: Int) throws -> Graph {
        var b = GraphBuilder(model: "mobilenet_v1", shape: [batch, 3, 224, 224])
        var (x, _) = try mobileNetV1Encoder(&b, "input")
        x = try b.add("pool", .globalAveragePool, [x])
        x = try b.add("flatten", .flatten(axis: 1), [x])
        x = try b.fc(x, "fc", out: 1000)
        x = try b.add("prob", .softmax(axis: 1), [x])
        return try b.build(outputs: [x], preprocessing: .imageNet)
    }

    /// MobileNetV2 (Sandler et al., CVPR 2018, Table 2), width 1.0, 224×224, as
    /// torchvision builds it: inverted residual bottlenecks with ReLU6, linear
    /// projections, residual adds where stride is 1 and widths match; 0.30 GMACs and
    /// 3.5 M parameters.
    static func mobileNetV2(batch: Int) throws -> Graph {
        var b = GraphBuilder(model: "mobilenet_v2", shape: [batch, 3, 224, 224])
        var x = try b.convBN("input", "conv0", out: 32, kernel: 3, stride: 2, activation: .relu6)
        // Table 2: expansion t, output channels c, repeats n, first stride s.
        let settings: [(t: Int, c: Int, n: Int, s: Int)] = [
            (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
        ]
        var index = 0
        for setting in settings {
            for repeatIndex in 0..<setting.n {
                index += 1
                let name = "block\(index)"
                let stride = repeatIndex == 0 ? setting.s : 1
                let inputChannels = b.channels(x)
                let hidden = inputChannels * setting.t
                var y = x
                if setting.t != 1 {
                    y = try b.convBN(y, "\(name)_expand", out: hidden, kernel: 1, activation: .relu6)
                }
                y = try b.convBN(y, "\(name)_dw", out: hidden, kernel: 3, stride: stride, groups: hidden, activation: .relu6)
                y = try b.convBN(y, "\(name)_project", out: setting.c, kernel: 1, activation: nil)
                if stride == 1 && inputChannels == setting.c {
                    y = try b.add("\(name)_add", .add, [x, y])
                }
                x = y
            }
        }
        x = try b.convBN(x, "conv_last", out: 1280, kernel: 1, activation: .relu6)
        x = try b.add("pool", .globalAveragePool, [x])
        x = try b.add("flatten", .flatten(axis: 1), [x])
        x = try b.add("dropout", .dropout, [x])
        x = try b.fc(x, "fc", out: 1000)
        x = try b.add("prob", .softmax(axis: 1), [x])
        return try b.build(outputs: [x], preprocessing: .imageNet)
    }
}
