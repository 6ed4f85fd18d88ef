internal import CCurl

/// The one place where libcurl's C API is called and its status codes become Swift values.
///
/// A `CurlEasy` owns one easy handle, and with it one connection cache: as long
/// as transfers succeed, the next transfer on the same handle reuses the open
/// connection. It is used by one thread at a time.
final class CurlEasy {
  let handle: UnsafeMutableRawPointer

  /// Creates an easy handle, loading libcurl first if this process has not yet.
  init() throws(CurlError) {
    try CurlGlobal.load()
    guard let handle = ccurl_easy_init() else {
      throw CurlError(code: CURLE_OUT_OF_MEMORY, option: CURLOPT_URL)
    }
    self.handle = handle
  }

  deinit { ccurl_easy_cleanup(handle) }

  func set(_ option: CURLoption, _ value: Int) throws(CurlError) {
    try check(ccurl_easy_setopt_long(handle, option, value), option)
  }

  func set(_ option: CURLoption, _ value: Bool) throws(CurlError) {
    try set(option, value ? 1 : 0)
  }

  func set(_ option: CURLoption, _ value: String?) throws(CurlError) {
    let code: CURLcode =
      if let value { ccurl_easy_setopt_string(handle, option, value) } else {
        ccurl_easy_setopt_string(handle, option, nil)
      }
    try check(code, option)
  }

  func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws(CurlError) {
    try check(ccurl_easy_setopt_pointer(handle, option, pointer), option)
  }

  func set(_ option: CURLoption, list: CurlStringList) throws(CurlError) {
    try check(ccurl_easy_setopt_slist(handle, option, list.head), option)
  }

  func set(_ option: CURLoption, size: Int64) throws(CurlError) {
    try check(ccurl_easy_setopt_off_t(handle, option, curl_off_t(size)), option)
  }

  func setReadCallback(_ callback: ccurl_read_callback?) throws(CurlError) {
    try check(ccurl_easy_setopt_read_callback(handle, callback), CURLOPT_READFUNCTION)
  }

  func setWriteCallback(_ callback: ccurl_write_callback?) throws(CurlError) {
    try check(ccurl_easy_setopt_write_callback(handle, callback), CURLOPT_WRITEFUNCTION)
  }

  func setDebugCallback(_ callback: ccurl_debug_callback?) throws(CurlError) {
    try check(ccurl_easy_setopt_debug_callback(handle, callback), CURLOPT_DEBUGFUNCTION)
  }

  /// Runs one transfer and returns libcurl's result code (`CURLE_OK` on success).
  func perform() -> CURLcode { ccurl_easy_perform(handle) }

  /// The last response code the server sent (`CURLINFO_RESPONSE_CODE`), 0 when none.
  var responseCode: Int {
    var code = 0
    _ = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
    return code
  }

  /// The errno of the last failed connect, 0 when none.
  var osErrno: Int {
    var value = 0
    _ = ccurl_easy_getinfo_long(handle, CURLINFO_OS_ERRNO, &value)
    return value
  }

  private func check(_ code: CURLcode, _ option: CURLoption) throws(CurlError) {
    guard code == CURLE_OK else { throw CurlError(code: code, option: option) }
  }
}

/// libcurl refused an option: the libcurl on this machine lacks a feature `intro` needs.
struct CurlError: Error, CustomStringConvertible {
  let code: CURLcode
  let option: CURLoption
  /// Why libcurl itself could not be loaded, when that is what failed.
  var loadFailure: String? = nil

  var description: String {
    if let loadFailure {
      return "\(loadFailure) (install libcurl: on Debian, apt-get install libcurl4)"
    }
    return "libcurl refused option \(option.rawValue): \(CurlGlobal.describe(code))"
      + " (is libcurl 7.85 or later with OpenSSL installed? run 'intro doctor')"
  }
}

/// A `curl_slist`, freed when the value goes away.
final class CurlStringList {
  private(set) var head: UnsafeMutablePointer<curl_slist>?

  init(_ strings: [String]) {
    for string in strings { head = ccurl_slist_append(head, string) }
  }

  deinit { ccurl_slist_free_all(head) }
}

/// Process-wide libcurl state.
enum CurlGlobal {
  /// Opens the system libcurl and initialises it, once per process, before
  /// any handle is made (commands that never send never load it).
  static func load() throws(CurlError) {
    if let failure = ccurl_load() {
      throw CurlError(code: CURLE_FAILED_INIT, option: CURLOPT_URL, loadFailure: String(cString: failure))
    }
  }

  /// libcurl's own one-line description of a result code.
  static func describe(_ code: CURLcode) -> String {
    guard ccurl_load() == nil else { return "libcurl error \(code.rawValue)" }
    return String(cString: ccurl_easy_strerror(code))
  }

  /// The libcurl version and its TLS backend, e.g. `libcurl/7.88.1 OpenSSL/3.0.11`,
  /// or why libcurl could not be loaded.
  static var versionDescription: String {
    if let failure = ccurl_load() { return String(cString: failure) }
    return String(cString: ccurl_version())
  }
}
