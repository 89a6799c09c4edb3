// Dataset folders: deterministic recursive scan, image files found by magic bytes, and the
// naming convention by which ground truth sits beside the images (docs/IMAGING.md).
import Foundation

/// Why a dataset folder could not be scanned.
public struct DatasetError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The folder (or sub-folder) concerned.
    public let path: String
    /// The reason, from the OS.
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): cannot read folder: \(reason)" }
}

/// What a file is for, by the suite-folder naming convention (docs/IMAGING.md): the
/// suffix of the file's stem (name without extension) decides.
public enum DatasetRole: String, Sendable, Hashable, Codable, CaseIterable {
    /// A plain image to process.
    case image
    /// `<name>_left.<ext>`: the left view of a rectified stereo pair.
    case stereoLeft = "stereo-left"
    /// `<name>_right.<ext>`: the right view.
    case stereoRight = "stereo-right"
    /// `<name>_disp.pfm`: ground-truth disparity of `<name>_left`, in pixels; `inf` = unknown.
    case disparity
    /// `<stem>_mask.png`: ground-truth label map of the image `<stem>.<ext>` (8-bit gray,
    /// one value per class).
    case mask

    /// The role given by `fileName`'s stem suffix, and the stem without that suffix.
    public static func classify(fileName: String) -> (role: DatasetRole, key: String) {
        let stem = (fileName as NSString).deletingPathExtension
        for (suffix, role) in [("_left", DatasetRole.stereoLeft), ("_right", .stereoRight), ("_disp", .disparity), ("_mask", .mask)] {
            if stem.hasSuffix(suffix) && stem.count > suffix.count {
                return (role, String(stem.dropLast(suffix.count)))
            }
        }
        return (.image, stem)
    }
}

/// One image file found in a dataset folder.
public struct DatasetFile: Sendable, Hashable {
    /// The file.
    public let url: URL
    /// Its path relative to the scanned folder, `/`-separated.
    public let relativePath: String
    /// The format its magic bytes announce, or nil when the bytes are unknown but the
    /// extension says image (such a file is listed so that its failure is reported).
    public let format: ImageFormat?
    /// Its role by the naming convention.
    public let role: DatasetRole
}

/// A rectified stereo pair with its optional ground truth.
public struct StereoSample: Sendable, Hashable {
    public let name: String
    public let left: DatasetFile
    public let right: DatasetFile
    /// `<name>_disp.pfm`, when present.
    public let disparity: DatasetFile?
}

/// An image with its label mask.
public struct SegmentationSample: Sendable, Hashable {
    public let image: DatasetFile
    public let mask: DatasetFile
}

/// A folder entry the scan does not list as an image file, and why.
public struct SkippedEntry: Sendable, Hashable, CustomStringConvertible {
    /// Why an entry was skipped; new cases may be added.
    public enum Reason: Sendable, Hashable, CustomStringConvertible {
        /// A regular file with unknown magic bytes and no image extension.
        case notAnImage
        /// A named pipe, socket or device (the kind is given, e.g. "named pipe"): never
        /// opened, since opening a FIFO without a writer blocks forever.
        case notARegularFile(kind: String)
        /// A symbolic link whose target does not exist.
        case danglingLink
        /// The entry could not be examined (`stat` failed; the OS's reason).
        case unreadable(String)

        public var description: String {
            switch self {
            case .notAnImage: "not an image"
            case .notARegularFile(let kind): "not a regular file (\(kind))"
            case .danglingLink: "dangling symbolic link"
            case .unreadable(let reason): "cannot be examined: \(reason)"
            }
        }
    }

    /// Path relative to the scanned folder, `/`-separated.
    public let relativePath: String
    public let reason: Reason

    public init(relativePath: String, reason: Reason) {
        self.relativePath = relativePath
        self.reason = reason
    }

    /// `"path: reason"`.
    public var description: String { "\(relativePath): \(reason)" }
}

/// The result of scanning a folder.
public struct DatasetScan: Sendable {
    /// The scanned folder.
    public let root: URL
    /// Image files (known magic bytes, or an image extension), in scan order: relative
    /// paths compared byte by byte (UTF-8), so the order does not depend on the file system
    /// or the locale.
    public let files: [DatasetFile]
    /// Entries skipped, in scan order, each with its reason: regular files that are not
    /// images (unknown magic and no image extension), named pipes, sockets and devices
    /// (never opened), dangling links. Hidden entries (`.name`) are ignored altogether.
    public let skipped: [SkippedEntry]
    /// Sub-folders that could not be listed (permissions, I/O error, path too long …), in
    /// scan order: each `path` relative to the root, `/`-separated, with the OS's reason.
    /// Their contents are missing from `files`; the rest of the scan went on.
    public let unreadableFolders: [DatasetError]

    /// Stereo pairs: `<name>_left` and `<name>_right` in the same folder, with
    /// `<name>_disp.pfm` when present. Sorted by name.
    public var stereoSamples: [StereoSample] {
        func key(_ file: DatasetFile) -> String {
            let folder = (file.relativePath as NSString).deletingLastPathComponent
            let name = DatasetRole.classify(fileName: file.url.lastPathComponent).key
            return folder.isEmpty ? name : folder + "/" + name
        }
        let lefts = files.filter { $0.role == .stereoLeft }
        return lefts.compactMap { left in
            let name = key(left)
            guard let right = files.first(where: { $0.role == .stereoRight && key($0) == name }) else { return nil }
            let disparity = files.first { $0.role == .disparity && key($0) == name && $0.format == .pfm }
            return StereoSample(name: name, left: left, right: right, disparity: disparity)
        }
    }

    /// Images with a `<stem>_mask` label map in the same folder.
    public var segmentationSamples: [SegmentationSample] {
        func key(_ file: DatasetFile) -> String {
            let folder = (file.relativePath as NSString).deletingLastPathComponent
            let name = DatasetRole.classify(fileName: file.url.lastPathComponent).key
            return folder + "/" + name
        }
        let masks = files.filter { $0.role == .mask }
        return files.filter { $0.role == .image }.compactMap { image in
            guard let mask = masks.first(where: { key($0) == key(image) }) else { return nil }
            return SegmentationSample(image: image, mask: mask)
        }
    }
}

/// Scanning dataset folders.
public enum DatasetFolder {
    /// File extensions (lower-cased) that mark a file as meant to be an image even when its
    /// bytes are not recognised: such files are reported as failures, not skipped.
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "pgm", "ppm", "pnm", "pfm"]

    /// Lists the entry names of a folder (not `.` and `..`), or throws the OS's reason.
    public typealias DirectoryLister = @Sendable (URL) throws(DatasetError) -> [String]

    /// The real file system's listing (`FileManager.contentsOfDirectory`).
    public static let fileSystemLister: DirectoryLister = { folder throws(DatasetError) in
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            let nsError = error as NSError
            let underlying = (nsError.userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription
            throw DatasetError(path: folder.path, reason: underlying ?? nsError.localizedDescription)
        }
    }

    /// Scans `root` recursively. Throws only when `root` itself is missing, not a folder or
    /// cannot be listed. A sub-folder that cannot be listed is recorded in
    /// ``DatasetScan/unreadableFolders`` (relative path and reason) and the scan goes on.
    /// Symbolic links to folders already visited are not followed twice. Only regular
    /// files (and links to them) are opened: a named pipe, socket or device is listed in
    /// ``DatasetScan/skipped`` as not a regular file, so the scan never blocks on one. `lister` lists a
    /// folder (injectable so that tests can make a listing fail whatever the user's rights).
    public static func scan(_ root: URL, lister: @escaping DirectoryLister = fileSystemLister) throws(DatasetError) -> DatasetScan {
        var walk = Walk(lister: lister)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory) else {
            throw DatasetError(path: root.path, reason: "no such file or directory")
        }
        guard isDirectory.boolValue else { throw DatasetError(path: root.path, reason: "not a folder") }
        try walk.visit(root, relative: "")
        return DatasetScan(root: root, files: walk.files, skipped: walk.skipped, unreadableFolders: walk.unreadableFolders)
    }

    /// The state of one scan.
    private struct Walk {
        let lister: DirectoryLister
        var files: [DatasetFile] = []
        var skipped: [SkippedEntry] = []
        var unreadableFolders: [DatasetError] = []
        var visited: Set<String> = []

        /// Lists `folder` and visits its entries; throws only for the root (`relative` empty).
        mutating func visit(_ folder: URL, relative: String) throws(DatasetError) {
            let real = folder.resolvingSymlinksInPath().path
            guard visited.insert(real).inserted else { return }
            let names: [String]
            do {
                names = try lister(folder)
            } catch {
                if relative.isEmpty { throw error }
                unreadableFolders.append(DatasetError(path: relative, reason: error.reason))
                return
            }
            // Byte-wise UTF-8 order: deterministic across file systems and locales.
            for name in names.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) where !name.hasPrefix(".") {
                let url = folder.appendingPathComponent(name)
                let relativePath = relative.isEmpty ? name : relative + "/" + name
                switch entryType(url) {
                case .folder:
                    try visit(url, relative: relativePath)
                    continue
                case .skipped(let reason):
                    skipped.append(SkippedEntry(relativePath: relativePath, reason: reason))
                    continue
                case .regularFile:
                    break
                }
                let format = ImageFormat.detect(magic: readMagic(url))
                let hasImageExtension = imageExtensions.contains(url.pathExtension.lowercased())
                if format == nil && !hasImageExtension {
                    skipped.append(SkippedEntry(relativePath: relativePath, reason: .notAnImage))
                    continue
                }
                files.append(DatasetFile(url: url, relativePath: relativePath, format: format,
                                         role: DatasetRole.classify(fileName: name).role))
            }
        }
    }

    /// Scan order of two relative paths: component by component, each compared byte by
    /// byte in UTF-8 (the order in which ``scan(_:lister:)`` visits them).
    public static func scanOrder(_ a: String, _ b: String) -> Bool {
        let left = a.split(separator: "/", omittingEmptySubsequences: false)
        let right = b.split(separator: "/", omittingEmptySubsequences: false)
        return left.lexicographicallyPrecedes(right) { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// What a folder entry is, links followed.
    enum EntryType: Equatable {
        case folder
        case regularFile
        case skipped(SkippedEntry.Reason)
    }

    /// The type of the entry at `url` by `stat(2)` (links followed; nothing is opened).
    static func entryType(_ url: URL) -> EntryType {
        var status = stat()
        guard stat(url.path, &status) == 0 else {
            let code = errno
            var linkStatus = stat()
            if code == ENOENT && lstat(url.path, &linkStatus) == 0 { return .skipped(.danglingLink) }
            return .skipped(.unreadable(String(cString: strerror(code))))
        }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: return .folder
        case S_IFREG: return .regularFile
        case S_IFIFO: return .skipped(.notARegularFile(kind: "named pipe"))
        case S_IFSOCK: return .skipped(.notARegularFile(kind: "socket"))
        case S_IFCHR: return .skipped(.notARegularFile(kind: "character device"))
        case S_IFBLK: return .skipped(.notARegularFile(kind: "block device"))
        default: return .skipped(.notARegularFile(kind: "unknown file type"))
        }
    }

    /// The first 8 bytes of a regular file (fewer when shorter or unreadable). Opened
    /// non-blocking and checked to be a regular file, so that an entry replaced by a FIFO
    /// after ``entryType(_:)`` looked at it cannot block the scan.
    static func readMagic(_ url: URL) -> [UInt8] {
        let fd = open(url.path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return [] }
        var bytes = [UInt8](repeating: 0, count: 8)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { readRetryingInterrupts(fd, $0.baseAddress! + count, $0.count - count) }
            guard n > 0 else { break }
            count += n
        }
        return Array(bytes.prefix(count))
    }
}

/// `read(2)`, retried while interrupted by a signal: bytes read, 0 at end of file, or -1
/// with `errno` set.
func readRetryingInterrupts(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    while true {
        let n = read(fd, buffer, count)
        if n < 0 && errno == EINTR { continue }
        return n
    }
}
