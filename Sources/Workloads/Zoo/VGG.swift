extension ModelZoo {
    /// VGG-16, configuration D of Simonyan & Zisserman (ICLR 2015, Table 1): thirteen 3×3
    /// CONV layers (padding 1) in five blocks with 2×2 max pooling, three FC layers;
    /// 224×224 input; 15.5 GMACs and 138.4 M parameters.
    static func vgg16(batch: Int) throws -> Graph {
        var b = GraphBuilder(model: "vgg16", shape: [batch, 3, 224, 224])
        var x = "input"
        let blocks: [(channels: Int, convs: Int)] = [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]
        for (blockIndex, block) in blocks.enumerated() {
            for conv in 1...block.convs {
                let name = "conv\(blockIndex + 1)_\(conv)"
                x = try b.conv(x, name, out: block.channels, kernel: 3, pad: 1)
                x = try b.add("relu\(blockIndex + 1)_\(conv)", .relu, [x])
            }
            x = try b.add("pool\(blockIndex + 1)", .maxPool(PoolAttributes(kernel: 2, stride: 2)), [x])
        }
        x = try b.alexNetStyleClassifier(x)
        return try b.build(outputs: [x], preprocessing: .imageNet)
    }
}
