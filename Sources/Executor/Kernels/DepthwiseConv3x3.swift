import Foundation

/// Depthwise 3×3 convolution, stride 1 or 2 (both directions equal), no dilation: the
/// MobileNet layer. Per channel plane, the input is copied into a zero-padded buffer whose
/// padding is written once per thread (only the interior changes between planes), and
/// the output is computed 16 values per SIMD16 register over the *flattened* plane: output
/// (p, q) sits at flat index i = p·pitch + q, where pitch is the padded input width (stride 1)
/// or half of it (stride 2), so one vector may span the end of one row and the start of the
/// next and no lanes are wasted on 7- or 14-wide rows. The few columns q ≥ Q per row that
/// this computes are garbage and are dropped when the rows are copied to the output.
/// For stride 2 the padded rows are stored as two planes, even rows and odd rows, so the
/// three filter rows are unit-offset planes again; the even/odd input columns of a tap come
/// from one 32-wide load (`evenHalf`/`oddHalf`). The nine taps are broadcast into registers
/// once per plane, and each output vector sums three per-row accumulators (short FMA
/// chains). Channels are split across `GEMM.threadCount` threads.
enum DepthwiseConv3x3 {
    /// `JOULEBENCH_DEPTHWISE=general` routes these layers to the general depthwise kernel
    /// instead (for A/B measurements of whole networks in one binary).
    static let enabled = ProcessInfo.processInfo.environment["JOULEBENCH_DEPTHWISE"] != "general"

    static func applies(to g: ConvGeometry) -> Bool {
        g.isDepthwise && g.outChannelsPerGroup == 1 && g.kernelHeight == 3 && g.kernelWidth == 3
            && g.dilationH == 1 && g.dilationW == 1 && g.strideH == g.strideW && (g.strideH == 1 || g.strideH == 2)
    }

    static func forward(_ g: ConvGeometry, input: UnsafePointer<Float>, filter: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        activation: FusedActivation, output: UnsafeMutablePointer<Float>) {
        precondition(applies(to: g))
        let stride = g.strideH
        let paddedH = g.height + g.padTop + g.padBottom
        // Stride 2 needs an even padded width so that pitch = paddedW / 2 is exact; the extra
        // column is zero and only garbage lanes read it.
        let paddedW = stride == 1 ? g.width + g.padLeft + g.padRight : (g.width + g.padLeft + g.padRight + 1) / 2 * 2
        let pitch = stride == 1 ? paddedW : paddedW / 2
        let flatCount = (g.outHeight - 1) * pitch + g.outWidth
        let vectors = (flatCount + 15) / 16
        let lastFlat = vectors * 16
        // Buffer sizes: every load of every vector must stay inside (zeros beyond the plane).
        let planeFloats: Int, planeCount: Int
        if stride == 1 {
            planeCount = 1
            planeFloats = max(paddedH * paddedW, 2 * paddedW + lastFlat + 2) + 16
        } else {
            planeCount = 2   // even padded rows, then odd padded rows
            planeFloats = max((paddedH + 1) / 2 * paddedW, paddedW + 2 * lastFlat + 2 + 16) + 32
        }
        let planes = g.batch * g.inChannels
        let parts = planes * g.outPixels * 9 > 1 << 15 ? GEMM.threadCount : 1
        let ranges = splitRange(planes, parts: parts, quantum: 1)
        parallelFor(ranges.count) { t in
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: planeCount * planeFloats)
            let flat = UnsafeMutablePointer<Float>.allocate(capacity: lastFlat)
            defer { padded.deallocate(); flat.deallocate() }
            padded.initialize(repeating: 0, count: planeCount * planeFloats)
            let rowBase: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>)
            if stride == 1 {
                rowBase = (UnsafePointer(padded), UnsafePointer(padded + paddedW), UnsafePointer(padded + 2 * paddedW))
            } else {
                rowBase = (UnsafePointer(padded), UnsafePointer(padded + planeFloats), UnsafePointer(padded + paddedW))
            }
            for plane in ranges[t] {
                let c = plane % g.inChannels
                let x = input + plane * g.inPixels
                for h in 0..<g.height {
                    let j = h + g.padTop
                    let target = stride == 1 ? padded + j * paddedW : padded + (j & 1) * planeFloats + (j >> 1) * paddedW
                    (target + g.padLeft).update(from: x + h * g.width, count: g.width)
                }
                let w = filter + c * 9
                let b = bias?[c] ?? 0
                if stride == 1 {
                    rowsStride1(rowBase, w, b, activation, flat, vectors)
                } else {
                    rowsStride2(rowBase, w, b, activation, flat, vectors)
                }
                let y = output + plane * g.outPixels
                for p in 0..<g.outHeight {
                    (y + p * g.outWidth).update(from: flat + p * pitch, count: g.outWidth)
                }
            }
        }
    }

    @inline(__always)
    static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func load32(_ p: UnsafePointer<Float>) -> SIMD32<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD32<Float>.self)
    }

    @inline(__always)
    static func activate(_ v: SIMD16<Float>, _ activation: FusedActivation) -> SIMD16<Float> {
        switch activation {
        case .none: return v
        case .relu: return v.replacing(with: 0, where: v .< 0)
        case .clip(let lo, let hi):
            let l = v.replacing(with: lo, where: v .< lo)
            return l.replacing(with: hi, where: l .> hi)
        }
    }

    /// flat[i] = b + Σ_r Σ_s w[r·3 + s] · row_r[i + s] for i in 0..<16·vectors.
    static func rowsStride1(_ rows: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>), _ w: UnsafePointer<Float>,
                            _ b: Float, _ activation: FusedActivation, _ flat: UnsafeMutablePointer<Float>, _ vectors: Int) {
        let w0 = SIMD16<Float>(repeating: w[0]), w1 = SIMD16<Float>(repeating: w[1]), w2 = SIMD16<Float>(repeating: w[2])
        let w3 = SIMD16<Float>(repeating: w[3]), w4 = SIMD16<Float>(repeating: w[4]), w5 = SIMD16<Float>(repeating: w[5])
        let w6 = SIMD16<Float>(repeating: w[6]), w7 = SIMD16<Float>(repeating: w[7]), w8 = SIMD16<Float>(repeating: w[8])
        let vb = SIMD16<Float>(repeating: b)
        let (r0, r1, r2) = rows
        @inline(__always) func vector(_ i: Int) -> SIMD16<Float> {
            var a0 = vb, a1 = SIMD16<Float>(), a2 = SIMD16<Float>()
            a0 = a0.addingProduct(w0, load16(r0 + i)); a1 = a1.addingProduct(w3, load16(r1 + i)); a2 = a2.addingProduct(w6, load16(r2 + i))
            a0 = a0.addingProduct(w1, load16(r0 + i + 1)); a1 = a1.addingProduct(w4, load16(r1 + i + 1)); a2 = a2.addingProduct(w7, load16(r2 + i + 1))
            a0 = a0.addingProduct(w2, load16(r0 + i + 2)); a1 = a1.addingProduct(w5, load16(r1 + i + 2)); a2 = a2.addingProduct(w8, load16(r2 + i + 2))
            return (a0 + a1) + a2
        }
        let out = UnsafeMutableRawPointer(flat)
        var v = 0
        while v + 2 <= vectors {
            let i = v * 16
            let x0 = vector(i), x1 = vector(i + 16)
            out.storeBytes(of: activate(x0, activation), toByteOffset: i * 4, as: SIMD16<Float>.self)
            out.storeBytes(of: activate(x1, activation), toByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
            v += 2
        }
        if v < vectors {
            out.storeBytes(of: activate(vector(v * 16), activation), toByteOffset: v * 64, as: SIMD16<Float>.self)
        }
    }

    /// flat[i] = b + Σ_r Σ_s w[r·3 + s] · row_r[2i + s] for i in 0..<16·vectors.
    static func rowsStride2(_ rows: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>), _ w: UnsafePointer<Float>,
                            _ b: Float, _ activation: FusedActivation, _ flat: UnsafeMutablePointer<Float>, _ vectors: Int) {
        let w0 = SIMD16<Float>(repeating: w[0]), w1 = SIMD16<Float>(repeating: w[1]), w2 = SIMD16<Float>(repeating: w[2])
        let w3 = SIMD16<Float>(repeating: w[3]), w4 = SIMD16<Float>(repeating: w[4]), w5 = SIMD16<Float>(repeating: w[5])
        let w6 = SIMD16<Float>(repeating: w[6]), w7 = SIMD16<Float>(repeating: w[7]), w8 = SIMD16<Float>(repeating: w[8])
        let vb = SIMD16<Float>(repeating: b)
        let (r0, r1, r2) = rows
        @inline(__always) func row(_ acc: SIMD16<Float>, _ p: UnsafePointer<Float>, _ wa: SIMD16<Float>, _ wb: SIMD16<Float>, _ wc: SIMD16<Float>) -> SIMD16<Float> {
            let a = load32(p), c = load32(p + 2)
            return acc.addingProduct(wa, a.evenHalf).addingProduct(wb, a.oddHalf).addingProduct(wc, c.evenHalf)
        }
        @inline(__always) func vector(_ i: Int) -> SIMD16<Float> {
            let a0 = row(vb, r0 + 2 * i, w0, w1, w2)
            let a1 = row(SIMD16<Float>(), r1 + 2 * i, w3, w4, w5)
            let a2 = row(SIMD16<Float>(), r2 + 2 * i, w6, w7, w8)
            return (a0 + a1) + a2
        }
        let out = UnsafeMutableRawPointer(flat)
        for v in 0..<vectors {
            out.storeBytes(of: activate(vector(v * 16), activation), toByteOffset: v * 64, as: SIMD16<Float>.self)
        }
    }
}
