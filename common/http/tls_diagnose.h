// Names why a TLS connection fails. cpprestsdk reports a refused handshake as "Failed to read
// HTTP status line" or "handshake: …" and keeps OpenSSL's verdict to itself, so after a failed
// https request the client makes one more connection of its own with the same settings and reads
// the cause from OpenSSL: a missing client certificate, an unknown CA, a name mismatch, or what
// else broke the handshake.
#pragma once

#include <chrono>
#include <string>

#include "common/http/client.h"

namespace edgerepl::http {

// Connects to host:port, handshakes as the client would (roots, caFile, client certificate,
// insecureSkipVerify, SNI and the host-name check) and waits up to a moment for an alert the
// server sends after the handshake (TLS 1.3 refuses a missing client certificate only then).
// Returns "" when TLS works (or the TCP connection itself fails: that is not a TLS cause), else
// a message starting "TLS: ", e.g. "TLS: remote requires a client certificate".
std::string DiagnoseTls(const std::string& host, int port, const TlsOptions& tls,
                        std::chrono::milliseconds timeout);

}  // namespace edgerepl::http
