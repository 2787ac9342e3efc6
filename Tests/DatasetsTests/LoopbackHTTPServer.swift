import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A minimal HTTP/1.1 file server for tests, on 127.0.0.1 and an ephemeral port only.
///
/// Serves `files[path]` for `GET path`, honours `Range: bytes=N-` with 206 unless
/// `ignoresRange`, closes every connection after one response, and can cut the body short
/// (`cutAfterBytes`, while announcing the full Content-Length) to simulate a dropped
/// connection. Requests are served one at a time on a background thread until `stop()`.
final class LoopbackHTTPServer: @unchecked Sendable {
  struct Request: Equatable {
    var path: String
    var range: String?
  }

  private let lock = NSLock()
  private var _files: [String: [UInt8]] = [:]
  private var _requests: [Request] = []
  private var _cutAfterBytes: Int?
  private var _ignoresRange = false
  private var stopped = false
  private let listener: Int32
  private let done = DispatchSemaphore(value: 0)
  /// The port the server listens on.
  let port: UInt16

  var files: [String: [UInt8]] {
    get { lock.withLock { _files } }
    set { lock.withLock { _files = newValue } }
  }
  var requests: [Request] { lock.withLock { _requests } }
  var cutAfterBytes: Int? {
    get { lock.withLock { _cutAfterBytes } }
    set { lock.withLock { _cutAfterBytes = newValue } }
  }
  var ignoresRange: Bool {
    get { lock.withLock { _ignoresRange } }
    set { lock.withLock { _ignoresRange = newValue } }
  }

  struct SocketError: Error, CustomStringConvertible {
    var call: String
    var code: Int32
    var description: String { "\(call) failed: errno \(code)" }
  }

  init() throws {
    #if canImport(Glibc)
      let socketType = Int32(SOCK_STREAM.rawValue)
    #else
      let socketType = SOCK_STREAM
    #endif
    let descriptor = socket(AF_INET, socketType, 0)
    guard descriptor >= 0 else { throw SocketError(call: "socket", code: errno) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard bound == 0, listen(descriptor, 8) == 0 else {
      let code = errno
      close(descriptor)
      throw SocketError(call: "bind/listen", code: code)
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    listener = descriptor
    port = UInt16(bigEndian: address.sin_port)
    let thread = Thread { [self] in serve() }
    thread.start()
  }

  /// The URL of `path` on this server.
  func url(_ path: String) -> URL {
    URL(string: "http://127.0.0.1:\(port)\(path)")!
  }

  /// Stops accepting connections and waits for the serving thread to end.
  func stop() {
    let wasStopped = lock.withLock {
      let previous = stopped
      stopped = true
      return previous
    }
    if wasStopped { return }
    done.wait()
    close(listener)
  }

  private func serve() {
    defer { done.signal() }
    while !lock.withLock({ stopped }) {
      var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
      let ready = poll(&poller, 1, 50)
      if ready <= 0 { continue }
      let connection = accept(listener, nil, nil)
      if connection < 0 { continue }
      handle(connection)
      close(connection)
    }
  }

  private func handle(_ connection: Int32) {
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while received.count < 65536 {
      let count = recv(connection, &buffer, buffer.count, 0)
      if count <= 0 { return }
      received += buffer[0..<count]
      if received.count >= 4, received.suffix(4) == [13, 10, 13, 10] { break }
      if String(decoding: received, as: UTF8.self).contains("\r\n\r\n") { break }
    }
    let text = String(decoding: received, as: UTF8.self)
    let lines = text.components(separatedBy: "\r\n")
    let parts = lines.first?.split(separator: " ") ?? []
    guard parts.count >= 2 else { return }
    let path = String(parts[1])
    var range: String?
    for line in lines.dropFirst() where line.lowercased().hasPrefix("range:") {
      range = line.dropFirst(6).trimmingCharacters(in: .whitespaces)
    }
    let (body, cut, ignoresRange) = lock.withLock { () -> ([UInt8]?, Int?, Bool) in
      _requests.append(Request(path: path, range: range))
      return (_files[path], _cutAfterBytes, _ignoresRange)
    }
    guard let body else {
      send(
        connection, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", [])
      return
    }
    var start = 0
    if !ignoresRange, let range, range.hasPrefix("bytes="), range.hasSuffix("-"),
      let first = Int(range.dropFirst(6).dropLast())
    {
      start = first
    }
    if start > body.count {
      send(
        connection,
        "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", [])
      return
    }
    let slice = Array(body[start...])
    var header: String
    if start > 0 {
      header =
        "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes \(start)-\(body.count - 1)/\(body.count)\r\n"
    } else {
      header = "HTTP/1.1 200 OK\r\n"
    }
    header +=
      "Content-Length: \(slice.count)\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
    send(connection, header, cut.map { Array(slice.prefix($0)) } ?? slice)
  }

  private func send(_ connection: Int32, _ header: String, _ body: [UInt8]) {
    let bytes = Array(header.utf8) + body
    var sent = 0
    while sent < bytes.count {
      let count = bytes[sent...].withUnsafeBytes { raw in
        #if canImport(Glibc)
          Glibc.send(connection, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL))
        #else
          Darwin.send(connection, raw.baseAddress, raw.count, 0)
        #endif
      }
      if count <= 0 { return }
      sent += count
    }
  }
}
