extension ModelZoo {
    /// ResNet-50 (He et al., CVPR 2016, Table 1) with the stride of each downsampling
    /// bottleneck on its 3×3 convolution ("v1.5", as torchvision and the ONNX `resnet50`
    /// graph have it), batch-norm after every convolution, projection shortcuts on the first
    /// block of each stage; 224×224 input; 4.1 GMACs and 25.6 M parameters.
    static func resNet50(batch: Int) throws -> Graph {
        var b = GraphBuilder(model: "resnet50", shape: [batch, 3, 224, 224])
        var x = try b.convBN("input", "conv1", out: 64, kernel: 7, stride: 2)
        x = try b.add("pool1", .maxPool(PoolAttributes(kernel: 3, stride: 2, pad: 1)), [x])
        let stages: [(planes: Int, blocks: Int, stride: Int)] = [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]
        for (s, stage) in stages.enumerated() {
            for block in 0..<stage.blocks {
                let name = "res\(s + 2)_\(block)"
                let stride = block == 0 ? stage.stride : 1
                var y = try b.convBN(x, "\(name)_branch2a", out: stage.planes, kernel: 1)
                y = try b.convBN(y, "\(name)_branch2b", out: stage.planes, kernel: 3, stride: stride)
                y = try b.convBN(y, "\(name)_branch2c", out: 4 * stage.planes, kernel: 1, activation: nil)
                var shortcut = x
                if block == 0 {
                    shortcut = try b.convBN(x, "\(name)_branch1", out: 4 * stage.planes, kernel: 1, stride: stride, activation: nil)
                }
                y = try b.add("\(name)_sum", .add, [y, shortcut])
                x = try b.add("\(name)_relu", .relu, [y])
            }
        }
        x = try b.add("pool5", .averagePool(PoolAttributes(kernel: 7, stride: 1)), [x])
        x = try b.add("flatten", .flatten(axis: 1), [x])
        x = try b.fc(x, "fc", out: 1000)
        x = try b.add("prob", .softmax(axis: 1), [x])
        return try b.build(outputs: [x], preprocessing: .imageNet)
    }
}
