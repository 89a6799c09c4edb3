import CDNNL
import Foundation

/// A strided view of a matrix for the GEMM kernels: element (row, column) lives at
/// `base[row · rowStride + column · columnStride]`. A transposed operand is the same
/// storage with the strides swapped, so one kernel serves every transpose combination.
struct MatrixView {
    var base: UnsafePointer<Float>
    var rowStride: Int
    var columnStride: Int

    /// A row-major matrix with leading dimension `ld`, transposed when `transposed`.
    init(_ base: UnsafePointer<Float>, ld: Int, transposed: Bool = false) {
        self.base = base
        self.rowStride = transposed ? 1 : ld
        self.columnStride = transposed ? ld : 1
    }

    @inline(__always) subscript(row: Int, column: Int) -> Float {
        base[row * rowStride + column * columnStride]
    }
}

/// The matrix-multiply backends the executor can use; `GEMM.preferred` is the one chosen
/// by the measurement in docs/EXECUTOR.md.
public enum GEMMBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Debian's OpenBLAS, loaded at run time with the AVX-512 (SkylakeX) kernels forced
    /// when `OPENBLAS_CORETYPE` is unset or `Haswell` on an AVX-512 CPU.
    case openBLAS
    /// This module's own packed SIMD16 (AVX-512) kernel with an 8×32 register tile.
    case simd
    /// SIMD16 for the packed im2col, Winograd and depthwise paths; OpenBLAS for the plain
    /// GEMMs (direct 1×1 convolutions, FC/Gemm, MatMul) and for im2col GEMMs with at most
    /// `hybridOpenBLASMaxPixels` output pixels, where OpenBLAS's SkylakeX kernels win on
    /// bare SGEMM, when `hybridPrefersOpenBLAS` holds (docs/EXECUTOR.md). Falls back to
    /// `simd` where OpenBLAS does not load. Opt-in: measured slower end to end.
    case hybrid
    /// oneDNN (Debian's libdnnl 2.6, JIT AVX-512 kernels, OpenMP threads) for convolutions
    /// (grouped and depthwise included), pooling, element-wise activations, same-shape adds
    /// and channel concatenations, on activations kept in the 16-channel-blocked nChw16c
    /// layout across chains of such operators; every other operator runs on `simd`
    /// kernels in NCHW (docs/EXECUTOR.md, "oneDNN backend").
    case oneDNN

    public var description: String { rawValue }

    /// The backend the executor's own kernels use: `simd` for the oneDNN backend's
    /// operators that oneDNN does not run.
    var ownKernels: GEMMBackend { self == .oneDNN ? .simd : self }

    /// The backend chosen by the measurement in docs/EXECUTOR.md ("oneDNN backend"):
    /// `oneDNN` when libdnnl loads (interleaved A/B runs of the same binary: faster than
    /// `simd` on all five benchmark models on the idle machine), else `simd`.
    /// `JOULEBENCH_GEMM=simd`, `onednn` (or `oneDNN`) override it; `openblas` or `hybrid`
    /// too when OpenBLAS loads.
    public static var preferred: GEMMBackend {
        if let name = ProcessInfo.processInfo.environment["JOULEBENCH_GEMM"],
           let chosen = GEMMBackend(rawValue: name == "openblas" ? "openBLAS" : name == "onednn" ? "oneDNN" : name),
           chosen == .simd || chosen == .oneDNN || OpenBLAS.shared != nil {
            return chosen
        }
        return OneDNNPrimitive.isAvailable ? .oneDNN : .simd
    }

    /// True when this backend runs the SIMD16 paths (packed filters, Winograd).
    var usesSIMDPaths: Bool { self != .openBLAS }

    /// The hybrid backend sends an im2col GEMM with at most this many output pixels to
    /// OpenBLAS (the 7×7 and 14×14 stages, where SIMD16's 32-column tile is poorly filled).
    static let hybridOpenBLASMaxPixels = 196

    /// The hybrid backend's rule for one GEMM C[m×n] += A[m×k]·B[k×n]: OpenBLAS only for a
    /// deep product (k ≥ 256) that is no matrix-vector product (m, n ≥ 16): its per-call
    /// threading cost is lost on MobileNetV2's shallow pointwise layers and its SGEMV on
    /// batch-1 FC layers is slower than SIMD16's row dot products (docs/EXECUTOR.md).
    static func hybridPrefersOpenBLAS(m: Int, n: Int, k: Int) -> Bool {
        k >= 256 && m >= 16 && n >= 16
    }
}

/// Single-precision GEMM: C[m×n] = alpha · A[m×k] · B[k×n] + beta · C, row-major C with
/// leading dimension `ldc`. Two threads (the machine's cores).
enum GEMM {
    /// Threads for the SIMD backend and for OpenBLAS.
    static let threadCount = 2

    static func multiply(
        backend: GEMMBackend, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: MatrixView, b: MatrixView, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        if backend == .openBLAS || (backend == .hybrid && GEMMBackend.hybridPrefersOpenBLAS(m: m, n: n, k: k)), let blas = OpenBLAS.shared, let (ta, lda) = a.blasLayout, let (tb, ldb) = b.blasLayout {
            blas.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: alpha, a: a.base, lda: lda, b: b.base, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        SIMDGEMM.multiply(m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta, c: c, ldc: ldc)
    }
}

extension MatrixView {
    /// (transposed, leading dimension) when this view is a plain or transposed row-major matrix.
    var blasLayout: (Bool, Int)? {
        if columnStride == 1 { return (false, max(rowStride, 1)) }
        if rowStride == 1 { return (true, max(columnStride, 1)) }
        return nil
    }
}

/// Debian's OpenBLAS through `dlopen`, so that `OPENBLAS_CORETYPE` can be set before the
/// library reads it (at load time): Debian's 0.3.21 detects Zen 5 as Haswell (AVX2, ≈ 50
/// GFLOP/s per thread) while its SkylakeX kernels reach ≈ 200 (REFERENCE.md §7).
final class OpenBLAS: Sendable {
    typealias SGEMM = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias SetThreads = @convention(c) (Int32) -> Void
    typealias CoreName = @convention(c) () -> UnsafePointer<CChar>?

    private let sgemmFunction: SGEMM
    /// The kernel family OpenBLAS picked (`SkylakeX`, `Haswell` …), to be logged with results.
    let coreName: String

    static let shared: OpenBLAS? = OpenBLAS()

    private init?() {
        // OpenBLAS reads OPENBLAS_CORETYPE once, when it loads, so it is set here, before
        // the dlopen (nothing links libopenblas at start; see Package.swift). On an AVX-512
        // CPU an unset value or `Haswell` (what this machine's environment sets, and what
        // Debian's 0.3.21 mis-detects Zen 5 as) becomes `SkylakeX`; any other value is kept.
        if CPUFeatures.hasAVX512F {
            let current = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
            if current == nil || current?.lowercased() == "haswell" {
                setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)
            }
        }
        // OpenBLAS's idle threads spin for 2^28 cycles (≈ 0.1 s) after each call before
        // sleeping; on 2 cores they then steal the CPU from the executor's own kernels
        // between GEMMs. 2^4 cycles (the minimum) makes them yield at once (measured in
        // docs/EXECUTOR.md). A value already set is kept.
        setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0)
        guard let handle = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL) ?? dlopen("libopenblas.so", RTLD_NOW | RTLD_LOCAL),
              let sgemm = dlsym(handle, "cblas_sgemm") else { return nil }
        sgemmFunction = unsafeBitCast(sgemm, to: SGEMM.self)
        if let set = dlsym(handle, "openblas_set_num_threads") {
            unsafeBitCast(set, to: SetThreads.self)(Int32(GEMM.threadCount))
        }
        if let core = dlsym(handle, "openblas_get_corename"), let name = unsafeBitCast(core, to: CoreName.self)() {
            coreName = String(cString: name)
        } else {
            coreName = "unknown"
        }
    }

    func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        // CBLAS enum values: CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112.
        sgemmFunction(101, transA ? 112 : 111, transB ? 112 : 111, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

enum CPUFeatures {
    /// True when /proc/cpuinfo lists AVX-512F.
    static let hasAVX512F: Bool = {
        // /proc files report size 0, so read to the end instead of by size.
        guard let handle = FileHandle(forReadingAtPath: "/proc/cpuinfo"),
              let data = try? handle.readToEnd() else { return false }
        return String(decoding: data, as: UTF8.self).contains(" avx512f")
    }()
}

/// Runs `body(i)` for i in 0..<count concurrently and returns when all are done.
/// The kernels pass closures over borrowed pointers that each iteration uses for a
/// disjoint part of the output; neither pool outlives the call, so the closure is handed
/// over as `nonisolated(unsafe)` rather than made `@Sendable`.
/// Once oneDNN is loaded, the iterations run on its OpenMP team (`jb_parallel_for`): one
/// pool for every kernel, so libgomp's spinning workers never hold a core a GCD worker of
/// ours waits for (U-Net, whose transposed convolutions run here, took 1.5× as long with
/// two pools at libgomp's default spin; docs/EXECUTOR.md, "One thread pool"). Otherwise
/// GCD's `concurrentPerform`.
/// Which pool `parallelFor` uses now (provenance `executor.threadPool`): every backend's own
/// kernels in a process that has loaded libdnnl run on its OpenMP team.
var parallelForPool: String {
    jb_parallel_for(0, 1, { _, _ in }, nil) == 0 ? "OpenMP (oneDNN's libgomp team)" : "GCD"
}

func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    if count <= 1 { if count == 1 { body(0) }; return }
    withoutActuallyEscaping(body) { escapable in
        nonisolated(unsafe) var work = escapable
        let ranOnOpenMP = withUnsafeMutablePointer(to: &work) { box in
            jb_parallel_for(Int32(clamping: count), Int32(clamping: GEMM.threadCount), { context, index in
                context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(index))
            }, box) == 0
        }
        if !ranOnOpenMP { DispatchQueue.concurrentPerform(iterations: count) { work($0) } }
    }
}

/// Splits 0..<extent into `parts` contiguous ranges whose boundaries are multiples of `quantum`.
func splitRange(_ extent: Int, parts: Int, quantum: Int) -> [Range<Int>] {
    let units = (extent + quantum - 1) / quantum
    let p = max(1, min(parts, units))
    return (0..<p).map { i in
        let lo = min(extent, (units * i / p) * quantum)
        let hi = min(extent, (units * (i + 1) / p) * quantum)
        return lo..<hi
    }.filter { !$0.isEmpty }
}

/// The module's own SGEMM: Goto-style blocking (kc × nc panels of B, mc × kc blocks of A,
/// both packed) around an 8×32 AVX-512 register tile. Two threads split the larger of
/// m and n, each with its own packing buffers.
enum SIMDGEMM {
    static let mr = 8, nr = 32
    static let kc = 256, mc = 120, nc = 1536

    static func multiply(m: Int, n: Int, k: Int, alpha: Float, a: MatrixView, b: MatrixView, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 1 && b.rowStride == 1 && b.columnStride != 1 {
            // A row vector times a transposed matrix (FC at batch 1): row dot products.
            dotRows(n: n, k: k, alpha: alpha, x: a, w: b, beta: beta, y: c)
            return
        }
        let parts = threadParts(m: m, n: n, k: k)
        parallelFor(parts.count) { t in
            let (rows, columns) = parts[t]
            var subA = a; subA.base += rows.lowerBound * a.rowStride
            var subB = b; subB.base += columns.lowerBound * b.columnStride
            blocked(m: rows.count, n: columns.count, k: k, alpha: alpha, a: subA, aPanels: nil, b: subB, bPanels: nil, beta: beta,
                    c: c + rows.lowerBound * ldc + columns.lowerBound, ldc: ldc)
        }
    }

    /// How the threads share C: by columns (whole 32-wide panels) or by rows (8-row tiles),
    /// whichever computes fewer padded lanes — splitting n = 196 in two gives each thread
    /// 98 columns in four panels (77 % useful), splitting the rows keeps seven (88 %).
    static func threadParts(m: Int, n: Int, k: Int) -> [(rows: Range<Int>, columns: Range<Int>)] {
        guard m * n * k >= 1 << 16 else { return [(0..<m, 0..<n)] }
        let byColumns = splitRange(n, parts: GEMM.threadCount, quantum: nr)
        let byRows = splitRange(m, parts: GEMM.threadCount, quantum: mr)
        func padded(_ x: Int, _ q: Int) -> Int { (x + q - 1) / q * q }
        // Lanes of the busiest thread, in register tiles (8 rows × 32 columns).
        let columnCost = byColumns.map { padded(m, mr) * padded($0.count, nr) }.max() ?? 0
        let rowCost = byRows.map { padded($0.count, mr) * padded(n, nr) }.max() ?? 0
        if byRows.count > 1 && rowCost < columnCost {
            return byRows.map { ($0, 0..<n) }
        }
        return byColumns.map { (0..<m, $0) }
    }

    /// C = alpha · A · B + beta · C with B already in panel layout (see `packedPanelOffset`):
    /// the convolution writes its patch matrix this way, so B is never copied twice.
    static func multiply(m: Int, n: Int, k: Int, alpha: Float = 1, a: MatrixView, aPanels: UnsafePointer<Float>? = nil,
                         packedB: UnsafePointer<Float>, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0, k > 0 else { return }
        let parts = threadParts(m: m, n: n, k: k)
        parallelFor(parts.count) { t in
            let (rows, columns) = parts[t]
            var subA = a; subA.base += rows.lowerBound * a.rowStride
            blocked(m: rows.count, n: columns.count, k: k, alpha: alpha, a: subA, aPanels: aPanels.map { $0 + (rows.lowerBound / mr) * k * mr },
                    b: nil, bPanels: packedB + (columns.lowerBound / nr) * k * nr, beta: beta,
                    c: c + rows.lowerBound * ldc + columns.lowerBound, ldc: ldc)
        }
    }

    /// `multiply` with A already in row-panel layout (`packAPanels`): a constant filter is
    /// packed once at load instead of on every call, which matters when n is small (a
    /// 7×7 layer reuses each weight only 49 times).
    static func multiply(m: Int, n: Int, k: Int, aPanels: UnsafePointer<Float>, b: MatrixView, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0, k > 0 else { return }
        let parts = threadParts(m: m, n: n, k: k)
        let unusedView = MatrixView(aPanels, ld: k)
        parallelFor(parts.count) { t in
            let (rows, columns) = parts[t]
            var subB = b; subB.base += columns.lowerBound * b.columnStride
            blocked(m: rows.count, n: columns.count, k: k, alpha: 1, a: unusedView, aPanels: aPanels + (rows.lowerBound / mr) * k * mr,
                    b: subB, bPanels: nil, beta: beta, c: c + rows.lowerBound * ldc + columns.lowerBound, ldc: ldc)
        }
    }

    /// A[m×k] in row-panel layout: panels of 8 rows, each k×8 floats column by column,
    /// rows past m zero.
    static func packAPanels(_ a: MatrixView, m: Int, k: Int) -> [Float] {
        let panels = (m + mr - 1) / mr
        var out = [Float](repeating: 0, count: panels * k * mr)
        for i in 0..<m { for p in 0..<k { out[(i / mr) * k * mr + p * mr + (i % mr)] = a[i, p] } }
        return out
    }

    /// Where element (row, column) of a k-row matrix lives in panel layout: panels of 32
    /// columns, each k×32 floats row by row.
    @inline(__always) static func packedPanelOffset(row: Int, column: Int, k: Int) -> Int {
        (column >> 5) * k * nr + row * nr + (column & 31)
    }

    /// y[j] = alpha · Σ_p x[0, p] · w[p, j] + beta · y[j] where w is stored with rows of `w`'s
    /// columns contiguous (`w.rowStride == 1`).
    static func dotRows(n: Int, k: Int, alpha: Float, x: MatrixView, w: MatrixView, beta: Float, y: UnsafeMutablePointer<Float>) {
        let xs = [Float](unsafeUninitializedCapacity: k) { buf, count in
            for p in 0..<k { buf[p] = x[0, p] }; count = k
        }
        xs.withUnsafeBufferPointer { xb in
            let xr = UnsafeRawPointer(xb.baseAddress!)
            let ranges = splitRange(n, parts: n * k > 1 << 16 ? GEMM.threadCount : 1, quantum: 16)
            parallelFor(ranges.count) { t in
                for j in ranges[t] {
                    let row = UnsafeRawPointer(w.base + j * w.columnStride)
                    var acc = SIMD16<Float>(repeating: 0)
                    var p = 0
                    while p + 16 <= k {
                        acc = acc.addingProduct(row.loadUnaligned(fromByteOffset: p * 4, as: SIMD16<Float>.self),
                                                xr.loadUnaligned(fromByteOffset: p * 4, as: SIMD16<Float>.self))
                        p += 16
                    }
                    var sum = acc.sum()
                    while p < k { sum += w.base[j * w.columnStride + p] * xb[p]; p += 1 }
                    y[j] = beta == 0 ? alpha * sum : alpha * sum + beta * y[j]
                }
            }
        }
    }

    /// One thread's blocked product; B comes either as a view (packed here, block by
    /// block) or already in panel layout (`bPanels`, k rows).
    static func blocked(m: Int, n: Int, k: Int, alpha: Float, a: MatrixView, aPanels: UnsafePointer<Float>?, b: MatrixView?, bPanels: UnsafePointer<Float>?,
                        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let packedB = UnsafeMutablePointer<Float>.allocate(capacity: bPanels == nil ? kc * nc : 1)
        let packedA = UnsafeMutablePointer<Float>.allocate(capacity: kc * mc)
        let edge = UnsafeMutablePointer<Float>.allocate(capacity: mr * nr)
        defer { packedB.deallocate(); packedA.deallocate(); edge.deallocate() }
        var jc = 0
        while jc < n {
            let ncb = min(nc, n - jc)
            var pc = 0
            while pc < k {
                let kcb = min(kc, k - pc)
                // beta applies on the first k block only; later blocks accumulate.
                let blockBeta: Float = pc == 0 ? beta : 1
                if let b { packB(b, row: pc, column: jc, kcb: kcb, ncb: ncb, into: packedB) }
                var ic = 0
                while ic < m {
                    let mcb = min(mc, m - ic)
                    if aPanels == nil { packA(a, row: ic, column: pc, mcb: mcb, kcb: kcb, into: packedA) }
                    var jr = 0
                    while jr < ncb {
                        let nrb = min(nr, ncb - jr)
                        var ir = 0
                        while ir < mcb {
                            let mrb = min(mr, mcb - ir)
                            let tileA = aPanels.map { $0 + ((ic + ir) / mr) * k * mr + pc * mr } ?? UnsafePointer(packedA + ir * kcb)
                            let tileB = bPanels.map { $0 + ((jc + jr) / nr) * k * nr + pc * nr } ?? UnsafePointer(packedB + jr * kcb)
                            let target = c + (ic + ir) * ldc + jc + jr
                            if mrb == mr && nrb == nr {
                                registerTile(kc: kcb, a: tileA, b: tileB, c: target, ldc: ldc, alpha: alpha, beta: blockBeta)
                            } else {
                                registerTile(kc: kcb, a: tileA, b: tileB, c: edge, ldc: nr, alpha: alpha, beta: 0)
                                for i in 0..<mrb {
                                    for j in 0..<nrb {
                                        let old = target[i * ldc + j]
                                        target[i * ldc + j] = edge[i * nr + j] + (blockBeta == 0 ? 0 : blockBeta * old)
                                    }
                                }
                            }
                            ir += mr
                        }
                        jr += nr
                    }
                    ic += mc
                }
                pc += kc
            }
            jc += nc
        }
    }

    /// Packs B[row..<row+kcb, column..<column+ncb] into kcb×32 panels, zero-padded.
    static func packB(_ b: MatrixView, row: Int, column: Int, kcb: Int, ncb: Int, into out: UnsafeMutablePointer<Float>) {
        var jr = 0
        while jr < ncb {
            let width = min(nr, ncb - jr)
            let panel = out + jr * kcb
            if b.columnStride == 1 && width == nr {
                for p in 0..<kcb {
                    (panel + p * nr).update(from: b.base + (row + p) * b.rowStride + column + jr, count: nr)
                }
            } else {
                for p in 0..<kcb {
                    for j in 0..<nr { panel[p * nr + j] = j < width ? b[row + p, column + jr + j] : 0 }
                }
            }
            jr += nr
        }
    }

    /// Packs A[row..<row+mcb, column..<column+kcb] into 8×kcb panels (column by column), zero-padded.
    static func packA(_ a: MatrixView, row: Int, column: Int, mcb: Int, kcb: Int, into out: UnsafeMutablePointer<Float>) {
        var ir = 0
        while ir < mcb {
            let height = min(mr, mcb - ir)
            let panel = out + ir * kcb
            for i in 0..<mr {
                if i < height {
                    let source = a.base + (row + ir + i) * a.rowStride + column * a.columnStride
                    for p in 0..<kcb { panel[p * mr + i] = source[p * a.columnStride] }
                } else {
                    for p in 0..<kcb { panel[p * mr + i] = 0 }
                }
            }
            ir += mr
        }
    }

    /// The register tile: C[0..<8, 0..<32] = alpha · Σ_p a[p·8 + i] · b[p·32 + j] + beta · C.
    /// `a` is a packed 8×kc panel (column by column), `b` a packed kc×32 panel (row by
    /// row); sixteen 16-lane accumulators stay in ZMM registers for the whole k loop.
    @inline(__always)
    static func registerTile(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
        let z = SIMD16<Float>(repeating: 0)
        var c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z
        var pa = a
        var pb = UnsafeRawPointer(b)
        for _ in 0..<kc {
            let b0 = pb.loadUnaligned(as: SIMD16<Float>.self)
            let b1 = pb.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
            let a0 = SIMD16<Float>(repeating: pa[0])
            c00 = c00.addingProduct(a0, b0); c01 = c01.addingProduct(a0, b1)
            let a1 = SIMD16<Float>(repeating: pa[1])
            c10 = c10.addingProduct(a1, b0); c11 = c11.addingProduct(a1, b1)
            let a2 = SIMD16<Float>(repeating: pa[2])
            c20 = c20.addingProduct(a2, b0); c21 = c21.addingProduct(a2, b1)
            let a3 = SIMD16<Float>(repeating: pa[3])
            c30 = c30.addingProduct(a3, b0); c31 = c31.addingProduct(a3, b1)
            let a4 = SIMD16<Float>(repeating: pa[4])
            c40 = c40.addingProduct(a4, b0); c41 = c41.addingProduct(a4, b1)
            let a5 = SIMD16<Float>(repeating: pa[5])
            c50 = c50.addingProduct(a5, b0); c51 = c51.addingProduct(a5, b1)
            let a6 = SIMD16<Float>(repeating: pa[6])
            c60 = c60.addingProduct(a6, b0); c61 = c61.addingProduct(a6, b1)
            let a7 = SIMD16<Float>(repeating: pa[7])
            c70 = c70.addingProduct(a7, b0); c71 = c71.addingProduct(a7, b1)
            pa += 8; pb += 128
        }
        @inline(__always) func store(_ v0: SIMD16<Float>, _ v1: SIMD16<Float>, _ row: UnsafeMutablePointer<Float>) {
            let raw = UnsafeMutableRawPointer(row)
            if beta == 0 {
                raw.storeBytes(of: v0 * alpha, as: SIMD16<Float>.self)
                raw.storeBytes(of: v1 * alpha, toByteOffset: 64, as: SIMD16<Float>.self)
            } else {
                let o0 = UnsafeRawPointer(row).loadUnaligned(as: SIMD16<Float>.self)
                let o1 = UnsafeRawPointer(row).loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
                raw.storeBytes(of: (v0 * alpha).addingProduct(o0, beta), as: SIMD16<Float>.self)
                raw.storeBytes(of: (v1 * alpha).addingProduct(o1, beta), toByteOffset: 64, as: SIMD16<Float>.self)
            }
        }
        store(c00, c01, c + 0 * ldc)
        store(c10, c11, c + 1 * ldc)
        store(c20, c21, c + 2 * ldc)
        store(c30, c31, c + 3 * ldc)
        store(c40, c41, c + 4 * ldc)
        store(c50, c51, c + 5 * ldc)
        store(c60, c61, c + 6 * ldc)
        store(c70, c71, c + 7 * ldc)
    }
}
