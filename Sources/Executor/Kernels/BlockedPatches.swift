/// Strided convolutions as 1×1 convolutions over gathered patches ("im2col" in nChw16c).
///
/// oneDNN 2.6's direct kernel ran ResNet-50's stride-2 3×3 convolutions at 200–230 GFLOP/s
/// (the 7×7-output one at ≈ 100) where its 1×1 kernel reaches 400–470 on the same MACs
/// (docs/EXECUTOR.md, "Strided convolutions as gathered 1×1"). So a strided R×S convolution
/// over C channels becomes: gather, for every output pixel, the R·S input pixels its window
/// reads into R·S·C channels, then one 1×1 convolution with the filter rearranged to match.
/// Channels are tap-major — gathered channel (r·S + s)·C + c holds tap (r, s) of channel c —
/// so with C a multiple of 16 each 16-channel block of the gathered tensor is one 64-byte
/// block of one input pixel: the gather is whole-block copies (and zero blocks where the
/// window hangs over the padding). The MACs are exactly the direct convolution's.
enum BlockedPatches {
    /// Convolutions run this way: no groups, C a multiple of 16, no dilation, a window of
    /// 2×2 to 3×3 taps moved by a stride of 2 or more in both directions, and an output plane
    /// of at most `largestOutputPlane` pixels. Measured on ResNet-50's three stride-2 3×3s
    /// (traced layer times, quiet machine, three runs each, docs/EXECUTOR.md): 7×7 output
    /// 0.99–1.28 ms direct vs 0.81–0.82 gathered; 14×14 0.66–0.82 vs 0.68–0.73 (a wash);
    /// 28×28 0.60–0.73 vs 0.68–0.70 (the gathered tensor, 2.25× the input, costs more than
    /// oneDNN's direct kernel loses there).
    static func applies(to g: ConvGeometry) -> Bool {
        g.groups == 1 && g.inChannels % 16 == 0 && g.dilationH == 1 && g.dilationW == 1
            && g.strideH >= 2 && g.strideW >= 2 && (2...3).contains(g.kernelHeight) && (2...3).contains(g.kernelWidth)
            && g.outHeight * g.outWidth <= largestOutputPlane
    }

    /// Output pixels (P·Q) up to which gathering pays: ResNet-50's 7×7 res5 planes, not its
    /// 14×14 or 28×28 ones.
    static let largestOutputPlane = 100

    /// The 1×1 convolution over the gathered tensor [N, R·S·C, P, Q].
    static func pointwiseGeometry(of g: ConvGeometry) -> ConvGeometry {
        var p = g
        p.inChannels = g.kernelHeight * g.kernelWidth * g.inChannels
        p.height = g.outHeight; p.width = g.outWidth
        p.kernelHeight = 1; p.kernelWidth = 1
        p.strideH = 1; p.strideW = 1
        p.padTop = 0; p.padLeft = 0; p.padBottom = 0; p.padRight = 0
        return p
    }

    /// `filter` [M, C, R, S] as [M, R·S·C, 1, 1] in the gathered channel order.
    static func rearrangedFilter(_ filter: [Float], _ g: ConvGeometry) -> [Float] {
        let (m, c, taps) = (g.outChannels, g.inChannels, g.kernelHeight * g.kernelWidth)
        precondition(filter.count == m * c * taps, "filter does not match the geometry")
        var out = [Float](repeating: 0, count: filter.count)
        for f in 0..<m {
            for ch in 0..<c {
                for t in 0..<taps { out[(f * taps + t) * c + ch] = filter[(f * c + ch) * taps + t] }
            }
        }
        return out
    }

    /// Floats of the gathered tensor.
    static func gatheredFloats(_ g: ConvGeometry) -> Int {
        g.batch * g.kernelHeight * g.kernelWidth * g.inChannels * g.outHeight * g.outWidth
    }

    /// Gathers `source` (nChw16c [N, C, H, W], C a multiple of 16) into `destination`
    /// (nChw16c [N, R·S·C, P, Q], `gatheredFloats` long); taps over the padding give zeros.
    /// Both 64-byte aligned (AlignedFloats). Checked against the plain definition in tests.
    static func gather(_ g: ConvGeometry, source: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>) {
        precondition(applies(to: g), "not a gathered-patch convolution")
        let blocks = g.inChannels / 16
        let (h, w, p, q) = (g.height, g.width, g.outHeight, g.outWidth)
        let taps = g.kernelHeight * g.kernelWidth
        let src = UnsafeRawPointer(source), dst = UnsafeMutableRawPointer(destination)
        let block = MemoryLayout<SIMD16<Float>>.stride
        let zero = SIMD16<Float>(repeating: 0)
        for n in 0..<g.batch {
            for tap in 0..<taps {
                let (r, s) = (tap / g.kernelWidth, tap % g.kernelWidth)
                for cb in 0..<blocks {
                    let sourcePlane = (n * blocks + cb) * h * w
                    var out = ((n * taps + tap) * blocks + cb) * p * q * block
                    for oy in 0..<p {
                        let iy = oy * g.strideH - g.padTop + r
                        let rowInside = iy >= 0 && iy < h
                        for ox in 0..<q {
                            let ix = ox * g.strideW - g.padLeft + s
                            if rowInside && ix >= 0 && ix < w {
                                let v = src.loadUnaligned(fromByteOffset: (sourcePlane + iy * w + ix) * block, as: SIMD16<Float>.self)
                                dst.storeBytes(of: v, toByteOffset: out, as: SIMD16<Float>.self)
                            } else {
                                dst.storeBytes(of: zero, toByteOffset: out, as: SIMD16<Float>.self)
                            }
                            out += block
                        }
                    }
                }
            }
        }
    }
}
