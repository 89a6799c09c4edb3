// Image buffers: the safe value type every pipeline stage passes around.

/// A sample type an ``Image`` can hold: 8-bit and 16-bit unsigned integers, 32-bit float.
public protocol PixelComponent: BitwiseCopyable, Sendable, Hashable {
    /// Bits per sample (8, 16, 32).
    static var bitsPerComponent: Int { get }
    /// The value of a black pixel.
    static var zero: Self { get }
}

extension UInt8: PixelComponent {
    public static var bitsPerComponent: Int { 8 }
}

extension UInt16: PixelComponent {
    public static var bitsPerComponent: Int { 16 }
}

extension Float: PixelComponent {
    public static var bitsPerComponent: Int { 32 }
}

/// How many channels a pixel has and what they mean.
public enum ChannelLayout: String, Sendable, Hashable, Codable, CaseIterable {
    /// One channel: luminance (or any single-valued map: disparity, labels, probability).
    case gray
    /// Three channels, interleaved in the order R, G, B.
    case rgb

    /// Channels per pixel: 1 or 3.
    public var channelCount: Int { self == .gray ? 1 : 3 }
}

/// A 2-D image: `height` rows of `width` pixels, each of `layout.channelCount` components.
///
/// Storage contract (stable; kernels rely on it): one contiguous row-major buffer,
/// channels interleaved (RGBRGB…), no row padding. Component `c` of pixel (`x`, `y`) is at
/// index `(y * width + x) * channelCount + c`; row `y` starts at `y * rowLength`. This is
/// OpenCV's `Mat` layout for continuous matrices (except that OpenCV's colour order is BGR).
public struct Image<Component: PixelComponent>: Sendable, Hashable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels (rows).
    public let height: Int
    /// Gray or RGB.
    public let layout: ChannelLayout
    /// All components, row-major and interleaved; `count == width * height * channelCount`.
    @inlinable public var components: [Component] { storage }
    /// The buffer (internal so that it can only be mutated through count-preserving API).
    @usableFromInline internal var storage: [Component]

    /// Channels per pixel (1 or 3).
    @inlinable public var channelCount: Int { layout.channelCount }
    /// Components per row: `width * channelCount`.
    @inlinable public var rowLength: Int { width * layout.channelCount }
    /// Pixels in the image: `width * height`.
    @inlinable public var pixelCount: Int { width * height }

    /// Wraps an existing buffer. Precondition: `components.count == width * height * layout.channelCount`,
    /// `width >= 0`, `height >= 0`.
    public init(width: Int, height: Int, layout: ChannelLayout, components: [Component]) {
        precondition(width >= 0 && height >= 0, "Image dimensions must be non-negative")
        precondition(components.count == width * height * layout.channelCount,
                     "Image buffer holds \(components.count) components, expected \(width * height * layout.channelCount)")
        self.width = width
        self.height = height
        self.layout = layout
        self.storage = components
    }

    /// An image with every component equal to `value`.
    public init(width: Int, height: Int, layout: ChannelLayout, repeating value: Component = .zero) {
        self.init(width: width, height: height, layout: layout,
                  components: [Component](repeating: value, count: width * height * layout.channelCount))
    }

    /// An image whose buffer is filled by `initializer`, which must write every component
    /// of the buffer it is given (`width * height * channelCount` components, row-major).
    /// Used by decoders and kernels to write straight into the final storage.
    public init(width: Int, height: Int, layout: ChannelLayout,
                unsafeUninitializedComponents initializer: (inout UnsafeMutableBufferPointer<Component>) throws -> Void) rethrows {
        precondition(width >= 0 && height >= 0, "Image dimensions must be non-negative")
        let count = width * height * layout.channelCount
        self.width = width
        self.height = height
        self.layout = layout
        self.storage = try [Component](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            try initializer(&buffer)
            initializedCount = count
        }
    }

    /// Component `channel` of pixel (`x`, `y`): `image[x: 3, y: 4, channel: 1]`.
    /// Bounds are checked by the array.
    @inlinable public subscript(x x: Int, y y: Int, channel channel: Int) -> Component {
        get { storage[(y * width + x) * layout.channelCount + channel] }
        set { storage[(y * width + x) * layout.channelCount + channel] = newValue }
    }

    /// The first (for gray: the only) component of pixel (`x`, `y`): `image[x: 3, y: 4]`.
    @inlinable public subscript(x x: Int, y y: Int) -> Component {
        get { storage[(y * width + x) * layout.channelCount] }
        set { storage[(y * width + x) * layout.channelCount] = newValue }
    }

    /// Unlabelled form of `self[x: x, y: y, channel: channel]`.
    @inlinable public subscript(x: Int, y: Int, channel: Int) -> Component {
        get { self[x: x, y: y, channel: channel] }
        set { self[x: x, y: y, channel: channel] = newValue }
    }

    /// Unlabelled form of `self[x: x, y: y]`.
    @inlinable public subscript(x: Int, y: Int) -> Component {
        get { self[x: x, y: y] }
        set { self[x: x, y: y] = newValue }
    }

    /// Row `y` as a slice of `rowLength` components.
    @inlinable public func row(_ y: Int) -> ArraySlice<Component> {
        precondition(y >= 0 && y < height, "row \(y) out of 0..<\(height)")
        return storage[(y * rowLength)..<((y + 1) * rowLength)]
    }

    /// Read access to the whole buffer (layout as documented on ``Image``).
    @inlinable public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Component>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Write access to the whole buffer; the count cannot change.
    @inlinable public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Component>) throws -> R) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer { buffer in try body(buffer) }
    }

    /// Row `y` as a buffer pointer of `rowLength` components, valid only inside `body`.
    @inlinable public func withUnsafeRow<R>(_ y: Int, _ body: (UnsafeBufferPointer<Component>) throws -> R) rethrows -> R {
        precondition(y >= 0 && y < height, "row \(y) out of 0..<\(height)")
        return try storage.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[(y * rowLength)..<((y + 1) * rowLength)]))
        }
    }

    /// The components in planar (channel-major, "CHW") order: all of channel 0 row by row,
    /// then channel 1, then channel 2 — the layout of NCHW tensors. For gray images this
    /// is `components` itself.
    public func planarComponents() -> [Component] {
        let channels = layout.channelCount
        guard channels > 1 else { return storage }
        let plane = width * height
        return [Component](unsafeUninitializedCapacity: storage.count) { out, count in
            storage.withUnsafeBufferPointer { source in
                for c in 0..<channels {
                    for i in 0..<plane { out[c * plane + i] = source[i * channels + c] }
                }
            }
            count = storage.count
        }
    }

    /// The same pixels with a different component type, converted one by one.
    public func map<T: PixelComponent>(_ transform: (Component) -> T) -> Image<T> {
        Image<T>(width: width, height: height, layout: layout, components: storage.map(transform))
    }
}

/// 8-bit image (gray or RGB): what JPEG and most PNG files decode to.
public typealias Image8 = Image<UInt8>
/// 16-bit image (gray or RGB): 16-bit PNG and PNM.
public typealias Image16 = Image<UInt16>
/// 32-bit float image: PFM files, and the planes pipelines compute in.
public typealias ImageF = Image<Float>
