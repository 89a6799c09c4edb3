import Foundation
import Imaging

/// Draws detection boxes on a copy of an image (gray input becomes RGB).
public enum HOGDrawing {
    /// The image with each box outlined `thicknessPixels` wide (inside the box, clipped to
    /// the image) in `color` (R, G, B).
    public static func draw(_ boxes: [HOGDetection], on image: Image<UInt8>, thicknessPixels: Int = 2,
                            color: (UInt8, UInt8, UInt8) = (0, 255, 0)) -> Image<UInt8> {
        let w = image.width, h = image.height
        var rgb: [UInt8]
        if image.channelCount == 3 { rgb = image.components } else {
            rgb = [UInt8](repeating: 0, count: w * h * 3)
            for i in 0..<(w * h) { let v = image.components[i]; rgb[3 * i] = v; rgb[3 * i + 1] = v; rgb[3 * i + 2] = v }
        }
        func fill(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) {
            let xa = max(x0, 0), ya = max(y0, 0), xb = min(x1, w), yb = min(y1, h)
            guard xa < xb, ya < yb else { return }
            for y in ya..<yb {
                for x in xa..<xb {
                    let k = (y * w + x) * 3
                    rgb[k] = color.0; rgb[k + 1] = color.1; rgb[k + 2] = color.2
                }
            }
        }
        let t = max(thicknessPixels, 1)
        for b in boxes {
            fill(b.x, b.y, b.x + b.width, b.y + t)                        // top
            fill(b.x, b.y + b.height - t, b.x + b.width, b.y + b.height)  // bottom
            fill(b.x, b.y, b.x + t, b.y + b.height)                       // left
            fill(b.x + b.width - t, b.y, b.x + b.width, b.y + b.height)   // right
        }
        return Image<UInt8>(width: w, height: h, layout: .rgb, components: rgb)
    }
}
