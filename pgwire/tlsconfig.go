package pgwire

import (
	"crypto/tls"
	"fmt"
)

// alpnPostgreSQL is the ALPN protocol PostgreSQL 17 servers and clients
// use. Clients that send no ALPN (all but libpq 17+) are unaffected.
const alpnPostgreSQL = "postgresql"

// LoadTLSConfig returns a server TLS configuration for the PEM certificate
// chain and private key in certFile and keyFile: TLS 1.2 or later, Go's
// default (secure) cipher suites and curves, and the "postgresql" ALPN
// protocol. The caller does the SSLRequest handshake and wraps the
// connection with tls.Server.
func LoadTLSConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load TLS key pair %q, %q: %w", certFile, keyFile, err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{alpnPostgreSQL},
	}, nil
}
