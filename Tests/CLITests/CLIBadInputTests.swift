import Testing

// Bad input: the exit status and the complete stderr (and that nothing, or only what is
// documented, reaches stdout). Exit statuses: 1 = the input could not be processed,
// 64 = bad command line (argument-parser's EX_USAGE).

@Suite("joulebench on bad input")
struct BadInputTests {
    static let cases: [CommandCase] = [
        // images
        CommandCase(arguments: ["images", "Tests/CLITests/Fixtures/no-such-folder"], exitStatus: 1, snapshot: "error-images-missing-folder"),
        CommandCase(arguments: ["images", fixtureFolder + "/person_120x197.jpg"], exitStatus: 1, snapshot: "error-images-not-a-folder"),
        CommandCase(arguments: ["images"], exitStatus: 64, snapshot: "error-images-no-folder"),
        CommandCase(arguments: ["images", fixtureFolder, "--step", "1"], exitStatus: 64, snapshot: "error-images-step-1"),
        CommandCase(arguments: ["images", fixtureFolder, "--step", "abc"], exitStatus: 64, snapshot: "error-images-step-abc"),
        CommandCase(arguments: ["images", fixtureFolder, "--repeats", "0"], exitStatus: 64, snapshot: "error-images-repeats-0"),
        CommandCase(arguments: ["images", fixtureFolder, "--repeats", "20000"], exitStatus: 64, snapshot: "error-images-repeats-too-many"),
        CommandCase(arguments: ["images", fixtureFolder, "--max-megapixels", "0"], exitStatus: 64, snapshot: "error-images-max-megapixels-0"),
        CommandCase(arguments: ["images", "Tests/CLITests/Fixtures/no-images"], exitStatus: 1, snapshot: "error-images-no-images"),
        // models
        CommandCase(arguments: ["models", "no_such_model"], exitStatus: 1, snapshot: "error-models-unknown-model"),
        CommandCase(arguments: ["models", "alexnet", "--batch", "0"], exitStatus: 64, snapshot: "error-models-batch-0"),
        CommandCase(arguments: ["models", "alexnet", "--batch", "5000"], exitStatus: 64, snapshot: "error-models-batch-5000"),
        CommandCase(arguments: ["models", smallONNXModel, "--input-shape", "4x3x48x192", "--batch", "2"], exitStatus: 64,
                    snapshot: "error-models-batch-contradicts-input-shape"),
        CommandCase(arguments: ["models", "alexnet", "--input-shape", "1x3x10x10"], exitStatus: 64, snapshot: "error-models-input-shape-zoo"),
        CommandCase(arguments: ["models", "--layers"], exitStatus: 64, snapshot: "error-models-layers-no-model"),
        CommandCase(arguments: ["models", "--input-shape", "1x3x48x192"], exitStatus: 64, snapshot: "error-models-input-shape-no-model"),
        CommandCase(arguments: ["models", smallONNXModel, "--input-shape", "1x3xax192"], exitStatus: 64, snapshot: "error-models-input-shape-syntax"),
        CommandCase(arguments: ["models", "Tests/CLITests/Fixtures/no-such-model.onnx"], exitStatus: 1, snapshot: "error-models-missing-onnx"),
        CommandCase(arguments: ["models", fixtureFolder + "/notes.txt"], exitStatus: 1, snapshot: "error-models-not-onnx"),
        // detect
        CommandCase(arguments: ["detect", "Tests/CLITests/Fixtures/no-such-image.jpg"], exitStatus: 1, snapshot: "error-detect-missing-image"),
        CommandCase(arguments: ["detect", fixtureFolder + "/corrupt.png"], exitStatus: 1, snapshot: "error-detect-corrupt-png"),
        CommandCase(arguments: ["detect", fixtureFolder + "/truncated.jpg"], exitStatus: 1, snapshot: "error-detect-truncated-jpeg"),
        CommandCase(arguments: ["detect", fixtureFolder + "/not-an-image.png"], exitStatus: 1, snapshot: "error-detect-not-an-image"),
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--stride", "7"], exitStatus: 64, snapshot: "error-detect-stride-7"),
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--threads", "0"], exitStatus: 64, snapshot: "error-detect-threads-0"),
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--grouping", "mean"], exitStatus: 64, snapshot: "error-detect-grouping"),
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--repeat", "0"], exitStatus: 64, snapshot: "error-detect-repeat-0"),
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--repeats", "0"], exitStatus: 64, snapshot: "error-detect-repeats-0"),
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--levels", "0"], exitStatus: 64, snapshot: "error-detect-levels-0"),
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--step", "1"], exitStatus: 64, snapshot: "error-detect-step-1"),
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--scale", "inf"], exitStatus: 64, snapshot: "error-detect-scale-inf"),
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--step", "1.1", "--scale", "1.2"], exitStatus: 64, snapshot: "error-detect-step-and-scale"),
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--draw", "boxes.jpg"], exitStatus: 64, snapshot: "error-detect-draw-jpg"),
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--bogus"], exitStatus: 64, snapshot: "error-detect-unknown-option"),
        CommandCase(arguments: ["detect", fixtureFolder, "--draw", "boxes.png"], exitStatus: 64, snapshot: "error-detect-folder-draw"),
        CommandCase(arguments: ["detect", "Tests/CLITests/Fixtures/no-images"], exitStatus: 1, snapshot: "error-detect-no-images"),
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--draw", "no-such-folder/boxes.png"], exitStatus: 64,
                    snapshot: "error-detect-draw-missing-folder"),
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--trace", "no-such-folder/t.json"], exitStatus: 64,
                    snapshot: "error-detect-trace-missing-folder"),
        // arch
        CommandCase(arguments: ["arch", archFixtures + "/negative-energy.yaml"], exitStatus: 1, snapshot: "error-arch-negative-energy"),
        CommandCase(arguments: ["arch", archFixtures + "/not-yaml.yaml"], exitStatus: 1, snapshot: "error-arch-not-yaml"),
        CommandCase(arguments: ["arch", "no-such-preset"], exitStatus: 1, snapshot: "error-arch-unknown-preset"),
        CommandCase(arguments: ["arch", "eyeris"], exitStatus: 1, snapshot: "error-arch-preset-typo"),
        CommandCase(arguments: ["arch", archFixtures], exitStatus: 1, snapshot: "error-arch-directory"),
        CommandCase(arguments: ["arch", "--yaml"], exitStatus: 64, snapshot: "error-arch-yaml-no-spec"),
        // price
        CommandCase(arguments: ["price", "alexnet"], exitStatus: 64, snapshot: "error-price-no-arch"),
        CommandCase(arguments: ["price", "alexnet", "--arch", "no-such-preset"], exitStatus: 64, snapshot: "error-price-unknown-arch"),
        CommandCase(arguments: ["price", "alexnet", "--arch", "eyeris"], exitStatus: 64, snapshot: "error-price-arch-typo"),
        CommandCase(arguments: ["price", "alexnet", "--arch", archFixtures + "/negative-energy.yaml"], exitStatus: 1, snapshot: "error-price-malformed-arch"),
        CommandCase(arguments: ["price", "no_such_model", "--arch", "eyeriss"], exitStatus: 1, snapshot: "error-price-unknown-model"),
        CommandCase(arguments: ["price", fixtureFolder + "/notes.txt", "--arch", "eyeriss"], exitStatus: 1, snapshot: "error-price-not-a-trace"),
        CommandCase(arguments: ["price", "alexnet", "--arch", "eyeriss", "--dataflow", "xy"], exitStatus: 64, snapshot: "error-price-dataflow"),
        CommandCase(arguments: ["price", "alexnet", "--arch", "eyeriss", "--precision", "int4"], exitStatus: 64, snapshot: "error-price-precision"),
        CommandCase(arguments: ["price", "alexnet", "--arch", "eyeriss", "--batch", "0"], exitStatus: 64, snapshot: "error-price-batch-0"),
        CommandCase(arguments: ["price", "alexnet", "--arch", "eyeriss", "--batch", "5000"], exitStatus: 64, snapshot: "error-price-batch-5000"),
        CommandCase(arguments: ["price", "alexnet", "--arch", "eyeriss", "--input-shape", "1x3x64x64"], exitStatus: 64,
                    snapshot: "error-price-input-shape-zoo"),
        CommandCase(arguments: ["price", "alexnet", "--arch", "eyeriss", "--zeros", "conv1=half"], exitStatus: 64, snapshot: "error-price-zeros-syntax"),
        CommandCase(arguments: ["price", "alexnet", "--arch", "eyeriss", "--benchmark", "0"], exitStatus: 64, snapshot: "error-price-benchmark-0"),
        CommandCase(arguments: ["price", "alexnet", "--arch", "eyeriss", "--benchmark", "100000000"], exitStatus: 64, snapshot: "error-price-benchmark-too-many"),
        CommandCase(arguments: ["price", "alexnet", "--arch", "eyeriss", "--zeros", "conv9=0.5"], exitStatus: 1, snapshot: "error-price-zeros-unknown-operator"),
        // infer
        CommandCase(arguments: ["infer", fixtureFolder + "/person_120x197.jpg", "mobilenet_v2"], exitStatus: 64, snapshot: "error-infer-arguments-swapped"),
        CommandCase(arguments: ["infer", "mobilenet_v2", fixtureFolder + "/person_120x197.jpg", "--trace", "no-such-folder/t.json"], exitStatus: 64,
                    snapshot: "error-infer-trace-missing-folder"),
        CommandCase(arguments: ["infer", "no_such_model", fixtureFolder + "/person_120x197.jpg"], exitStatus: 1, snapshot: "error-infer-unknown-model"),
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/no-such-image.jpg"], exitStatus: 1, snapshot: "error-infer-missing-image"),
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/truncated.jpg"], exitStatus: 1, snapshot: "error-infer-truncated-jpeg"),
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/window_64x128.png"], exitStatus: 1, snapshot: "error-infer-gray-image"),
        CommandCase(arguments: ["infer", fixtureFolder + "/notes.txt", fixtureFolder + "/person_120x197.jpg"], exitStatus: 1, snapshot: "error-infer-not-onnx"),
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--backend", "cuda"], exitStatus: 64, snapshot: "error-infer-backend"),
        CommandCase(arguments: ["infer", smallONNXModel], exitStatus: 64, snapshot: "error-infer-no-image"),
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--input-shape", "1x3x48"], exitStatus: 64,
                    snapshot: "error-infer-input-shape-syntax"),
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--input-shape", "2x3x48x192"], exitStatus: 64,
                    snapshot: "error-infer-input-shape-batch"),
        CommandCase(arguments: ["infer", "mobilenet_v2", fixtureFolder + "/person_120x197.jpg", "--input-shape", "1x3x48x192"], exitStatus: 64,
                    snapshot: "error-infer-input-shape-zoo"),
        // A shape the weights do not take: found on import (exit 1), naming the node.
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--input-shape", "1x1x48x192"], exitStatus: 1,
                    snapshot: "error-infer-input-shape-channels"),
        // Outputs that would replace an input or each other, or are no file name (found by a
        // fresh-user trial: `--trace` on the image replaced it with JSON).
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--trace", fixtureFolder + "/person_120x197.jpg"],
                    exitStatus: 64, snapshot: "error-infer-trace-is-the-image"),
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--trace", smallONNXModel],
                    exitStatus: 64, snapshot: "error-infer-trace-is-the-model"),
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--trace", ""],
                    exitStatus: 64, snapshot: "error-infer-trace-empty"),
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--trace", fixtureFolder],
                    exitStatus: 64, snapshot: "error-infer-trace-is-a-folder"),
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--precision", "int4"], exitStatus: 64,
                    snapshot: "error-infer-precision"),
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--input-shape", "1x3x9223372036854775807x2"],
                    exitStatus: 64, snapshot: "error-infer-input-shape-huge"),
        CommandCase(arguments: ["detect", fixtureFolder + "/person_120x197.jpg", "--draw", "same.png", "--trace", "same.png"], exitStatus: 64,
                    snapshot: "error-detect-draw-and-trace-same-file"),
        CommandCase(arguments: ["price", "alexnet", "--arch", "eyeriss", "--benchmark", "3", "--json"], exitStatus: 64,
                    snapshot: "error-price-benchmark-json"),
        // Negative numbers reach validation, which names the range (found by a new-user trial:
        // argument-parser took "-1" for an option and said "Missing value").
        CommandCase(arguments: ["models", "alexnet", "--batch", "-1"], exitStatus: 64, snapshot: "error-models-batch-negative"),
        CommandCase(arguments: ["price", "alexnet", "--arch", "eyeriss", "--batch", "-1"], exitStatus: 64, snapshot: "error-price-batch-negative"),
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--padding", "-8"], exitStatus: 64,
                    snapshot: "error-detect-padding-negative"),
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--nms-iou", "-1"], exitStatus: 64,
                    snapshot: "error-detect-nms-iou-negative"),
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--group-threshold", "-1"], exitStatus: 64,
                    snapshot: "error-detect-group-threshold-negative"),
        CommandCase(arguments: ["images", fixtureFolder, "--repeats", "-2"], exitStatus: 64, snapshot: "error-images-repeats-negative"),
        // A --zeros file that is not there is not a malformed list; a list whose operator
        // name has '/' (ONNX names do) is still a list.
        CommandCase(arguments: ["price", "alexnet", "--arch", "eyeriss", "--zeros", "/nonexistent.json"], exitStatus: 64,
                    snapshot: "error-price-zeros-missing-file"),
        CommandCase(arguments: ["price", "alexnet", "--arch", "eyeriss", "--zeros", "zeros.yaml"], exitStatus: 64,
                    snapshot: "error-price-zeros-missing-yaml"),
        CommandCase(arguments: ["price", "alexnet", "--arch", "eyeriss", "--zeros", "/conv1/Conv=0.5"], exitStatus: 1,
                    snapshot: "error-price-zeros-slash-name-is-a-list"),
        // An image given as the detector file.
        CommandCase(arguments: ["detect", fixtureFolder + "/window_64x128.png", "--detector", fixtureFolder + "/person_120x197.jpg"],
                    exitStatus: 1, snapshot: "error-detect-detector-is-a-jpeg"),
        // infer's normalisation options.
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--std", "0,1,1"], exitStatus: 64,
                    snapshot: "error-infer-std-zero"),
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--std", "-0.5,0.5,0.5"], exitStatus: 64,
                    snapshot: "error-infer-std-negative"),
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--mean", "0.5,0.5"], exitStatus: 64,
                    snapshot: "error-infer-mean-two-values"),
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--mean", "nan,0,0"], exitStatus: 64,
                    snapshot: "error-infer-mean-nan"),
        CommandCase(arguments: ["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--channel-order", "grb"], exitStatus: 64,
                    snapshot: "error-infer-channel-order"),
        // the root command
        CommandCase(arguments: ["no-such-command"], exitStatus: 64, snapshot: "error-unknown-subcommand"),
    ]

    @Test(arguments: cases)
    func badInput(_ c: CommandCase) throws {
        try assertCommand(c.arguments, exitStatus: c.exitStatus, snapshot: c.snapshot, normalisations: c.normalisations)
    }
}
