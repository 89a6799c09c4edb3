extension ModelZoo {
    /// GoogLeNet (Inception v1), Szegedy et al., CVPR 2015, Table 1: nine inception
    /// modules, 224×224 input, one FC layer (the auxiliary classifiers are training-only
    /// and left out). Two published forms:
    ///
    /// - `caffe: false` — torchvision's `googlenet`, the form REFERENCE.md §5 sizes
    ///   (1.5 GMACs, 6.6 M parameters): batch-norm after every convolution instead of LRN,
    ///   a 3×3 convolution in the branch Table 1 calls "5×5", 2×2 max pooling before 5a;
    /// - `caffe: true` — Caffe's `bvlc_googlenet` (the ONNX `inception_v1` graph): biases
    ///   and ReLU, LRN after the stem, 5×5 branch as in the paper; 1.58 GMACs, 7.0 M
    ///   parameters.
    ///
    /// Pooling is in ceil mode in both, as in the paper's 112/56/28/14/7 feature maps.
    static func googLeNet(batch: Int, caffe: Bool) throws -> Graph {
        var b = GraphBuilder(model: caffe ? "googlenet_bvlc" : "googlenet", shape: [batch, 3, 224, 224])
        let lrn = Op.localResponseNorm(size: 5, alpha: 1e-4, beta: 0.75, bias: 1)
        let pool = Op.maxPool(PoolAttributes(kernel: 3, stride: 2, ceilMode: true))
        func unit(_ x: String, _ name: String, out: Int, kernel: Int, stride: Int = 1) throws -> String {
            if !caffe { return try b.convBN(x, name, out: out, kernel: kernel, stride: stride, epsilon: 1e-3) }
            let y = try b.conv(x, name, out: out, kernel: kernel, stride: stride, pad: kernel / 2)
            return try b.add("\(name)_relu", .relu, [y])
        }
        /// An inception module of Table 1: #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj.
        func inception(_ x: String, _ name: String, _ c1: Int, _ r3: Int, _ c3: Int, _ r5: Int, _ c5: Int, _ pp: Int) throws -> String {
            let a = try unit(x, "\(name)/1x1", out: c1, kernel: 1)
            var m = try unit(x, "\(name)/3x3_reduce", out: r3, kernel: 1)
            m = try unit(m, "\(name)/3x3", out: c3, kernel: 3)
            var f = try unit(x, "\(name)/5x5_reduce", out: r5, kernel: 1)
            f = try unit(f, "\(name)/5x5", out: c5, kernel: caffe ? 5 : 3)
            var p = try b.add("\(name)/pool", .maxPool(PoolAttributes(kernel: 3, stride: 1, pad: 1, ceilMode: true)), [x])
            p = try unit(p, "\(name)/pool_proj", out: pp, kernel: 1)
            return try b.add("\(name)/output", .concat(axis: 1), [a, m, f, p])
        }
        var x = try unit("input", "conv1/7x7_s2", out: 64, kernel: 7, stride: 2)
        x = try b.add("pool1/3x3_s2", pool, [x])
        if caffe { x = try b.add("pool1/norm1", lrn, [x]) }
        x = try unit(x, "conv2/3x3_reduce", out: 64, kernel: 1)
        x = try unit(x, "conv2/3x3", out: 192, kernel: 3)
        if caffe { x = try b.add("conv2/norm2", lrn, [x]) }
        x = try b.add("pool2/3x3_s2", pool, [x])
        x = try inception(x, "inception_3a", 64, 96, 128, 16, 32, 32)
        x = try inception(x, "inception_3b", 128, 128, 192, 32, 96, 64)
        x = try b.add("pool3/3x3_s2", pool, [x])
        x = try inception(x, "inception_4a", 192, 96, 208, 16, 48, 64)
        x = try inception(x, "inception_4b", 160, 112, 224, 24, 64, 64)
        x = try inception(x, "inception_4c", 128, 128, 256, 24, 64, 64)
        x = try inception(x, "inception_4d", 112, 144, 288, 32, 64, 64)
        x = try inception(x, "inception_4e", 256, 160, 320, 32, 128, 128)
        x = try b.add(caffe ? "pool4/3x3_s2" : "pool4/2x2_s2", caffe ? pool : .maxPool(PoolAttributes(kernel: 2, stride: 2, ceilMode: true)), [x])
        x = try inception(x, "inception_5a", 256, 160, 320, 32, 128, 128)
        x = try inception(x, "inception_5b", 384, 192, 384, 48, 128, 128)
        x = try b.add("pool5/7x7_s1", caffe ? .averagePool(PoolAttributes(kernel: 7, stride: 1)) : .globalAveragePool, [x])
        x = try b.add("flatten", .flatten(axis: 1), [x])
        x = try b.add("pool5/drop_7x7_s1", .dropout, [x])
        x = try b.fc(x, "loss3/classifier", out: 1000)
        x = try b.add("prob", .softmax(axis: 1), [x])
        return try b.build(outputs: [x], preprocessing: caffe ? .caffeBGR : .imageNet)
    }
}
