/// Where `--debug` sends the SMTP dialogue.
///
/// Level 1 shows the commands and the server's replies; level 2 adds libcurl's
/// own notes (connection reuse, TLS handshake). Secrets never reach the sink:
/// `AUTH` lines and the client's answers to `334` challenges are replaced by
/// `<redacted>`, and message bodies are not shown at any level.
public struct SMTPTrace: Sendable {
  /// 1 for the dialogue, 2 to add libcurl's notes.
  public var level: Int
  /// Receives one line at a time, without a line ending.
  public var write: @Sendable (String) -> Void

  /// A trace at `level` that hands each line to `write`.
  public init(level: Int, write: @escaping @Sendable (String) -> Void) {
    self.level = level
    self.write = write
  }
}
