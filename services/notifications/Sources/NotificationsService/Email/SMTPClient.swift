import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where e-mail goes: `STYRBORD_SMTP_HOST`, `STYRBORD_SMTP_PORT` (25), `STYRBORD_SMTP_FROM`.
/// Plain SMTP only for now (a relay on the cluster network or the local sink); STARTTLS
/// and authentication are still to come (issue 8).
struct SMTPConfiguration: Sendable, Equatable {
    var host: String
    var port: Int
    var from: String

    /// nil when no SMTP host is configured: e-mail deliveries then wait, recorded.
    static func load(from environment: [String: String]) throws(SMTPError) -> SMTPConfiguration? {
        guard let host = environment["STYRBORD_SMTP_HOST"], !host.isEmpty else { return nil }
        let portText = environment["STYRBORD_SMTP_PORT"] ?? "25"
        guard let port = Int(portText), (1...65_535).contains(port) else {
            throw SMTPError(stage: "configuration", reply: "STYRBORD_SMTP_PORT must be a port number, not \(portText)")
        }
        let from = environment["STYRBORD_SMTP_FROM"] ?? "styrbord@localhost"
        guard from.contains("@"), !from.contains("\r"), !from.contains("\n") else {
            throw SMTPError(stage: "configuration", reply: "STYRBORD_SMTP_FROM must be an e-mail address, not \(from)")
        }
        return SMTPConfiguration(host: host, port: port, from: from)
    }
}

/// An SMTP exchange failed: at which stage, and what the server (or the socket) said.
struct SMTPError: Error, Sendable, CustomStringConvertible {
    var stage: String
    var reply: String
    var description: String { "SMTP \(stage) failed: \(reply)" }
}

/// A minimal blocking SMTP client (RFC 5321: EHLO, MAIL, RCPT, DATA, QUIT) over a POSIX
/// socket. Blocking: callers run it on a dedicated thread (`BlockingWorker`), never on
/// Swift's cooperative pool. No Swift SMTP library is on the machine's package mirror.
struct SMTPClient: Sendable {
    let configuration: SMTPConfiguration
    var timeoutSeconds = 10

    /// Sends one message (`message` is the full RFC 5322 text with CRLF line ends).
    func send(to recipient: String, message: String) throws(SMTPError) {
        let socket = try connect()
        defer { close(socket) }
        var reader = LineReader(socket: socket)
        try expect(220, stage: "greeting", reader: &reader)
        try command("EHLO styrbord", expect: 250, stage: "EHLO", socket: socket, reader: &reader)
        try command("MAIL FROM:<\(configuration.from)>", expect: 250, stage: "MAIL FROM", socket: socket, reader: &reader)
        try command("RCPT TO:<\(recipient)>", expect: 250, stage: "RCPT TO", socket: socket, reader: &reader)
        try command("DATA", expect: 354, stage: "DATA", socket: socket, reader: &reader)
        // Dot-stuffing (RFC 5321 §4.5.2): a line starting with "." gets another.
        let stuffed = message.components(separatedBy: "\r\n").map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n")
        try write(stuffed + "\r\n.", socket: socket)
        try expect(250, stage: "message", reader: &reader)
        try? write("QUIT", socket: socket)
    }

    private func connect() throws(SMTPError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(configuration.host, String(configuration.port), &hints, &result) == 0, let first = result else {
            throw SMTPError(stage: "connect", reply: "cannot resolve \(configuration.host)")
        }
        defer { freeaddrinfo(result) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate {
            let socket = posixSocket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            if socket >= 0 {
                var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
                setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                if posixConnect(socket, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return socket }
                close(socket)
            }
            candidate = address.pointee.ai_next
        }
        throw SMTPError(stage: "connect", reply: "\(configuration.host):\(configuration.port): \(String(cString: strerror(errno)))")
    }

    private func command(_ line: String, expect code: Int, stage: String, socket: Int32, reader: inout LineReader)
        throws(SMTPError)
    {
        try write(line, socket: socket)
        try expect(code, stage: stage, reader: &reader)
    }

    private func write(_ line: String, socket: Int32) throws(SMTPError) {
        let bytes = Array((line + "\r\n").utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { posixSend(socket, $0.baseAddress, $0.count) }
            guard count > 0 else { throw SMTPError(stage: "write", reply: String(cString: strerror(errno))) }
            sent += count
        }
    }

    /// Reads a (possibly multi-line, `250-…`) reply and checks its code.
    private func expect(_ code: Int, stage: String, reader: inout LineReader) throws(SMTPError) {
        while true {
            let line = try reader.line(stage: stage)
            guard line.count >= 3, let replyCode = Int(line.prefix(3)) else {
                throw SMTPError(stage: stage, reply: "unreadable reply \(line)")
            }
            guard replyCode == code else { throw SMTPError(stage: stage, reply: line) }
            if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " { return }
        }
    }
}

// The C functions under names that the methods and locals above do not shadow.
private func posixSocket(_ family: Int32, _ type: Int32, _ proto: Int32) -> Int32 { socket(family, type, proto) }
private func posixConnect(_ socket: Int32, _ address: UnsafePointer<sockaddr>?, _ length: socklen_t) -> Int32 {
    connect(socket, address, length)
}
private func posixSend(_ socket: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    send(socket, bytes, count, Int32(MSG_NOSIGNAL))
    #else
    send(socket, bytes, count, 0)
    #endif
}

/// CRLF-terminated lines from a socket.
private struct LineReader {
    let socket: Int32
    var buffer: [UInt8] = []

    mutating func line(stage: String) throws(SMTPError) -> String {
        while true {
            if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[..<end].filter { $0 != UInt8(ascii: "\r") }
                buffer.removeSubrange(...end)
                return String(decoding: line, as: UTF8.self)
            }
            var chunk = [UInt8](repeating: 0, count: 1024)
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else {
                throw SMTPError(stage: stage, reply: count == 0 ? "the server closed the connection" : String(cString: strerror(errno)))
            }
            buffer += chunk[..<count]
        }
    }
}
