import Foundation
import Testing
@testable import Imaging

/// A folder with images in sub-folders, ground truth by the naming convention, a
/// non-image file, a corrupt "image" and a zero-byte one.
func makeSuiteFolder() throws -> TemporaryDirectory {
    let directory = try TemporaryDirectory()
    let root = directory.url
    let fm = FileManager.default
    for sub in ["b", "a/deeper", "stereo", "Z"] {
        try fm.createDirectory(at: root.appendingPathComponent(sub), withIntermediateDirectories: true)
    }
    func copy(_ fixture: String, _ to: String) throws {
        try fm.copyItem(at: Fixtures.url(fixture), to: root.appendingPathComponent(to))
    }
    try copy("jpeg/420.jpg", "b/photo.jpg")
    try copy("png/rgb_8bit.png", "a/deeper/x.png")
    try copy("png/gray_8bit.png", "a/deeper/x_mask.png")
    try copy("png/rgb_8bit.png", "stereo/bike_left.png")
    try copy("png/rgb_8bit.png", "stereo/bike_right.png")
    try copy("pfm/gray_4x3_little.pfm", "stereo/bike_disp.pfm")
    try copy("jpeg/gray.jpg", "Z/capital.jpg")
    try copy("jpeg/444.jpg", "no-extension")
    try Data("hello".utf8).write(to: root.appendingPathComponent("notes.txt"))
    try Data("x".utf8).write(to: root.appendingPathComponent(".hidden.jpg"))
    try Data().write(to: root.appendingPathComponent("empty.png"))
    let truncated = try Data(contentsOf: Fixtures.url("jpeg/420.jpg")).prefix(300)
    try truncated.write(to: root.appendingPathComponent("b/broken.jpg"))
    return directory
}

@Test func folderScanIsRecursiveDeterministicAndClassifiesFiles() throws {
    let directory = try makeSuiteFolder()
    let scan = try DatasetFolder.scan(directory.url)
    // Byte-wise order: upper case before lower case, folders interleaved with files by name.
    #expect(scan.files.map(\.relativePath) == [
        "Z/capital.jpg", "a/deeper/x.png", "a/deeper/x_mask.png", "b/broken.jpg", "b/photo.jpg", "empty.png",
        "no-extension", "stereo/bike_disp.pfm", "stereo/bike_left.png", "stereo/bike_right.png",
    ])
    #expect(scan.skipped == [SkippedEntry(relativePath: "notes.txt", reason: .notAnImage)])
    #expect(scan.files.first { $0.relativePath == "no-extension" }?.format == .jpeg)
    #expect(scan.files.first { $0.relativePath == "empty.png" }?.format == nil)
    #expect(scan.files.map(\.role) == [.image, .image, .mask, .image, .image, .image, .image, .disparity, .stereoLeft, .stereoRight])
    let stereo = scan.stereoSamples
    #expect(stereo.count == 1)
    #expect(stereo.first?.name == "stereo/bike")
    #expect(stereo.first?.disparity?.relativePath == "stereo/bike_disp.pfm")
    #expect(scan.segmentationSamples.map { [$0.image.relativePath, $0.mask.relativePath] } == [["a/deeper/x.png", "a/deeper/x_mask.png"]])
    // Same result twice.
    #expect(try DatasetFolder.scan(directory.url).files == scan.files)
}

@Test func surveyReportsFailuresAndGoesOn() throws {
    let directory = try makeSuiteFolder()
    let survey = try ImageSurvey.run(folder: directory.url, pyramids: SurveyPyramids(step: 1.2, minimumWidth: 4, minimumHeight: 4, octaveLevels: 3))
    #expect(survey.entries.count == 8)
    #expect(survey.failures.map(\.relativePath) == ["b/broken.jpg", "empty.png"])
    #expect(survey.failures.map(\.code) == ["truncated", "empty"])
    let photo = try #require(survey.entries.first { $0.relativePath == "b/photo.jpg" })
    #expect(photo.width == 35 && photo.height == 21 && photo.channels == 3 && photo.bitDepth == 8 && photo.format == .jpeg)
    let plan = ScaleSchedule(step: 1.2, minimumWidth: 4, minimumHeight: 4).levels(width: 35, height: 21)
    #expect(photo.scalePyramid.levels == plan.count)
    #expect(photo.scalePyramid.pixelsPerLevel == plan.map { $0.width * $0.height })
    #expect(photo.octavePyramid.pixelsPerLevel == [35 * 21, 18 * 11, 9 * 6])
    let table = survey.table()
    #expect(table.contains("b/broken.jpg: truncated JPEG data"))
    #expect(table.contains("8 image(s) decoded, 2 failed, 1 skipped"))
    let json = try survey.json()
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
    #expect(object["schema"] as? String == "joulebench.images/1")
    let images = object["images"] as! [[String: Any]]
    #expect(Set(images[0].keys) == ["path", "format", "role", "width", "height", "channels", "bitDepth",
                                    "decodeMilliseconds", "decodeCPUMilliseconds", "decodeMeanMilliseconds",
                                    "decodeMeanCPUMilliseconds", "scalePyramid", "octavePyramid"])
    #expect(Set((images[0]["scalePyramid"] as! [String: Any]).keys) == ["levels", "pixelsPerLevel", "expansion", "milliseconds", "cpuMilliseconds"])
    #expect((object["failures"] as! [[String: Any]]).map { $0["code"] as! String } == ["truncated", "empty"])
}

@Test func unreadableFolderIsAnError() throws {
    let directory = try TemporaryDirectory()
    let missing = directory.url.appendingPathComponent("missing")
    #expect(throws: DatasetError(path: missing.path, reason: "no such file or directory")) {
        try DatasetFolder.scan(missing)
    }
    let file = directory.url.appendingPathComponent("file.jpg")
    try Data([1]).write(to: file)
    #expect(throws: DatasetError(path: file.path, reason: "not a folder")) {
        try ImageSurvey.run(folder: file)
    }
}

/// A lister that fails for folders whose relative path is in `failing` and lists the
/// real file system otherwise. Root can read any folder, so permission bits cannot make a
/// listing fail under CI (which runs as root); injecting the failure tests the scan's
/// handling of it whatever the user, not the OS's permission check itself.
func lister(root: URL, failing: Set<String>) -> DatasetFolder.DirectoryLister {
    let rootPath = root.standardizedFileURL.path
    return { folder throws(DatasetError) in
        let path = folder.standardizedFileURL.path
        let relative = path == rootPath ? "" : String(path.dropFirst(rootPath.count + 1))
        if failing.contains(relative) { throw DatasetError(path: folder.path, reason: "Permission denied") }
        return try DatasetFolder.fileSystemLister(folder)
    }
}

@Test func unreadableSubfolderIsListedAsAFailureAndTheScanGoesOn() throws {
    let directory = try makeSuiteFolder()
    let failing = lister(root: directory.url, failing: ["a", "stereo"])
    let scan = try DatasetFolder.scan(directory.url, lister: failing)
    #expect(scan.unreadableFolders == [DatasetError(path: "a", reason: "Permission denied"),
                                       DatasetError(path: "stereo", reason: "Permission denied")])
    #expect(scan.files.map(\.relativePath) == ["Z/capital.jpg", "b/broken.jpg", "b/photo.jpg", "empty.png", "no-extension"])

    let survey = try ImageSurvey.run(folder: directory.url, pyramids: SurveyPyramids(step: 1.2, minimumWidth: 4, minimumHeight: 4, octaveLevels: 3),
                                     lister: failing)
    #expect(survey.entries.map(\.relativePath) == ["Z/capital.jpg", "b/photo.jpg", "no-extension"])
    // Failures in scan order, folders among files.
    #expect(survey.failures.map(\.relativePath) == ["a", "b/broken.jpg", "empty.png", "stereo"])
    #expect(survey.failures.map(\.code) == ["unreadable-folder", "truncated", "empty", "unreadable-folder"])
    #expect(survey.failures.first?.message == "a: cannot read folder: Permission denied")
    #expect(survey.table().contains("a: cannot read folder: Permission denied"))
    let object = try JSONSerialization.jsonObject(with: Data(try survey.json().utf8)) as! [String: Any]
    let failures = object["failures"] as! [[String: Any]]
    #expect(failures.first?["path"] as? String == "a")
    #expect(failures.first?["code"] as? String == "unreadable-folder")
}

@Test func unreadableTopFolderIsStillAnError() throws {
    let directory = try makeSuiteFolder()
    let failing = lister(root: directory.url, failing: [""])
    #expect(throws: DatasetError(path: directory.url.path, reason: "Permission denied")) {
        try ImageSurvey.run(folder: directory.url, lister: failing)
    }
}

/// The real permission check, where the OS enforces it (not as root: root reads anything).
@Test(.enabled(if: geteuid() != 0, "root bypasses permission bits"))
func folderWithoutReadPermissionIsListedAsAFailure() throws {
    let directory = try makeSuiteFolder()
    let locked = directory.url.appendingPathComponent("b")
    try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: locked.path)
    defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked.path) }
    let survey = try ImageSurvey.run(folder: directory.url)
    #expect(survey.failures.map(\.code) == ["unreadable-folder", "empty"])
    #expect(survey.failures.first?.relativePath == "b")
}

/// Runs `body` on another thread and waits at most `seconds` for it; on time-out records an
/// issue, calls `unblock` (which must make `body` return) and returns nil. A regression
/// that blocks thus fails the test instead of hanging the suite.
func withinTimeout<T: Sendable>(seconds: Double, unblock: @Sendable () -> Void,
                                _ body: @escaping @Sendable () throws -> T) throws -> T? {
    let box = ResultBox<T>(), done = DispatchSemaphore(value: 0)
    Thread {
        let result = Result { try body() }
        box.lock.withLock { box.result = result }
        done.signal()
    }.start()
    if done.wait(timeout: .now() + seconds) == .timedOut {
        Issue.record("still running after \(seconds) s")
        unblock()
        _ = done.wait(timeout: .now() + seconds)
        return nil
    }
    return try box.lock.withLock { box.result! }.get()
}

/// A result handed from one thread to another under a lock.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    let lock = NSLock()
    var result: Result<T, any Error>?
}

/// Opens the FIFO at `path` for writing without blocking and closes it at once: a reader
/// blocked opening it is released and sees end of file.
@Sendable func releaseReaders(of path: String) {
    let fd = open(path, O_WRONLY | O_NONBLOCK)
    if fd >= 0 { close(fd) }
}

/// The new-user trial's hang: `mkfifo f/cam.png; joulebench images f` blocked forever
/// opening the FIFO to read its magic bytes. Pipes, devices and links to them are skipped
/// with their reason; nothing but regular files is opened.
@Test func namedPipesAndDevicesInAFolderAreSkippedNotOpened() throws {
    let directory = try TemporaryDirectory()
    let root = directory.url
    let fm = FileManager.default
    try fm.copyItem(at: Fixtures.url("jpeg/420.jpg"), to: root.appendingPathComponent("a.jpg"))
    let fifo = root.appendingPathComponent("cam.png")
    try #require(mkfifo(fifo.path, 0o600) == 0, "mkfifo: \(String(cString: strerror(errno)))")
    try fm.createSymbolicLink(atPath: root.appendingPathComponent("link-to-cam.jpg").path, withDestinationPath: fifo.path)
    try fm.createSymbolicLink(atPath: root.appendingPathComponent("null.png").path, withDestinationPath: "/dev/null")
    try fm.createSymbolicLink(atPath: root.appendingPathComponent("gone.jpg").path, withDestinationPath: root.appendingPathComponent("nowhere").path)
    let fifoPath = fifo.path
    let scan = try withinTimeout(seconds: 20, unblock: { releaseReaders(of: fifoPath) }) { try DatasetFolder.scan(root) }
    #expect(scan?.files.map(\.relativePath) == ["a.jpg"])
    #expect(scan?.skipped == [
        SkippedEntry(relativePath: "cam.png", reason: .notARegularFile(kind: "named pipe")),
        SkippedEntry(relativePath: "gone.jpg", reason: .danglingLink),
        SkippedEntry(relativePath: "link-to-cam.jpg", reason: .notARegularFile(kind: "named pipe")),
        SkippedEntry(relativePath: "null.png", reason: .notARegularFile(kind: "character device")),
    ])
    let survey = try withinTimeout(seconds: 20, unblock: { releaseReaders(of: fifoPath) }) {
        try ImageSurvey.run(folder: root, pyramids: SurveyPyramids(step: 1.2, minimumWidth: 4, minimumHeight: 4, octaveLevels: 2))
    }
    guard let survey else { return }
    #expect(survey.entries.map(\.relativePath) == ["a.jpg"])
    #expect(survey.failures.isEmpty)
    let table = survey.table()
    #expect(table.contains("1 image(s) decoded, 0 failed, 4 skipped"))
    #expect(table.contains("\nskipped:\n  cam.png: not a regular file (named pipe)\n  gone.jpg: dangling symbolic link\n"))
    let object = try JSONSerialization.jsonObject(with: Data(try survey.json().utf8)) as! [String: Any]
    #expect(object["skipped"] as? [String] == ["cam.png", "gone.jpg", "link-to-cam.jpg", "null.png"])
    #expect((object["skippedReasons"] as? [String: String])?["cam.png"] == "not a regular file (named pipe)")
}
