import DenseMatrix
import Foundation
import NumPyIO
import Testing
import _TestSupport

/// numpy writes, Swift reads; Swift writes, numpy reads: values compared exactly.
@Suite(
  "NPY and NPZ round trips with numpy", .enabled(if: NumPy.isAvailable, Comment(rawValue: NumPy.unavailableReason)))
struct NPYRoundTripTests {
  /// (file name, numpy expression) for every dtype, byte order, memory order and rank read.
  static let arrays: [(String, String)] = [
    ("f8_c.npy", "np.arange(12, dtype='<f8').reshape(3, 4) / 7"),
    ("f8_f.npy", "np.asfortranarray(np.arange(12, dtype='<f8').reshape(3, 4) / 7)"),
    ("f8_big.npy", "(np.arange(6, dtype='>f8').reshape(2, 3) - 2.5) * 1e300"),
    ("f4_c.npy", "(np.arange(6, dtype='<f4').reshape(2, 3) / 3).astype('<f4')"),
    ("f4_f.npy", "np.asfortranarray((np.arange(6).reshape(3, 2) / 3).astype('<f4'))"),
    ("i8.npy", "np.array([[-(2**53), 2**53], [7, -1]], dtype='<i8')"),
    ("i4_f.npy", "np.asfortranarray(np.array([[1, -2, 3], [2147483647, -2147483648, 0]], dtype='<i4'))"),
    ("one_d.npy", "np.array([0.1, -0.0, np.inf, -np.inf, 5e-324])"),
    ("zero_d.npy", "np.array(42.5)"),
    ("empty.npy", "np.zeros((0, 3))"),
    ("column.npy", "np.linspace(0, 1, 5).reshape(5, 1)"),
  ]

  @Test func numpyWritesSwiftReadsExactly() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    var script = "import json\nvalues = {}\n"
    for (name, expression) in Self.arrays {
      script +=
        "a = \(expression)\nnp.save('\(name)', a)\nvalues['\(name)'] = [list(a.shape), [repr(float(v)) for v in a.ravel(order='C')]]\n"
    }
    script += "print(json.dumps(values))\n"
    let output = try NumPy.runScript(script, in: dir.url)
    let expected = try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: [Any]]
    for (name, _) in Self.arrays {
      let array = try NPYArray(contentsOf: dir.file(name))
      let entry = expected[name]!
      #expect(array.shape == (entry[0] as! [Int]), "\(name)")
      let values = (entry[1] as! [String]).map { Double($0)! }
      #expect(array.scalars.map(\.bitPattern) == values.map(\.bitPattern), "\(name): values differ")
      if name.hasPrefix("f4") {
        // float32 stays float32: exact as Matrix<Float>, refused as Matrix<Double> unless converting.
        #expect(array.dtypeName == "float32")
        let matrix = try Matrix<Float>(npy: array)
        #expect(matrix.scalars.map { Double($0).bitPattern } == values.map(\.bitPattern))
        #expect(throws: NPYError.dtypeMismatch(found: "float32", expected: "float64")) { try Matrix(npy: array) }
        #expect(try Matrix(npy: array, converting: true).scalars == values)
      } else {
        #expect(array.dtypeName == "float64")
        let matrix = try Matrix(npy: array)
        #expect(matrix.count == values.count)
        #expect(throws: NPYError.self) { try Matrix<Float>(npy: array) }
      }
    }
    #expect(try Matrix(contentsOfNPY: dir.file("one_d.npy")).shape == Shape(rows: 5, columns: 1))
    #expect(try Matrix(contentsOfNPY: dir.file("zero_d.npy")) == Matrix([[42.5]]))
  }

  @Test(arguments: [(1, 0), (2, 0), (3, 0)])
  func everyHeaderVersion(major: Int, minor: Int) throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try NumPy.runScript(
      """
      with open('v.npy', 'wb') as f:
          np.lib.format.write_array(f, np.arange(6.0).reshape(2, 3), version=(\(major), \(minor)))
      """, in: dir.url)
    #expect(try Matrix(contentsOfNPY: dir.file("v.npy")) == Matrix([[0, 1, 2], [3, 4, 5]]))
  }

  @Test func swiftWritesNumpyReadsExactly() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    var rng = SeededGenerator(seed: 3)
    var m = Matrix.randomNormal(rows: 7, columns: 5, using: &rng)
    m[0, 0] = .infinity
    m[1, 1] = -0.0
    m[2, 2] = .leastNonzeroMagnitude
    try m.writeNPY(to: dir.file("m.npy"))
    try Matrix.zeros(rows: 0, columns: 4).writeNPY(to: dir.file("empty.npy"))
    let out = try NumPy.runScript(
      """
      a = np.load('m.npy')
      assert a.dtype == np.float64 and a.shape == (7, 5) and a.flags.c_contiguous
      np.save('again.npy', a)
      e = np.load('empty.npy')
      assert e.shape == (0, 4)
      print(' '.join(repr(float(v)) for v in a.ravel()))
      """, in: dir.url)
    let values = out.split(separator: " ").map { Double($0.trimmingCharacters(in: .whitespacesAndNewlines))! }
    #expect(values.map(\.bitPattern) == m.scalars.map(\.bitPattern))
    // Byte for byte what np.save writes for the same array.
    let ours = try Data(contentsOf: dir.file("m.npy"))
    let numpys = try Data(contentsOf: dir.file("again.npy"))
    #expect(ours == numpys)
  }

  /// A `Matrix<Float>` is written as `<f4`, byte for byte what `np.save` writes for the same
  /// float32 array, and read back exactly.
  @Test func float32RoundTripsLikeNumpy() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    var rng = SeededGenerator(seed: 4)
    var m = Matrix<Float>.randomNormal(rows: 6, columns: 3, using: &rng)
    m[0, 0] = -.infinity
    m[1, 1] = -0.0
    m[2, 2] = .leastNonzeroMagnitude
    try m.writeNPY(to: dir.file("f.npy"))
    let out = try NumPy.runScript(
      """
      a = np.load('f.npy')
      assert a.dtype == np.float32 and a.shape == (6, 3), (a.dtype, a.shape)
      np.save('again.npy', a)
      print(' '.join(repr(float(v)) for v in a.ravel()))
      """, in: dir.url)
    let values = out.split(separator: " ").map { Float($0.trimmingCharacters(in: .whitespacesAndNewlines))! }
    #expect(values.map(\.bitPattern) == m.scalars.map(\.bitPattern))
    #expect(try Data(contentsOf: dir.file("f.npy")) == Data(contentsOf: dir.file("again.npy")))
    #expect(
      try Matrix<Float>(contentsOfNPY: dir.file("f.npy")).scalars.map(\.bitPattern) == m.scalars.map(\.bitPattern))
  }

  @Test(arguments: [false, true])
  func npzBothWays(compressed: Bool) throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try NumPy.runScript(
      """
      save = np.savez_compressed if \(compressed ? "True" : "False") else np.savez
      save('numpy.npz', W_hh=np.eye(3) * 0.5, W_hx=np.arange(6.0).reshape(3, 2), b=np.array([1.0, 2.0, 3.0]))
      """, in: dir.url)
    let archive = try NPZArchive(contentsOf: dir.file("numpy.npz"))
    #expect(archive.names == ["W_hh", "W_hx", "b"])
    #expect(try archive.matrix(named: "W_hx") == Matrix([[0, 1], [2, 3], [4, 5]]))
    #expect(try archive.matrix(named: "b") == Matrix(column: [1, 2, 3]))
    #expect(throws: NPYError.missingArray(name: "W_xh", available: ["W_hh", "W_hx", "b"])) {
      try archive.matrix(named: "W_xh")
    }

    var ours = NPZArchive(matrices: ["a": Matrix([[1.5, -2]]), "b": Matrix.identity(3)])
    ours.set(NPYArray(shape: [2, 2, 2], scalars: (0..<8).map(Double.init)), named: "cube")
    try ours.write(to: dir.file("swift.npz"), compressed: compressed)
    let out = try NumPy.runScript(
      """
      z = np.load('swift.npz')
      assert sorted(z.files) == ['a', 'b', 'cube'], z.files
      assert (z['a'] == np.array([[1.5, -2.0]])).all() and (z['b'] == np.eye(3)).all()
      assert (z['cube'] == np.arange(8.0).reshape(2, 2, 2)).all()
      print('ok')
      """, in: dir.url)
    #expect(out.contains("ok"))
  }
}
