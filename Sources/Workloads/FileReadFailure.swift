import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a file could not be read, in the C library's words ("No such file or directory",
/// "Permission denied", "Is a directory") rather than Foundation's ("The operation could not
/// be completed. The file doesn't exist."), whose wording varies between toolchains and
/// platforms and says less. Foundation reads a folder without an errno ("error 256"): `path`,
/// when given, lets that case say "Is a directory". Other errors without an errno keep
/// Foundation's description.
public func fileReadFailureReason(_ error: any Error, path: String? = nil) -> String {
    let nsError = error as NSError
    let chain = [nsError, nsError.userInfo[NSUnderlyingErrorKey] as? NSError].compactMap { $0 }
    if let posix = chain.first(where: { $0.domain == NSPOSIXErrorDomain }) {
        return String(cString: strerror(Int32(clamping: posix.code)))
    }
    if nsError.domain == NSCocoaErrorDomain {
        switch CocoaError.Code(rawValue: nsError.code) {
        case .fileReadNoSuchFile, .fileNoSuchFile: return String(cString: strerror(ENOENT))
        case .fileReadNoPermission: return String(cString: strerror(EACCES))
        default: break
        }
    }
    var isFolder: ObjCBool = false
    if let path, FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
        return String(cString: strerror(EISDIR))
    }
    return nsError.localizedDescription
}
