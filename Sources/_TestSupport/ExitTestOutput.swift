public import Testing

/// The standard error an exit test observed, as text ("" when the exit test did not run).
public func standardError(of result: ExitTest.Result?) -> String {
  String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
}
