import Testing

/// The normalisation rules replace only what they name: a rule that masked too much would let
/// real regressions through the snapshots.
struct NormalisationTests {
    @Test func tableColumnMasksOnlyNumbersUnderItsHeader() {
        let table = """
            path   decode ms  levels
            a.png       2.53      29
            b.png   12345.67       1

            after the table 1.00
            """
        #expect(Normalisation.tableColumn(header: "decode ms").apply(to: table) == """
            path   decode ms  levels
            a.png       <ms>      29
            b.png       <ms>       1

            after the table 1.00
            """)
    }

    /// A cell wider than its header shifts the table: it is left as is, so the snapshot fails.
    @Test func tableColumnLeavesAWiderCellAlone() {
        let table = "path   decode ms  levels\na.png  1234567.89      29"
        #expect(Normalisation.tableColumn(header: "decode ms").apply(to: table) == table)
    }

    @Test func numberBetweenMasksOnlyThatSentence() {
        let line = "1 detection(s) from 10 raw hits over 9 pyramid levels (expansion 6.29×) in 412.4 ms"
        #expect(Normalisation.numberBetween(prefix: ") in ", suffix: " ms").apply(to: line)
            == "1 detection(s) from 10 raw hits over 9 pyramid levels (expansion 6.29×) in <ms> ms")
    }

    @Test func jsonKeysMaskScalarsAndArraysOfTheirKeysOnly() {
        let json = """
            {
              "cpuMilliseconds" : 0.5428999999999989,
              "expansion" : 1.33203125,
              "wallTimeSeconds" : 7.1e-05,
              "wallTimesSeconds" : [
                0.25,
                0.5
              ],
              "windows" : 72
            }
            """
        #expect(Normalisation.jsonTimes.apply(to: json) == """
            {
              "cpuMilliseconds" : "<time>",
              "expansion" : 1.33203125,
              "wallTimeSeconds" : "<time>",
              "wallTimesSeconds" : "<time>",
              "windows" : 72
            }
            """)
    }
}
