internal import CCurl
import IntroMail

/// Delivers messages one after another over one SMTP connection.
///
/// The easy handle, and with it the connection, is kept between messages, so
/// the next message goes straight to `MAIL FROM`. After any failed transfer the
/// handle is thrown away: libcurl can leave the conversation out of step (after
/// a timeout, a late reply would be read as the answer to the next command),
/// and a fresh connection is cheaper than a misdelivered message.
final class SMTPSession: MailSession {
  private let configuration: SMTPConfiguration
  private let dialogue: SMTPDialogue
  private var easy: CurlEasy?

  init(configuration: SMTPConfiguration, trace: SMTPTrace?, sessionNumber: Int) {
    self.configuration = configuration
    dialogue = SMTPDialogue(trace: trace, sessionNumber: sessionNumber)
  }

  deinit { close() }

  func deliver(_ message: OutgoingMessage, bodyStarted: () -> Bool) -> DeliveryResult {
    withoutActuallyEscaping(bodyStarted) { bodyStarted in
      let transfer = BodyTransfer(bytes: message.data, dialogue: dialogue, bodyStarted: bodyStarted)
      let result = perform { easy throws(CurlError) in
        try easy.set(CURLOPT_UPLOAD, true)
        try easy.set(CURLOPT_CUSTOMREQUEST, nil as String?)
        try easy.set(CURLOPT_MAIL_FROM, "<\(message.envelope.sender.rawValue)>")
        try easy.set(CURLOPT_INFILESIZE_LARGE, size: Int64(message.data.count))
        try easy.set(CURLOPT_READDATA, pointer: Unmanaged.passUnretained(transfer).toOpaque())
        let recipients = CurlStringList(["<\(message.envelope.recipient.rawValue)>"])
        try easy.set(CURLOPT_MAIL_RCPT, list: recipients)
        return withExtendedLifetime((recipients, transfer)) { easy.perform() }
      }
      // The read callback aborted before the first body byte: the server has
      // a DATA with no end, which it discards when the connection drops.
      return transfer.heldBack ? .heldBack(at: .data) : result
    }
  }

  /// Connects, upgrades to TLS, logs in and sends `NOOP`, delivering nothing.
  func probe() -> SMTPProbeReport {
    let result = perform { easy throws(CurlError) in
      try easy.set(CURLOPT_UPLOAD, false)
      try easy.set(CURLOPT_CUSTOMREQUEST, "NOOP")
      return easy.perform()
    }
    return SMTPProbeReport(
      result: result, capabilities: dialogue.capabilities, tlsSession: dialogue.tlsSession,
      libcurlVersion: CurlGlobal.versionDescription)
  }

  func close() {
    // curl_easy_cleanup sends QUIT on a live connection.
    easy = nil
  }

  /// Runs one transfer on the session's handle and turns its outcome into a result.
  private func perform(_ transfer: (CurlEasy) throws(CurlError) -> CURLcode) -> DeliveryResult {
    dialogue.beginTransfer()
    let easy: CurlEasy
    do throws(CurlError) {
      if let existing = self.easy {
        easy = existing
      } else {
        easy = try makeHandle()
        self.easy = easy
      }
    } catch {
      return DeliveryResult(outcome: .configuration, stage: .connect, detail: error.description)
    }
    let code: CURLcode
    do throws(CurlError) {
      code = try transfer(easy)
    } catch {
      self.easy = nil
      return DeliveryResult(outcome: .configuration, stage: .connect, detail: error.description)
    }
    let responseCode = easy.responseCode
    let verdict = SMTPVerdict(
      code: code.rawValue, responseCode: responseCode, stage: dialogue.stage,
      bodyStarted: dialogue.bodyStarted)
    if code != CURLE_OK { self.easy = nil }
    return DeliveryResult(
      outcome: verdict.outcome, stage: verdict.stage,
      responseCode: responseCode > 0 ? responseCode : nil,
      serverText: dialogue.serverText,
      detail: code == CURLE_OK ? nil : CurlGlobal.describe(code))
  }

  private func makeHandle() throws(CurlError) -> CurlEasy {
    let easy = try CurlEasy()
    let c = configuration
    try easy.set(CURLOPT_URL, c.curlURL)
    try easy.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
    try easy.set(CURLOPT_REDIR_PROTOCOLS_STR, "smtp,smtps")
    try easy.set(CURLOPT_NOSIGNAL, true)
    try easy.set(CURLOPT_TCP_NODELAY, true)
    try easy.set(CURLOPT_CONNECTTIMEOUT_MS, Int(c.connectTimeout * 1000))
    try easy.set(CURLOPT_SERVER_RESPONSE_TIMEOUT, Int(c.responseTimeout.rounded(.up)))
    try easy.set(CURLOPT_TIMEOUT_MS, Int(c.messageTimeout * 1000))
    if c.scheme == "smtp" {
      let useSSL = c.tls == .required ? CURLUSESSL_ALL : CURLUSESSL_NONE
      try easy.set(CURLOPT_USE_SSL, Int(useSSL.rawValue))
    }
    try easy.set(CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
    if let caFile = c.caFile { try easy.set(CURLOPT_CAINFO, caFile) }
    switch c.authentication {
    case .none: break
    case .password(let username, let password):
      try easy.set(CURLOPT_USERNAME, username)
      try easy.set(CURLOPT_PASSWORD, password)
    case .oauth2(let username, let token):
      try easy.set(CURLOPT_USERNAME, username)
      try easy.set(CURLOPT_XOAUTH2_BEARER, token)
    }
    // The debug callback is how stages and the server's words are known, so it
    // is always on; what reaches the user's terminal is filtered by SMTPDialogue.
    try easy.set(CURLOPT_VERBOSE, true)
    try easy.setDebugCallback(debugCallback)
    try easy.set(CURLOPT_DEBUGDATA, pointer: Unmanaged.passUnretained(dialogue).toOpaque())
    try easy.setReadCallback(readCallback)
    try easy.setWriteCallback(discardCallback)
    return easy
  }
}

/// The body of one message as libcurl reads it.
private final class BodyTransfer {
  let bytes: [UInt8]
  var offset = 0
  let dialogue: SMTPDialogue
  let bodyStarted: () -> Bool
  /// `bodyStarted` said no: the transfer was aborted with no body byte sent.
  var heldBack = false

  init(bytes: [UInt8], dialogue: SMTPDialogue, bodyStarted: @escaping () -> Bool) {
    self.bytes = bytes
    self.dialogue = dialogue
    self.bodyStarted = bodyStarted
  }
}

private let readCallback: ccurl_read_callback = { buffer, size, count, userdata in
  guard let userdata else { return Int(CURL_READFUNC_ABORT) }
  let transfer = Unmanaged<BodyTransfer>.fromOpaque(userdata).takeUnretainedValue()
  if !transfer.dialogue.bodyStarted {
    // The 354 has arrived and libcurl wants the body: from here on the server
    // may accept the message even if we never hear back, so the caller records
    // that first, and may say no.
    guard transfer.bodyStarted() else {
      transfer.heldBack = true
      return Int(CURL_READFUNC_ABORT)
    }
    transfer.dialogue.bodyReadStarted()
  }
  let wanted = min(size * count, transfer.bytes.count - transfer.offset)
  if wanted == 0 {
    transfer.dialogue.bodyReadFinished()
    return 0
  }
  transfer.bytes.withUnsafeBytes { source in
    guard let base = source.baseAddress else { return }
    UnsafeMutableRawPointer(buffer).copyMemory(from: base + transfer.offset, byteCount: wanted)
  }
  transfer.offset += wanted
  if transfer.offset == transfer.bytes.count {
    // libcurl knows the size and will not ask again: what follows is the final dot.
    transfer.dialogue.bodyReadFinished()
  }
  return wanted
}

private let discardCallback: ccurl_write_callback = { _, size, count, _ in size * count }

private let debugCallback: ccurl_debug_callback = { _, type, data, size, userdata in
  guard let userdata else { return 0 }
  let dialogue = Unmanaged<SMTPDialogue>.fromOpaque(userdata).takeUnretainedValue()
  switch type {
  case CURLINFO_TEXT where !dialogue.wantsNote(UnsafeRawBufferPointer(start: data, count: size)):
    // libcurl's notes ("Re-using existing connection", "left intact", …) come
    // several per message; only the TLS summary is kept unless tracing them.
    break
  case CURLINFO_HEADER_OUT:
    dialogue.clientSent(UnsafeRawBufferPointer(start: data, count: size))
  case CURLINFO_HEADER_IN:
    dialogue.serverSent(UnsafeRawBufferPointer(start: data, count: size))
  case CURLINFO_TEXT:
    dialogue.libcurlNote(UnsafeRawBufferPointer(start: data, count: size))
  default:
    // Body bytes and raw TLS records are never looked at: they hold the message.
    break
  }
  return 0
}
