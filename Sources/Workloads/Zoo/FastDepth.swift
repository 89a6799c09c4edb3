extension ModelZoo {
    /// FastDepth (Wofk, Ma, Yang, Karaman, Sze, ICRA 2019) before NetAdapt pruning:
    /// the MobileNetV1 encoder (224×224 → 7×7×1024) and the NNConv5 decoder — five stages
    /// of 5×5 depthwise CONV + BN + ReLU, 1×1 CONV + BN + ReLU halving the channels, then
    /// nearest-neighbour ×2 upsampling — with additive skips from encoder blocks 1, 3 and
    /// 5 into decoder stages 4, 3 and 2, and a final 1×1 CONV to one depth channel
    /// (the authors' `MobileNetSkipAdd`). Output: N×1×224×224.
    ///
    /// The published 0.37 GMACs is the pruned network, whose per-layer widths are not
    /// in REFERENCE.md; this is the architecture NetAdapt starts from (≈ 0.76 GMACs).
    static func fastDepth(batch: Int) throws -> Graph {
        var b = GraphBuilder(model: "fastdepth", shape: [batch, 3, 224, 224])
        var (x, encoder) = try mobileNetV1Encoder(&b, "input")
        let skips: [Int: String] = [2: encoder[5], 3: encoder[3], 4: encoder[1]]
        for stage in 1...5 {
            let name = "decode_conv\(stage)"
            let c = b.channels(x)
            x = try b.convBN(x, "\(name)_dw", out: c, kernel: 5, groups: c)
            x = try b.convBN(x, "\(name)_pw", out: c / 2, kernel: 1)
            x = try b.add("\(name)_upsample", .resize(mode: .nearest, scaleHeight: 2, scaleWidth: 2), [x])
            if let skip = skips[stage] {
                x = try b.add("\(name)_skip", .add, [x, skip])
            }
        }
        x = try b.convBN(x, "decode_conv6", out: 1, kernel: 1)
        return try b.build(outputs: [x], preprocessing: .imageNet)
    }
}
