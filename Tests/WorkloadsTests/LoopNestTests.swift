import Testing
@testable import Workloads

/// AlexNet CONV1 as Eyeriss ran it (ISCA 2016 Table II shape): 96 filters of 11×11×3,
/// stride 4, 227×227 input, 55×55 output.
@Test func alexNetConv1MACs() {
    let nest = LoopNest(M: 96, C: 3, H: 227, W: 227, P: 55, Q: 55, R: 11, S: 11, strideH: 4, strideW: 4)
    let shape = OperatorShape.convolution(name: "conv1", loopNest: nest, hasBias: true)
    #expect(shape.macs == 105_415_200)
    #expect(shape.weightWords == 96 * 3 * 11 * 11 + 96)
    #expect(shape.kind == .conv)
    #expect(LoopNest.outputExtent(input: 227, filter: 11, stride: 4, padBefore: 0, padAfter: 0) == 55)
}

@Test func depthwiseIsRecognised() {
    let nest = LoopNest(M: 32, C: 32, H: 112, W: 112, P: 112, Q: 112, R: 3, S: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 32)
    let shape = OperatorShape.convolution(name: "dw", loopNest: nest, hasBias: false)
    #expect(shape.kind == .depthwiseConv)
    #expect(shape.macs == 32 * 112 * 112 * 9)
}

/// Absurd extents (a malformed file's padding, an `--input-shape` of 2^63) give -1, which
/// shape checking refuses, instead of an arithmetic-overflow trap; stride 0 likewise.
@Test func outputExtentRefusesOverflowInsteadOfTrapping() {
    #expect(LoopNest.outputExtent(input: Int.max, filter: 3, stride: 2, padBefore: 1, padAfter: 1) == -1)
    #expect(LoopNest.outputExtent(input: 8, filter: 3, stride: 1, padBefore: Int.max, padAfter: 1) == -1)
    #expect(LoopNest.outputExtent(input: 8, filter: Int.max, stride: 1, padBefore: 0, padAfter: 0, dilation: 2) == -1)
    #expect(LoopNest.outputExtent(input: 8, filter: 3, stride: 0, padBefore: 1, padAfter: 1) == -1)
    #expect(LoopNest.outputExtent(input: 224, filter: 3, stride: 2, padBefore: 1, padAfter: 1) == 112)
    #expect(LoopNest.outputExtent(input: 12, filter: 3, stride: 1, padBefore: 2, padAfter: 2, dilation: 2) == 12)
}
