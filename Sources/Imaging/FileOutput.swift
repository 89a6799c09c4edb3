#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Output files written whole or not at all, with failures in plain words.
///
/// Foundation's `Data.write(to:options: .atomic)` reports every failure on Linux as
/// "The operation could not be completed. (NSCocoaErrorDomain error 512.)", which names
/// neither the cause nor what to do; this writer calls `open`/`write`/`close`/`rename`
/// itself and turns `errno` into a `FileWriteError` that says which it was.
public enum FileOutput {
    /// Writes `bytes` to `url` atomically: into a new temporary file in the same folder
    /// (`.<name>.tmp-<random>`, created with mode 0666 minus the umask, like any new file, or
    /// with the mode of the file it replaces), then renamed over `url`. On any failure the
    /// temporary file is removed and `url` is untouched (absent, or its previous content).
    /// `what` names the content in the error ("PNG", "trace"). The data is not `fsync`ed: a
    /// crash may lose it, but not half of it under the final name on journalled file systems.
    ///
    /// What is at `url` is kept for what it is: a symbolic link stays a link and the file it
    /// points to (or would point to) is replaced; a device or a named pipe (`/dev/null`, a
    /// FIFO a reader waits on) is written into, as a shell redirection would, since renaming
    /// over it would replace the device node or the pipe itself (for every user of the
    /// machine, when run as root). `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` and
    /// `/proc/self/fd/N` write into that descriptor of this process, wherever it points (a
    /// terminal, a pipe, or a file the shell opened, at its offset: `>>` appends). A socket
    /// is refused.
    public static func writeAtomically(_ bytes: some Collection<UInt8>, to url: URL, what: String) throws(FileWriteError) {
        try writeAllAtomically([(Array(bytes), url, what)])
    }

    /// Writes several files, each atomically, and none unless every one could be staged:
    /// each is first written to its temporary file (where a full disk, a missing folder or a
    /// permission fails) or, for a device or pipe, opened; then the devices and pipes are
    /// written; only then are the files renamed over their final names, in order. On a
    /// failure before the renames every temporary file is removed and every file `url` is
    /// untouched, so an earlier output is never replaced by half of a new set. (A rename in
    /// the file's own folder can still fail after the checks, very rarely; the files renamed
    /// before it then stay renamed.)
    public static func writeAllAtomically(_ files: [(bytes: [UInt8], url: URL, what: String)]) throws(FileWriteError) {
        var staged: [Target] = []
        defer {
            // Whatever happened: temporary files not renamed are removed, descriptors opened here closed.
            for target in staged {
                switch target {
                case .temporary(let temporary, _): unlink(temporary)
                case .stream(let descriptor, let owned): if owned { close(descriptor) }
                case .done: break
                }
            }
        }
        for file in files { staged.append(try stage(file.bytes, for: file.url, what: file.what)) }
        for (i, file) in files.enumerated() {
            guard case .stream(let descriptor, let owned) = staged[i] else { continue }
            staged[i] = .done
            // Text printed before (stdio buffers it) comes first when the stream is this process's stdout.
            if !owned { fflush(nil) }
            let failed = writeAll(file.bytes, to: descriptor)
            let closeFailed = owned && close(descriptor) != 0 ? errno : 0
            if let code = failed ?? (closeFailed != 0 ? closeFailed : nil) {
                throw FileWriteError(path: file.url.path, what: file.what, cause: FileWriteError.Cause(writingInto: code))
            }
        }
        for (i, file) in files.enumerated() {
            guard case .temporary(let temporary, let destination) = staged[i] else { continue }
            if rename(temporary, destination) != 0 {
                let code = errno
                throw FileWriteError(path: file.url.path, what: file.what,
                                     cause: FileWriteError.Cause(errno: code, folder: folder(of: destination)))
            }
            staged[i] = .done
        }
    }

    /// Where one file's bytes go.
    private enum Target {
        /// Staged in `temporary`, to be renamed over `destination` (the path, or the file its
        /// symbolic link names).
        case temporary(String, destination: String)
        /// Written into this descriptor: a device or a pipe opened here (`owned`, closed
        /// after), or one of this process's own descriptors (`/dev/stdout`, `/dev/fd/N`).
        case stream(Int32, owned: Bool)
        /// Renamed or written already.
        case done
    }

    private static func folder(of path: String) -> String {
        URL(fileURLWithPath: path).deletingLastPathComponent().path
    }

    /// The descriptor a path names in this process: `/dev/stdout` 1, `/dev/stderr` 2,
    /// `/dev/stdin` 0, `/dev/fd/N` and `/proc/self/fd/N` N. Writing to the descriptor keeps
    /// the shell's offset and append mode; opening the path anew (or following its link to
    /// a file and renaming over that) would not.
    private static func ownDescriptor(_ path: String) -> Int32? {
        switch path {
        case "/dev/stdin": return 0
        case "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                return Int32(path.dropFirst(prefix.count))
            }
            return nil
        }
    }

    /// The file a chain of symbolic links at `path` ends at (existing or not); `path` itself
    /// when it is not a link. Gives up after 40 links, as the kernel does (ELOOP).
    private static func linkTarget(of path: String) -> String? {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(current, &buffer, Int(PATH_MAX))
            guard count > 0 else { return nil }
            let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = target.hasPrefix("/") ? target : URL(fileURLWithPath: folder(of: current)).appendingPathComponent(target).path
        }
        return nil
    }

    /// Decides where `bytes` go: opens a device or pipe, or writes the bytes into a new
    /// temporary file beside the destination (`.<name>.tmp-<random>`); on failure nothing is
    /// left behind.
    private static func stage(_ bytes: [UInt8], for url: URL, what: String) throws(FileWriteError) -> Target {
        let path = url.path
        if let descriptor = ownDescriptor(path) { return .stream(descriptor, owned: false) }
        var info = stat()
        var existingMode: mode_t? = nil
        if stat(path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            // A folder under the name: rename(2) would say EISDIR only after the temporary
            // file was written; say it first.
            case S_IFDIR: throw FileWriteError(path: path, what: what, cause: .isAFolder)
            case S_IFSOCK: throw FileWriteError(path: path, what: what, cause: .socket)
            case S_IFREG: existingMode = info.st_mode & 0o7777
            default:
                // A device or a named pipe: opened now (a pipe waits here for its reader),
                // written after every file is staged.
                let descriptor = open(path, O_WRONLY | O_CLOEXEC)
                guard descriptor >= 0 else { throw FileWriteError(path: path, what: what, cause: FileWriteError.Cause(writingInto: errno)) }
                return .stream(descriptor, owned: true)
            }
        }
        guard let destination = linkTarget(of: path) else {
            throw FileWriteError(path: path, what: what, cause: FileWriteError.Cause(errno: ELOOP, folder: folder(of: path)))
        }
        let folderURL = URL(fileURLWithPath: destination).deletingLastPathComponent()
        func failure(_ code: Int32) -> FileWriteError {
            FileWriteError(path: path, what: what, cause: FileWriteError.Cause(errno: code, folder: folderURL.path))
        }

        var temporaryPath = ""
        var descriptor: Int32 = -1
        for _ in 0..<16 {
            temporaryPath = folderURL.appendingPathComponent(".\(URL(fileURLWithPath: destination).lastPathComponent).tmp-\(UInt32.random(in: .min ... .max))").path
            descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else { throw failure(errno) }

        // From here on, a failure removes the temporary file. A replaced file keeps its mode.
        if let existingMode { fchmod(descriptor, existingMode) }
        if let failed = writeAll(bytes, to: descriptor, closing: true) {
            unlink(temporaryPath)
            throw failure(failed)
        }
        return .temporary(temporaryPath, destination: destination)
    }

    /// Writes every byte to `descriptor` (closing it when asked); returns the `errno` of the
    /// first failure. close(2) can report a deferred write error (NFS, quota): it counts.
    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, closing: Bool = false) -> Int32? {
        var failed: Int32 = 0
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failed = errno
                    return
                }
                offset += written
            }
        }
        if closing, close(descriptor) != 0, failed == 0 { failed = errno }
        return failed == 0 ? nil : failed
    }
}

/// An output file that could not be written: which file, what it was to hold, and why,
/// in words a user can act on (`cause`).
///
/// `description` reads like `"out/boxes.png: cannot write the PNG: the folder out does not exist"`.
public struct FileWriteError: Error, CustomStringConvertible, Sendable, Hashable {
    /// Why the write failed; new cases may be added.
    public enum Cause: Sendable, Hashable {
        /// The folder that should hold the file does not exist (`ENOENT`).
        case folderMissing(String)
        /// A component of the folder's path is a file, not a folder (`ENOTDIR`).
        case notAFolder(String)
        /// The folder does not let this user create files (`EACCES`, `EPERM`).
        case permissionDenied(String)
        /// A folder already has the file's name (`EISDIR`).
        case isAFolder
        /// The device is full (`ENOSPC`) or the user's quota is used up (`EDQUOT`).
        case noSpace
        /// The file system is mounted read-only (`EROFS`).
        case readOnlyFileSystem
        /// The file name (or the whole path) is longer than the file system allows.
        case nameTooLong
        /// A socket has the name: neither a file to replace nor a device to write into.
        case socket
        /// Writing into a device, a pipe or a descriptor of this process failed (`errno`;
        /// a full device is `noSpace`: `Cause(writingInto:)`).
        case writingInto(errno: Int32)
        /// Any other error, with the system's message and `errno`.
        case other(errno: Int32, message: String)

        /// The cause of `errno` `code` from opening or writing into a device, a pipe or a
        /// descriptor of this process.
        public init(writingInto code: Int32) {
            self = code == ENOSPC || code == EDQUOT ? .noSpace : .writingInto(errno: code)
        }

        /// The cause of `errno` `code` from creating, writing or renaming a file in `folder`.
        public init(errno code: Int32, folder: String) {
            switch code {
            case ENOENT: self = .folderMissing(folder)
            case ENOTDIR: self = .notAFolder(folder)
            case EACCES, EPERM: self = .permissionDenied(folder)
            case EISDIR: self = .isAFolder
            case ENOSPC, EDQUOT: self = .noSpace
            case EROFS: self = .readOnlyFileSystem
            case ENAMETOOLONG: self = .nameTooLong
            default: self = .other(errno: code, message: String(cString: strerror(code)))
            }
        }
    }

    /// The file that was to be written.
    public var path: String
    /// What it was to hold ("PNG", "trace").
    public var what: String
    public var cause: Cause

    public init(path: String, what: String, cause: Cause) {
        self.path = path
        self.what = what
        self.cause = cause
    }

    /// A short machine-friendly code: `folder-missing`, `not-a-folder`, `permission-denied`,
    /// `is-a-folder`, `no-space`, `read-only`, `name-too-long`, `socket`, `write-failed`, `other`.
    public var code: String {
        switch cause {
        case .folderMissing: "folder-missing"
        case .notAFolder: "not-a-folder"
        case .permissionDenied: "permission-denied"
        case .isAFolder: "is-a-folder"
        case .noSpace: "no-space"
        case .readOnlyFileSystem: "read-only"
        case .nameTooLong: "name-too-long"
        case .socket: "socket"
        case .writingInto: "write-failed"
        case .other: "other"
        }
    }

    /// The cause in plain words.
    public var reason: String {
        switch cause {
        case .folderMissing(let folder): "the folder \(folder) does not exist"
        case .notAFolder(let folder): "\(folder) is not a folder (part of its path is a file)"
        case .permissionDenied(let folder): "permission denied: this user may not create files in \(folder)"
        case .isAFolder: "a folder of that name is in the way"
        case .noSpace: "no space left on the device (or the disk quota is used up)"
        case .readOnlyFileSystem: "the file system is read-only"
        case .nameTooLong: "the file name is too long"
        case .socket: "a socket has that name (give a file, a device or a named pipe)"
        case .writingInto(let code): "\(String(cString: strerror(code))) (errno \(code))"
        case .other(let code, let message): "\(message) (errno \(code))"
        }
    }

    public var description: String { "\(path): cannot write the \(what): \(reason)" }
}
