#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
@testable import Imaging

/// `PNGWriter` and the atomic `FileOutput` under it: what is written decodes back, and a
/// write that fails says why in plain words and leaves nothing behind.
@Suite struct PNGWriterTests {
    func scratchFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("png-writer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func pattern(width: Int, height: Int, layout: ChannelLayout) -> Image<UInt8> {
        let count = width * height * layout.channelCount
        return Image(width: width, height: height, layout: layout, components: (0..<count).map { UInt8(($0 * 37 + 11) % 256) })
    }

    /// Gray and RGB, and a size whose raw stream needs several 64 KiB stored deflate blocks.
    @Test(arguments: [(ChannelLayout.gray, 7, 5), (.rgb, 3, 1), (.rgb, 150, 200)])
    func writtenPNGsDecodeToTheSameImage(layout: ChannelLayout, width: Int, height: Int) throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = pattern(width: width, height: height, layout: layout)
        let url = folder.appendingPathComponent("out.png")
        try PNGWriter.write(image, to: url)
        #expect(try ImageDecoder.decode(contentsOf: url).image8() == image)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.png"])  // no temporary left
    }

    @Test func anExistingFileIsReplacedWhole() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("out.png")
        try Data(repeating: 0xAB, count: 100_000).write(to: url)
        let image = pattern(width: 4, height: 4, layout: .gray)
        try PNGWriter.write(image, to: url)
        #expect(try Data(contentsOf: url) == Data(PNGWriter.encode(image)))
    }

    @Test func aMissingFolderIsNamed() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("no-such-folder")
        let url = missing.appendingPathComponent("boxes.png")
        let error = try #require(throws: FileWriteError.self) { try PNGWriter.write(pattern(width: 2, height: 2, layout: .rgb), to: url) }
        #expect(error.cause == .folderMissing(missing.path))
        #expect(error.code == "folder-missing")
        #expect(error.description == "\(url.path): cannot write the PNG: the folder \(missing.path) does not exist")
        #expect(!FileManager.default.fileExists(atPath: missing.path))
    }

    /// The failure the CLI used to report as "NSCocoaErrorDomain error 512": the folder exists
    /// and is writable, but a folder has the file's name. Nothing is left behind.
    @Test func aFolderInTheWayIsNamedAndNothingIsLeft() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("boxes.png")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        let error = try #require(throws: FileWriteError.self) { try PNGWriter.write(pattern(width: 2, height: 2, layout: .rgb), to: url) }
        #expect(error.cause == .isAFolder)
        #expect(error.description == "\(url.path): cannot write the PNG: a folder of that name is in the way")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["boxes.png"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: url.path).isEmpty)
    }

    /// A file where the folder should be: ENOTDIR from open(2).
    @Test func aFileInThePathIsNamed() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("plain-file")
        try Data("x".utf8).write(to: file)
        let url = file.appendingPathComponent("boxes.png")
        let error = try #require(throws: FileWriteError.self) { try FileOutput.writeAtomically([1, 2, 3], to: url, what: "trace") }
        #expect(error.cause == .notAFolder(file.path))
        #expect(error.description.hasPrefix("\(url.path): cannot write the trace: \(file.path) is not a folder"))
    }

    /// The errno values that tests cannot provoke here (the suite may run as root, which
    /// ignores permissions; a full or read-only disk cannot be made on demand), in words.
    @Test(arguments: [
        (EACCES, "permission-denied", "permission denied: this user may not create files in out"),
        (EPERM, "permission-denied", "permission denied: this user may not create files in out"),
        (ENOSPC, "no-space", "no space left on the device (or the disk quota is used up)"),
        (EDQUOT, "no-space", "no space left on the device (or the disk quota is used up)"),
        (EROFS, "read-only", "the file system is read-only"),
        (ENAMETOOLONG, "name-too-long", "the file name is too long"),
        (EIO, "other", "\(String(cString: strerror(EIO))) (errno \(EIO))"),
    ])
    func errnoBecomesPlainWords(code: Int32, expectedCode: String, reason: String) {
        let error = FileWriteError(path: "out/a.png", what: "PNG", cause: .init(errno: code, folder: "out"))
        #expect(error.code == expectedCode)
        #expect(error.reason == reason)
        #expect(error.description == "out/a.png: cannot write the PNG: \(reason)")
    }

    /// Several outputs of one command (detect's drawing and trace): when one cannot be
    /// written, none is, and an earlier file under either name keeps its content (a failed
    /// trace used to cost the older drawing).
    @Test func writeAllAtomicallyWritesNoneWhenOneCannotBeWritten() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let drawing = folder.appendingPathComponent("boxes.png")
        try Data("older drawing".utf8).write(to: drawing)
        let missing = folder.appendingPathComponent("no-such-folder")
        let trace = missing.appendingPathComponent("hog.trace.json")
        let error = try #require(throws: FileWriteError.self) {
            try FileOutput.writeAllAtomically([(Array("new drawing".utf8), drawing, "PNG"), (Array("{}".utf8), trace, "trace")])
        }
        #expect(error.path == trace.path && error.cause == .folderMissing(missing.path))
        #expect(try String(contentsOf: drawing, encoding: .utf8) == "older drawing")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["boxes.png"])

        // Both writable: both replaced.
        let second = folder.appendingPathComponent("hog.trace.json")
        try FileOutput.writeAllAtomically([(Array("new drawing".utf8), drawing, "PNG"), (Array("{}".utf8), second, "trace")])
        #expect(try String(contentsOf: drawing, encoding: .utf8) == "new drawing")
        #expect(try String(contentsOf: second, encoding: .utf8) == "{}")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["boxes.png", "hog.trace.json"])
    }

    /// What is at the output path keeps what it is (the new-user trial: `--trace /dev/full`
    /// as root turned the device node into a JSON file, a symbolic link into a plain file,
    /// and a FIFO's waiting reader got nothing). A link stays a link and its file is replaced
    /// (created, when the link dangles); a device is written into.
    @Test func linksStayLinksAndDevicesAreWrittenInto() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fm = FileManager.default
        let target = folder.appendingPathComponent("target.json"), link = folder.appendingPathComponent("link.json")
        try Data("old".utf8).write(to: target)
        try fm.createSymbolicLink(atPath: link.path, withDestinationPath: "target.json")
        try FileOutput.writeAtomically(Array("new".utf8), to: link, what: "trace")
        #expect(try fm.destinationOfSymbolicLink(atPath: link.path) == "target.json")
        #expect(try String(contentsOf: target, encoding: .utf8) == "new")

        let dangling = folder.appendingPathComponent("dangling.json"), created = folder.appendingPathComponent("made.json")
        try fm.createSymbolicLink(atPath: dangling.path, withDestinationPath: created.path)
        try FileOutput.writeAtomically(Array("made".utf8), to: dangling, what: "trace")
        #expect(try fm.destinationOfSymbolicLink(atPath: dangling.path) == created.path)
        #expect(try String(contentsOf: created, encoding: .utf8) == "made")
        #expect(try fm.contentsOfDirectory(atPath: folder.path).sorted() == ["dangling.json", "link.json", "made.json", "target.json"])

        func isCharacterDevice(_ path: String) -> Bool {
            var info = stat()
            return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFCHR
        }
        try FileOutput.writeAtomically(Array("discarded".utf8), to: URL(fileURLWithPath: "/dev/null"), what: "trace")
        #expect(isCharacterDevice("/dev/null"))
        if isCharacterDevice("/dev/full") {
            let error = try #require(throws: FileWriteError.self) {
                try FileOutput.writeAtomically(Array("x".utf8), to: URL(fileURLWithPath: "/dev/full"), what: "trace")
            }
            #expect(error.code == "no-space", "\(error)")
            #expect(isCharacterDevice("/dev/full"))

            // Both or neither: a file beside a device that cannot be written keeps its content.
            let drawing = folder.appendingPathComponent("boxes.png")
            try Data("older drawing".utf8).write(to: drawing)
            #expect(throws: FileWriteError.self) {
                try FileOutput.writeAllAtomically([(Array("new".utf8), drawing, "PNG"), (Array("{}".utf8), URL(fileURLWithPath: "/dev/full"), "trace")])
            }
            #expect(try String(contentsOf: drawing, encoding: .utf8) == "older drawing")
            #expect(!(try fm.contentsOfDirectory(atPath: folder.path)).contains { $0.contains(".tmp-") })
        }
    }

    /// `/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N` write into this process's descriptor,
    /// at its offset (`>>` appends), not over the file it points to (the review: `--trace
    /// /dev/stdout >> log.txt` replaced log.txt). Tested on a descriptor of a scratch file
    /// opened for appending, through both spellings.
    @Test(arguments: ["/dev/fd/", "/proc/self/fd/"])
    func ownDescriptorsAreWrittenIntoAtTheirOffset(prefix: String) throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("log.txt")
        try Data("old\n".utf8).write(to: log)
        let descriptor = open(log.path, O_WRONLY | O_APPEND)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var before = stat()
        stat(log.path, &before)
        try FileOutput.writeAtomically(Array("new\n".utf8), to: URL(fileURLWithPath: "\(prefix)\(descriptor)"), what: "trace")
        #expect(try String(contentsOf: log, encoding: .utf8) == "old\nnew\n")
        var after = stat()
        stat(log.path, &after)
        #expect(after.st_ino == before.st_ino)   // the same file, not a new one renamed over it
    }

    /// A replaced file keeps its mode (a 0600 trace stays private).
    @Test func aReplacedFileKeepsItsMode() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("private.json")
        try Data("old".utf8).write(to: url)
        chmod(url.path, 0o600)
        try FileOutput.writeAtomically(Array("new".utf8), to: url, what: "trace")
        var info = stat()
        stat(url.path, &info)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOf: url, encoding: .utf8) == "new")
    }

    /// A named pipe is written into, for the reader waiting on it, and stays a pipe.
    @Test func aNamedPipeIsWrittenInto() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("trace.fifo")
        try #require(mkfifo(fifo.path, 0o600) == 0, "mkfifo: \(String(cString: strerror(errno)))")
        let path = fifo.path
        let received = ReceivedBytes()
        let reader = Thread {
            received.data = FileHandle(forReadingAtPath: path)?.readDataToEndOfFile()
            received.done.signal()
        }
        reader.start()
        try FileOutput.writeAtomically(Array("through the pipe".utf8), to: fifo, what: "trace")
        #expect(received.done.wait(timeout: .now() + 20) == .success)
        #expect(received.data.map { String(decoding: $0, as: UTF8.self) } == "through the pipe")
        var info = stat()
        #expect(lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
    }

    /// PFM goes through the same writer: a typed error naming the file and the cause.
    @Test func pfmWriteNamesAMissingFolder() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("no-such-folder")
        let url = missing.appendingPathComponent("disp.pfm")
        let image = Image<Float>(width: 2, height: 1, layout: .gray, components: [1, 2])
        let error = try #require(throws: FileWriteError.self) { try PFMCodec.write(image, to: url) }
        #expect(error.description == "\(url.path): cannot write the PFM: the folder \(missing.path) does not exist")
    }
}

/// What the FIFO reader thread got.
private final class ReceivedBytes: @unchecked Sendable {
    var data: Data?
    let done = DispatchSemaphore(value: 0)
}
