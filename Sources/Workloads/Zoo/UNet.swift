extension ModelZoo {
    /// U-Net (Ronneberger, Fischer, Brox, MICCAI 2015, Fig. 1) for semantic segmentation:
    /// four down steps of two 3×3 CONV + ReLU then 2×2 max pooling (64 → 1024 channels),
    /// four up steps of a 2×2 stride-2 transposed CONV halving the channels, concatenation
    /// with the encoder's features, and two 3×3 CONV + ReLU; a 1×1 CONV to two classes.
    /// Unlike the paper's unpadded convolutions (572×572 in, 388×388 out, with cropping),
    /// the convolutions are padded, as in most re-implementations, so a 256×256 RGB frame
    /// gives a 256×256 label map. About 31.0 M parameters.
    static func uNet(batch: Int) throws -> Graph {
        var b = GraphBuilder(model: "unet", shape: [batch, 3, 256, 256])
        func doubleConv(_ x: String, _ name: String, out: Int) throws -> String {
            var y = try b.conv(x, "\(name)_conv1", out: out, kernel: 3, pad: 1)
            y = try b.add("\(name)_relu1", .relu, [y])
            y = try b.conv(y, "\(name)_conv2", out: out, kernel: 3, pad: 1)
            return try b.add("\(name)_relu2", .relu, [y])
        }
        var x = "input"
        var skips: [String] = []
        for (level, width) in [64, 128, 256, 512].enumerated() {
            x = try doubleConv(x, "down\(level + 1)", out: width)
            skips.append(x)
            x = try b.add("down\(level + 1)_pool", .maxPool(PoolAttributes(kernel: 2, stride: 2)), [x])
        }
        x = try doubleConv(x, "bottom", out: 1024)
        for (level, width) in [512, 256, 128, 64].enumerated() {
            x = try b.convTranspose(x, "up\(level + 1)_upconv", out: width, kernel: 2, stride: 2)
            x = try b.add("up\(level + 1)_concat", .concat(axis: 1), [skips[3 - level], x])
            x = try doubleConv(x, "up\(level + 1)", out: width)
        }
        x = try b.conv(x, "classifier", out: 2, kernel: 1)
        return try b.build(outputs: [x], preprocessing: .unit)
    }
}
