extension ModelZoo {
    /// AlexNet as Krizhevsky et al. (NIPS 2012) trained it on two GPUs and as Eyeriss
    /// measured it (Chen et al., ISSCC 2016; JSSC 2017): 227×227 input, CONV2/4/5 in two
    /// groups, local response normalisation after CONV1 and CONV2. Layer order and
    /// hyper-parameters are Caffe's `bvlc_alexnet` (ReLU before LRN; LRN size 5,
    /// α 10⁻⁴, β 0.75, k 1); 0.72 GMACs and 61.0 M parameters.
    static func alexNet(batch: Int) throws -> Graph {
        var b = GraphBuilder(model: "alexnet", input: "data", shape: [batch, 3, 227, 227])
        let lrn = Op.localResponseNorm(size: 5, alpha: 1e-4, beta: 0.75, bias: 1)
        let pool = Op.maxPool(PoolAttributes(kernel: 3, stride: 2))
        var x = try b.conv("data", "conv1", out: 96, kernel: 11, stride: 4)
        x = try b.add("relu1", .relu, [x])
        x = try b.add("norm1", lrn, [x])
        x = try b.add("pool1", pool, [x])
        x = try b.conv(x, "conv2", out: 256, kernel: 5, pad: 2, groups: 2)
        x = try b.add("relu2", .relu, [x])
        x = try b.add("norm2", lrn, [x])
        x = try b.add("pool2", pool, [x])
        x = try b.conv(x, "conv3", out: 384, kernel: 3, pad: 1)
        x = try b.add("relu3", .relu, [x])
        x = try b.conv(x, "conv4", out: 384, kernel: 3, pad: 1, groups: 2)
        x = try b.add("relu4", .relu, [x])
        x = try b.conv(x, "conv5", out: 256, kernel: 3, pad: 1, groups: 2)
        x = try b.add("relu5", .relu, [x])
        x = try b.add("pool5", pool, [x])
        x = try b.alexNetStyleClassifier(x)
        return try b.build(outputs: [x], preprocessing: .caffeBGR)
    }
}

extension Preprocessing {
    /// Caffe's ImageNet preparation: BGR order, 0–255 range minus the per-channel mean
    /// (104, 117, 123), written in this struct's [0, 1] terms (mean/255, std 1/255).
    public static let caffeBGR = Preprocessing(
        mean: [104 / 255, 117 / 255, 123 / 255], std: [1 / 255, 1 / 255, 1 / 255], channelOrder: "BGR")
}
