package pgwire

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeTestCert writes a self-signed certificate for localhost and
// 127.0.0.1 and its key as PEM files in a temporary directory.
func writeTestCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", keyDER)
	return certFile, keyFile
}

func writePEM(t *testing.T, path, blockType string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// tlsHandshake runs a handshake between server and client configs over a
// net.Pipe and returns the client's view and error.
func tlsHandshake(t *testing.T, server, client *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	srv, cli := net.Pipe()
	t.Cleanup(func() { srv.Close(); cli.Close() })
	_ = srv.SetDeadline(time.Now().Add(10 * time.Second))
	_ = cli.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		_ = tls.Server(srv, server).Handshake()
		srv.Close()
	}()
	conn := tls.Client(cli, client)
	err := conn.Handshake()
	return conn.ConnectionState(), err
}

func TestTLSLoadConfig(t *testing.T) {
	certFile, keyFile := writeTestCert(t)
	cfg, err := LoadTLSConfig(certFile, keyFile)
	if err != nil {
		t.Fatalf("LoadTLSConfig: %v", err)
	}
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x, want TLS 1.2", cfg.MinVersion)
	}
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)

	tests := []struct {
		name    string
		client  *tls.Config
		wantErr bool
		wantVer uint16
	}{
		{name: "default client", client: &tls.Config{RootCAs: roots, ServerName: "localhost"}, wantVer: tls.VersionTLS13},
		{name: "TLS 1.2 client", client: &tls.Config{RootCAs: roots, ServerName: "localhost", MaxVersion: tls.VersionTLS12}, wantVer: tls.VersionTLS12},
		{name: "libpq 17 ALPN", client: &tls.Config{RootCAs: roots, ServerName: "localhost", NextProtos: []string{"postgresql"}}, wantVer: tls.VersionTLS13},
		{name: "TLS 1.1 client", client: &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, err := tlsHandshake(t, cfg, tt.client)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("handshake succeeded with version %x", state.Version)
				}
				return
			}
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if state.Version != tt.wantVer {
				t.Errorf("version = %x, want %x", state.Version, tt.wantVer)
			}
		})
	}
}

func TestTLSLoadConfigErrors(t *testing.T) {
	certFile, keyFile := writeTestCert(t)
	otherCert, otherKey := writeTestCert(t)
	dir := t.TempDir()
	tests := []struct{ name, cert, key string }{
		{"missing cert", filepath.Join(dir, "nope.crt"), keyFile},
		{"missing key", certFile, filepath.Join(dir, "nope.key")},
		{"swapped", keyFile, certFile},
		{"mismatched pair", certFile, otherKey},
		{"other mismatched pair", otherCert, keyFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := LoadTLSConfig(tt.cert, tt.key); err == nil {
				t.Error("LoadTLSConfig succeeded")
			}
		})
	}
}
