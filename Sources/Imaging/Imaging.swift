// Imaging module (DESIGN.md: files → images → pyramids).
//
// Public API, in data-flow order (details in docs/IMAGING.md):
// - `ImageDecoder.decode(contentsOf:limits:) throws(DecodeError) -> DecodedImage`
//   (JPEG, PNG, binary PGM/PPM, PFM; format by magic bytes), then `.image8()` /
//   `.imageFloat()` / `.pixels`. Many files: `ImageDecoder.Session` (`decode(contentsOf:)`,
//   `recycle(_:)`) reuses the read buffer, the libjpeg decompressor and the pixel buffer.
// - `DatasetFolder.scan(_:)` → `DatasetScan` (files, skipped, unreadableFolders);
//   `ImageSurvey.run(folder:…)` is `joulebench images`.
// - `Image<Component>` (`Image8`, `Image16`, `ImageF`): gray or interleaved RGB, row-major,
//   no padding; `grayscale()` (OpenCV-exact on 8-bit), `rgb()`, `floats()`, `uint8()`.
// - `Image8.resized(width:height:interpolation:)`: bit-exact cv2.resize INTER_LINEAR /
//   INTER_LINEAR_EXACT.
