/// A detection box in input-image pixels with its SVM score.
public struct HOGDetection: Codable, Hashable, Sendable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    /// Linear-SVM score (`weights · descriptor + bias`); after OpenCV grouping, the
    /// largest score in the group.
    public var score: Double

    public init(x: Int, y: Int, width: Int, height: Int, score: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height; self.score = score
    }

    public var area: Int { max(width, 0) * max(height, 0) }

    /// Intersection over union with `other` (0 when either is empty).
    public func intersectionOverUnion(_ other: HOGDetection) -> Double {
        let ix = max(0, min(x + width, other.x + other.width) - max(x, other.x))
        let iy = max(0, min(y + height, other.y + other.height) - max(y, other.y))
        let inter = ix * iy
        let union = area + other.area - inter
        return union > 0 ? Double(inter) / Double(union) : 0
    }
}

/// How raw window hits of all pyramid levels become detections.
public enum HOGGrouping: Hashable, Sendable, Codable {
    /// OpenCV's `HOGDescriptor::groupRectangles` as `detectMultiScale` calls it: hits are
    /// partitioned into classes of similar boxes (two boxes are similar when every side
    /// differs by at most `eps · (min widths + min heights) / 2`, transitively); classes
    /// with at most `threshold` members are dropped; the survivors are the mean box of the
    /// class (rounded half to even) with the class's largest score; a class box lying
    /// inside another surviving class's box (grown by `eps` of its size) is dropped when
    /// that class has more than max(3, n) members or this one has fewer than 3.
    /// `detectMultiScale` uses threshold 2, eps 0.2. A threshold of 0 keeps every hit.
    case opencv(threshold: Int, eps: Double)
    /// Greedy non-maximum suppression: hits sorted by score (highest first) are kept
    /// unless they overlap an already kept box with IoU above `iouThreshold`.
    /// Unlike OpenCV grouping it keeps single isolated hits and never averages boxes.
    case nonMaximumSuppression(iouThreshold: Double)
    /// Every raw hit, clipped to the image.
    case none

    public static let openCVDefault = HOGGrouping.opencv(threshold: 2, eps: 0.2)
}

enum HOGGroupingKernel {
    /// OpenCV's `partition` with the similar-rectangles predicate: class labels numbered
    /// in order of their first member.
    static func partition(_ boxes: [HOGDetection], eps: Double) -> (labels: [Int], classes: Int) {
        var parent = Array(boxes.indices)
        func find(_ i: Int) -> Int {
            var r = i
            while parent[r] != r { r = parent[r] }
            var k = i
            while parent[k] != r { let n = parent[k]; parent[k] = r; k = n }
            return r
        }
        func similar(_ a: HOGDetection, _ b: HOGDetection) -> Bool {
            let delta = eps * Double(min(a.width, b.width) + min(a.height, b.height)) * 0.5
            return Double(abs(a.x - b.x)) <= delta && Double(abs(a.y - b.y)) <= delta
                && Double(abs(a.x + a.width - b.x - b.width)) <= delta
                && Double(abs(a.y + a.height - b.y - b.height)) <= delta
        }
        for i in boxes.indices {
            for j in 0..<i where similar(boxes[i], boxes[j]) {
                let ri = find(i), rj = find(j)
                if ri != rj { parent[ri] = rj }
            }
        }
        var classOfRoot: [Int: Int] = [:]
        var labels = [Int](repeating: 0, count: boxes.count)
        for i in boxes.indices {
            let r = find(i)
            if let c = classOfRoot[r] { labels[i] = c } else {
                let c = classOfRoot.count
                classOfRoot[r] = c; labels[i] = c
            }
        }
        return (labels, classOfRoot.count)
    }

    /// OpenCV's `HOGDescriptor::groupRectangles` (see ``HOGGrouping/opencv(threshold:eps:)``).
    static func groupOpenCV(_ boxes: [HOGDetection], threshold: Int, eps: Double) -> [HOGDetection] {
        if threshold <= 0 || boxes.isEmpty { return boxes }
        let (labels, nclasses) = partition(boxes, eps: eps)
        var sums = [(x: Double, y: Double, w: Double, h: Double)](repeating: (0, 0, 0, 0), count: nclasses)
        var counts = [Int](repeating: 0, count: nclasses)
        var best = [Double](repeating: -Double.greatestFiniteMagnitude, count: nclasses)
        for (i, b) in boxes.enumerated() {
            let c = labels[i]
            sums[c].x += Double(b.x); sums[c].y += Double(b.y)
            sums[c].w += Double(b.width); sums[c].h += Double(b.height)
            best[c] = max(best[c], b.score)
            counts[c] += 1
        }
        let mean: [HOGDetection] = (0..<nclasses).map { c in
            let s = 1.0 / Double(counts[c])
            func r(_ v: Double) -> Int { Int((v * s).rounded(.toNearestOrEven)) }
            return HOGDetection(x: r(sums[c].x), y: r(sums[c].y), width: r(sums[c].w), height: r(sums[c].h), score: best[c])
        }
        var kept: [HOGDetection] = []
        for i in 0..<nclasses {
            let r1 = mean[i], n1 = counts[i]
            if n1 <= threshold { continue }
            var inside = false
            for j in 0..<nclasses where j != i {
                let n2 = counts[j]
                if n2 <= threshold { continue }
                let r2 = mean[j]
                let dx = Int((Double(r2.width) * eps).rounded(.toNearestOrEven))
                let dy = Int((Double(r2.height) * eps).rounded(.toNearestOrEven))
                if r1.x >= r2.x - dx && r1.y >= r2.y - dy
                    && r1.x + r1.width <= r2.x + r2.width + dx
                    && r1.y + r1.height <= r2.y + r2.height + dy
                    && (n2 > max(3, n1) || n1 < 3) {
                    inside = true; break
                }
            }
            if !inside { kept.append(r1) }
        }
        return kept
    }

    /// Greedy non-maximum suppression (see ``HOGGrouping/nonMaximumSuppression(iouThreshold:)``).
    /// Ties in score keep the earlier hit.
    static func nonMaximumSuppression(_ boxes: [HOGDetection], iouThreshold: Double) -> [HOGDetection] {
        let order = boxes.indices.sorted { boxes[$0].score > boxes[$1].score || (boxes[$0].score == boxes[$1].score && $0 < $1) }
        var kept: [HOGDetection] = []
        for i in order where !kept.contains(where: { $0.intersectionOverUnion(boxes[i]) > iouThreshold }) {
            kept.append(boxes[i])
        }
        return kept
    }

    /// OpenCV's `clipObjects`: boxes intersected with the image, empty ones dropped.
    static func clip(_ boxes: [HOGDetection], width: Int, height: Int) -> [HOGDetection] {
        boxes.compactMap { b in
            let x0 = max(b.x, 0), y0 = max(b.y, 0)
            let x1 = min(b.x + b.width, width), y1 = min(b.y + b.height, height)
            guard x1 > x0, y1 > y0 else { return nil }
            return HOGDetection(x: x0, y: y0, width: x1 - x0, height: y1 - y0, score: b.score)
        }
    }

    static func apply(_ grouping: HOGGrouping, to hits: [HOGDetection], width: Int, height: Int) -> [HOGDetection] {
        let grouped: [HOGDetection]
        switch grouping {
        case .opencv(let threshold, let eps): grouped = groupOpenCV(hits, threshold: threshold, eps: eps)
        case .nonMaximumSuppression(let iou): grouped = nonMaximumSuppression(hits, iouThreshold: iou)
        case .none: grouped = hits
        }
        return clip(grouped, width: width, height: height)
    }
}
