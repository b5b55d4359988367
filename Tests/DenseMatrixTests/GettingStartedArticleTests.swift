import DenseMatrix
import Foundation
import Testing

/// The "Getting started" article's snippets, compiled and run here, and a check that the
/// article still shows exactly this code (so neither can drift from the other).
@Suite("Getting started article")
struct GettingStartedArticleTests {
  static let article = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Sources/DenseMatrix/Documentation.docc/GettingStarted.md")

  @Test func theSnippetsRunAndGiveTheNotebooksResults() {
    // BEGIN SNIPPETS (each block below appears verbatim in GettingStarted.md)
    let wHH = Matrix.full(rows: 3, columns: 2, value: 1)
    let wHX = Matrix.full(rows: 3, columns: 3, value: 9)
    let hPrevious = Matrix.full(rows: 2, columns: 1, value: 1)
    let x = Matrix.full(rows: 3, columns: 1, value: 9)

    let wH1 = concatenate([wHH, wHX], axis: 1)
    let wH2 = hstack([wHH, wHX])
    print(wH2)  // [[1. 1. 9. 9. 9.]
    //  [1. 1. 9. 9. 9.]
    //  [1. 1. 9. 9. 9.]]
    print(wH2.shape)  // (3, 5)

    let hx1 = concatenate([hPrevious, x], axis: 0)
    let hx2 = vstack([hPrevious, x])
    print(hx2.shape)  // (5, 1)

    let formula1 = matmul(hstack([wHH, wHX]), vstack([hPrevious, x]))
    let formula2 = matmul(wHH, hPrevious) + matmul(wHX, x)
    print(formula1)  // [[245.]
    //  [245.]
    //  [245.]]

    let same = allclose(formula1, formula2)
    print("Results are the same :", same)  // Results are the same : true

    var generator = SeededGenerator(seed: 7)
    let b = Matrix.randomNormal(rows: 3, columns: 1, using: &generator)
    let activated1 = formula1.addingColumnVector(b).sigmoid()
    let activated2 = (formula2 + b).sigmoid()
    print(allclose(activated1, activated2))  // true
    // END SNIPPETS

    // What the comments in the article claim.
    #expect(wH1 == wH2)
    #expect(wH2.description == "[[1. 1. 9. 9. 9.]\n [1. 1. 9. 9. 9.]\n [1. 1. 9. 9. 9.]]")
    #expect(wH2.shape.description == "(3, 5)")
    #expect(hx1 == hx2 && hx2.shape.description == "(5, 1)")
    #expect(formula1.description == "[[245.]\n [245.]\n [245.]]")
    #expect(same)
    #expect(allclose(activated1, activated2))
  }

  @Test func theArticleShowsExactlyThisCode() throws {
    // Compared line by line with runs of spaces collapsed, so that indentation and the
    // alignment of trailing comments (which swift-format rewrites) do not matter.
    func normalized(_ lines: some Sequence<Substring>) -> [String] {
      lines.map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        .filter { !$0.isEmpty }
    }
    let article = try String(contentsOf: Self.article, encoding: .utf8)
    let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
    let snippets = source.components(separatedBy: "// BEGIN SNIPPETS")[1].components(separatedBy: "// END SNIPPETS")[0]
    let code = normalized(snippets.split(separator: "\n").dropFirst())
    let blocks = article.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
    #expect(blocks.count == 6)
    // The article's imports are its own (CI compiles it as written); this file has its own.
    let shown = normalized(blocks.joined(separator: "\n").split(separator: "\n")).filter { !$0.hasPrefix("import ") }
    #expect(shown == code, "GettingStarted.md and this test's snippets differ")
  }
}
