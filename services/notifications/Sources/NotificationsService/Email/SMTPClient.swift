import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Where and how e-mail goes:
/// - `STYRBORD_SMTP_HOST`, `STYRBORD_SMTP_PORT` (25), `STYRBORD_SMTP_FROM`;
/// - `STYRBORD_SMTP_SECURITY`: `none` (a relay on a trusted network or the local sink),
///   `starttls` (RFC 3207: plain connect, then TLS before anything else is said; refused
///   if the server does not offer it) or `tls` (TLS from the first byte, "SMTPS", 465);
/// - `STYRBORD_SMTP_USERNAME` / `STYRBORD_SMTP_PASSWORD`: AUTH PLAIN (RFC 4954), only ever
///   sent over TLS unless security is `none`;
/// - `STYRBORD_SMTP_CA_FILE`: PEM certificates trusted besides the system's (a city CA).
struct SMTPConfiguration: Sendable, Equatable {
    enum Security: String, Sendable, CaseIterable { case none, starttls, tls }

    var host: String
    var port: Int
    var from: String
    var security: Security = .none
    var username: String?
    var password: String?
    var caFile: String?

    /// nil when no SMTP host is configured: e-mail deliveries then wait, recorded.
    static func load(from environment: [String: String]) throws(SMTPError) -> SMTPConfiguration? {
        guard let host = environment["STYRBORD_SMTP_HOST"], !host.isEmpty else { return nil }
        let securityText = environment["STYRBORD_SMTP_SECURITY"].flatMap { $0.isEmpty ? nil : $0 } ?? "none"
        guard let security = Security(rawValue: securityText) else {
            throw SMTPError(stage: "configuration", reply: "STYRBORD_SMTP_SECURITY must be none, starttls or tls, not \(securityText)")
        }
        let portText = environment["STYRBORD_SMTP_PORT"].flatMap { $0.isEmpty ? nil : $0 } ?? (security == .tls ? "465" : "25")
        guard let port = Int(portText), (1...65_535).contains(port) else {
            throw SMTPError(stage: "configuration", reply: "STYRBORD_SMTP_PORT must be a port number, not \(portText)")
        }
        let from = environment["STYRBORD_SMTP_FROM"] ?? "styrbord@localhost"
        guard from.contains("@"), !from.contains("\r"), !from.contains("\n") else {
            throw SMTPError(stage: "configuration", reply: "STYRBORD_SMTP_FROM must be an e-mail address, not \(from)")
        }
        let username = environment["STYRBORD_SMTP_USERNAME"].flatMap { $0.isEmpty ? nil : $0 }
        let password = environment["STYRBORD_SMTP_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        guard (username == nil) == (password == nil) else {
            throw SMTPError(
                stage: "configuration", reply: "STYRBORD_SMTP_USERNAME and STYRBORD_SMTP_PASSWORD must be set together")
        }
        let caFile = environment["STYRBORD_SMTP_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw SMTPError(stage: "configuration", reply: "STYRBORD_SMTP_CA_FILE names \(caFile), which cannot be read")
        }
        return SMTPConfiguration(
            host: host, port: port, from: from, security: security, username: username, password: password, caFile: caFile)
    }
}

/// An SMTP exchange failed: at which stage, and what the server (or the connection) said.
struct SMTPError: Error, Sendable, CustomStringConvertible {
    var stage: String
    var reply: String
    var description: String { "SMTP \(stage) failed: \(reply)" }
}

/// A small SMTP client (RFC 5321: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, QUIT) on
/// SwiftNIO with NIOSSL for TLS. One connection per message: the volume is a city's
/// notifications, not a newsletter.
struct SMTPClient: Sendable {
    let configuration: SMTPConfiguration
    /// The longest a whole exchange may take.
    var timeout: Duration = .seconds(30)

    /// Sends one message (`message` is the full RFC 5322 text with CRLF line ends).
    func send(to recipient: String, message: String) async throws(SMTPError) {
        do {
            try await exchange(to: recipient, message: message)
        } catch let error as SMTPError {
            throw error
        } catch {
            throw SMTPError(stage: "connection", reply: "\(error)")
        }
    }

    private func tlsContext() throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = configuration.caFile { tls.additionalTrustRoots = [.file(caFile)] }
        return try NIOSSLContext(configuration: tls)
    }

    /// The name the certificate must carry (and SNI); nil for an IP address.
    private var serverHostname: String? {
        (try? SocketAddress(ipAddress: configuration.host, port: 0)) != nil ? nil : configuration.host
    }

    private func exchange(to recipient: String, message: String) async throws {
        let context = configuration.security == .none ? nil : try tlsContext()
        let implicitTLS = configuration.security == .tls
        let hostname = serverHostname
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicitTLS, let context {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: hostname))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        // A silent server must not hold a delivery forever: closing ends every read.
        let watchdog = Task { [timeout] in
            try await Task.sleep(for: timeout)
            channel.channel.close(promise: nil)
        }
        defer { watchdog.cancel() }
        try await channel.executeThenClose { inbound, outbound in
            var replies = ReplyReader(inbound.makeAsyncIterator())
            func say(_ line: String) async throws {
                try await outbound.write(ByteBuffer(string: line + "\r\n"))
            }
            func command(_ line: String, expect code: Int, stage: String) async throws -> [String] {
                try await say(line)
                return try await replies.expect(code, stage: stage)
            }
            _ = try await replies.expect(220, stage: "greeting")
            var extensions = try await command("EHLO styrbord", expect: 250, stage: "EHLO")
            if configuration.security == .starttls {
                guard extensions.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else {
                    throw SMTPError(stage: "STARTTLS", reply: "the server does not offer STARTTLS; refusing to send in clear")
                }
                _ = try await command("STARTTLS", expect: 220, stage: "STARTTLS")
                guard let context else { throw SMTPError(stage: "STARTTLS", reply: "no TLS context") }
                let raw = channel.channel
                try await raw.eventLoop.submit {
                    try raw.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: hostname), position: .first)
                }.get()
                extensions = try await command("EHLO styrbord", expect: 250, stage: "EHLO after STARTTLS")
            }
            if let username = configuration.username, let password = configuration.password {
                guard extensions.contains(where: { $0.uppercased().hasPrefix("AUTH") && $0.uppercased().contains("PLAIN") }) else {
                    throw SMTPError(stage: "AUTH", reply: "the server does not offer AUTH PLAIN here")
                }
                let credentials = Data(([0] + Array(username.utf8) + [0] + Array(password.utf8))).base64EncodedString()
                _ = try await command("AUTH PLAIN \(credentials)", expect: 235, stage: "AUTH")
            }
            _ = try await command("MAIL FROM:<\(configuration.from)>", expect: 250, stage: "MAIL FROM")
            _ = try await command("RCPT TO:<\(recipient)>", expect: 250, stage: "RCPT TO")
            _ = try await command("DATA", expect: 354, stage: "DATA")
            // Dot-stuffing (RFC 5321 §4.5.2): a line starting with "." gets another.
            let stuffed = message.components(separatedBy: "\r\n").map { $0.hasPrefix(".") ? "." + $0 : $0 }
                .joined(separator: "\r\n")
            _ = try await command(stuffed + "\r\n.", expect: 250, stage: "message")
            try? await say("QUIT")
        }
    }
}

/// SMTP replies from a byte stream: lines up to CRLF, multi-line replies (`250-…`) joined.
private struct ReplyReader {
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    var buffer: [UInt8] = []

    init(_ iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) {
        self.iterator = iterator
    }

    mutating func line(stage: String) async throws -> String {
        while true {
            if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[..<end].filter { $0 != UInt8(ascii: "\r") }
                buffer.removeSubrange(...end)
                return String(decoding: line, as: UTF8.self)
            }
            guard var chunk = try await iterator.next() else {
                throw SMTPError(stage: stage, reply: "the server closed the connection")
            }
            buffer += chunk.readBytes(length: chunk.readableBytes) ?? []
        }
    }

    /// Reads one reply, checks its code, and returns the text of its lines (for EHLO: the
    /// extensions the server offers).
    mutating func expect(_ code: Int, stage: String) async throws -> [String] {
        var texts: [String] = []
        while true {
            let line = try await line(stage: stage)
            guard line.count >= 3, let replyCode = Int(line.prefix(3)) else {
                throw SMTPError(stage: stage, reply: "unreadable reply \(line)")
            }
            guard replyCode == code else { throw SMTPError(stage: stage, reply: line) }
            texts.append(String(line.dropFirst(4)))
            if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " { return texts }
        }
    }
}
