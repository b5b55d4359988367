/// Stops the program with `message` unless `condition` holds, printing the message in every
/// build configuration.
///
/// The standard library's `precondition` and `preconditionFailure` print their message only in
/// debug builds: under `-O` a failure in our own module is a bare trap ("Illegal instruction"),
/// so a promise like "traps with a message naming the operation and both shapes" would hold only
/// in debug. Every trap in this package goes through here (or ``trap(_:file:line:)``), which
/// uses `fatalError`: its message is printed under `-O` too (only `-Ounchecked` drops it).
///
/// The condition is evaluated inline; the message is built only on failure.
@inlinable @inline(__always)
package func checkPrecondition(
  _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
  file: StaticString = #fileID, line: UInt = #line
) {
  if _slowPath(!condition()) { trap(message(), file: file, line: line) }
}

/// Stops the program with `message`, printed in every build configuration
/// (see ``checkPrecondition(_:_:file:line:)``).
@usableFromInline @inline(never)
package func trap(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
  fatalError(message, file: file, line: line)
}
