extension GEMMOperands {
  /// The pure-Swift backend.
  func runPureSwift() {
    runReference()
  }
}
