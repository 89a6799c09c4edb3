import Workloads

/// Kernels that move words without (much) arithmetic: concat, resize, transpose, pad.
enum DataMovementKernel {
    /// Concatenates `parts` (each [outer, extent_i · inner]) along the axis into `out`.
    static func concat(_ parts: [(pointer: UnsafePointer<Float>, chunk: Int)], outer: Int, out: UnsafeMutablePointer<Float>) {
        let total = parts.reduce(0) { $0 + $1.chunk }
        for o in 0..<outer {
            var offset = o * total
            for part in parts {
                (out + offset).update(from: part.pointer + o * part.chunk, count: part.chunk)
                offset += part.chunk
            }
        }
    }

    /// Resizes each of `planes` H×W planes to outH×outW.
    /// - nearest: source index ⌊dst / scale⌋ (ONNX `asymmetric` + `floor`, PyTorch `nearest`);
    /// - bilinear: half-pixel centres, source clamped at 0 (PyTorch `align_corners=False`);
    /// - bilinearAlignCorners: src = dst · (in − 1)/(out − 1).
    static func resize(_ mode: ResizeMode, planes: Int, height: Int, width: Int, outHeight: Int, outWidth: Int,
                       scaleHeight: Float, scaleWidth: Float, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        func nearestIndex(_ dst: Int, _ scale: Float, _ size: Int) -> Int { min(Int((Float(dst) / scale).rounded(.down)), size - 1) }
        func linear(_ dst: Int, _ scale: Float, _ size: Int, _ outSize: Int) -> (Int, Int, Float) {
            let src: Float
            if mode == .bilinearAlignCorners {
                src = outSize > 1 ? Float(dst) * Float(size - 1) / Float(outSize - 1) : 0
            } else {
                src = max((Float(dst) + 0.5) / scale - 0.5, 0)
            }
            let lo = min(Int(src), size - 1)
            let hi = min(lo + 1, size - 1)
            return (lo, hi, src - Float(lo))
        }
        for plane in 0..<planes {
            let x = input + plane * height * width
            let y = output + plane * outHeight * outWidth
            for p in 0..<outHeight {
                if mode == .nearest {
                    let h = nearestIndex(p, scaleHeight, height)
                    for q in 0..<outWidth { y[p * outWidth + q] = x[h * width + nearestIndex(q, scaleWidth, width)] }
                } else {
                    let (h0, h1, fh) = linear(p, scaleHeight, height, outHeight)
                    for q in 0..<outWidth {
                        let (w0, w1, fw) = linear(q, scaleWidth, width, outWidth)
                        let top = x[h0 * width + w0] * (1 - fw) + x[h0 * width + w1] * fw
                        let bottom = x[h1 * width + w0] * (1 - fw) + x[h1 * width + w1] * fw
                        y[p * outWidth + q] = top * (1 - fh) + bottom * fh
                    }
                }
            }
        }
    }

    /// out[i_perm] = x[i] for a permutation of axes.
    static func transpose(_ x: UnsafeBufferPointer<Float>, shape: [Int], perm: [Int], out: UnsafeMutableBufferPointer<Float>) {
        let rank = shape.count
        var inStrides = Array(repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { inStrides[axis] = inStrides[axis + 1] * shape[axis + 1] }
        let outShape = perm.map { shape[$0] }
        let strides = perm.map { inStrides[$0] }
        var index = Array(repeating: 0, count: rank)
        for i in 0..<out.count {
            var offset = 0
            for axis in 0..<rank { offset += index[axis] * strides[axis] }
            out[i] = x[offset]
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < outShape[axis] { break }
                index[axis] = 0; axis -= 1
            }
        }
    }

    /// Constant padding: `pads` = [begin_0 … begin_{r−1}, end_0 … end_{r−1}], all ≥ 0.
    static func pad(_ x: UnsafeBufferPointer<Float>, shape: [Int], pads: [Int], value: Float, out: UnsafeMutableBufferPointer<Float>) {
        let rank = shape.count
        let outShape = (0..<rank).map { shape[$0] + pads[$0] + pads[rank + $0] }
        out.update(repeating: value)
        var outStrides = Array(repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { outStrides[axis] = outStrides[axis + 1] * outShape[axis + 1] }
        var index = Array(repeating: 0, count: rank)
        for i in 0..<x.count {
            var offset = 0
            for axis in 0..<rank { offset += (index[axis] + pads[axis]) * outStrides[axis] }
            out[offset] = x[i]
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0; axis -= 1
            }
        }
    }
}
