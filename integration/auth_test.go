package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"math/big"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lib/pq"
)

// addUser runs `replisql user add`, feeding the password on stdin.
func addUser(t *testing.T, usersFile, name, method, password string) {
	t.Helper()
	cmd := exec.Command(binaryPath(t), "user", "add", "--users-file", usersFile, "--name", name, "--method", method)
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("replisql user add --name %s --method %s: %v\n%s", name, method, err, out)
	}
}

type authUser struct {
	name, method, password string
}

var authUsers = []authUser{
	{"trust_user", "trust", ""},
	{"md5_user", "md5", "md5 secret"},
	{"scram_user", "scram-sha-256", "scram sécret ✓"},
	{"password_user", "password", "clear-secret"},
}

// TestAuth starts a node that rejects unknown users, with one user per
// method, and connects as each with the right and a wrong password through
// pgx, lib/pq and psql.
func TestAuth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	usersFile := filepath.Join(dir, "users")
	for _, u := range authUsers {
		addUser(t, usersFile, u.name, u.method, u.password)
	}
	n := startNode(t, "--users-file", usersFile, "--auth", "reject")

	type attempt struct {
		name     string
		user     string
		password string
		wantCode string // "" for success; "28" for any SQLSTATE of class 28
	}
	var attempts []attempt
	for _, u := range authUsers {
		attempts = append(attempts, attempt{u.name + "/right_password", u.name, u.password, ""})
		if u.method == "trust" {
			attempts = append(attempts, attempt{u.name + "/any_password", u.name, "whatever", ""})
			continue
		}
		attempts = append(attempts, attempt{u.name + "/wrong_password", u.name, u.password + "x", "28P01"})
	}
	attempts = append(attempts, attempt{"unknown_user", "nobody", "secret", "28"})

	clients := []struct {
		name    string
		connect func(t *testing.T, user, password string) error
	}{
		{"pgx", func(t *testing.T, user, password string) error {
			cfg, err := pgx.ParseConfig(n.dsn("user=" + user))
			if err != nil {
				t.Fatalf("parse config: %v", err)
			}
			cfg.Password = password
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			conn, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				return err
			}
			defer conn.Close(ctx)
			if got := conn.PgConn().ParameterStatus("session_authorization"); got != user {
				t.Errorf("ParameterStatus session_authorization = %q, want %q", got, user)
			}
			var one int32
			if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
				t.Errorf("SELECT 1 as %s: %v", user, err)
			}
			return nil
		}},
		{"lib_pq", func(t *testing.T, user, password string) error {
			db := openPQ(t, n.dsn("user="+user, "password="+pqQuote(password)))
			var one int
			return db.QueryRowContext(testCtx(t), "SELECT 1").Scan(&one)
		}},
	}
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			for _, a := range attempts {
				t.Run(a.name, func(t *testing.T) {
					err := c.connect(t, a.user, a.password)
					switch {
					case a.wantCode == "" && err != nil:
						t.Fatalf("connect as %s with the right password: %v", a.user, err)
					case a.wantCode == "":
					case err == nil:
						t.Fatalf("connect as %s with password %q: succeeded, want SQLSTATE %s", a.user, a.password, a.wantCode)
					case !strings.HasPrefix(sqlState(err), a.wantCode):
						t.Fatalf("connect as %s with password %q: got %q (SQLSTATE %q), want SQLSTATE %s", a.user, a.password, err, sqlState(err), a.wantCode)
					}
				})
			}
		})
	}
	t.Run("psql", func(t *testing.T) {
		psql := psqlPath(t)
		for _, a := range attempts {
			t.Run(a.name, func(t *testing.T) {
				out, err := runPSQL(t, psql, n.dsn("user="+a.user), []string{"PGPASSWORD=" + a.password}, "-At", "-c", "SELECT 1")
				switch {
				case a.wantCode == "" && (err != nil || strings.TrimSpace(out) != "1"):
					t.Fatalf("psql as %s with the right password: got %q, %v; want output 1", a.user, out, err)
				case a.wantCode == "":
				case err == nil:
					t.Fatalf("psql as %s with password %q: succeeded (%q), want a failure", a.user, a.password, out)
				case a.wantCode == "28P01" && !strings.Contains(out, "password authentication failed"):
					t.Errorf("psql as %s with a wrong password: output %q, want it to contain %q", a.user, out, "password authentication failed")
				}
			})
		}
	})
}

// pqQuote quotes a value for a libpq key=value connection string.
func pqQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

// testPKI is a CA and a server certificate for 127.0.0.1 and localhost.
type testPKI struct {
	caFile, certFile, keyFile string
}

func newTestPKI(t *testing.T, dir string) testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("CA key: %v", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "RepliSQL integration test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatalf("CA certificate: %v", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatalf("parse CA certificate: %v", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("server key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatalf("server certificate: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("marshal server key: %v", err)
	}
	pemOf := func(typ string, b []byte) string { return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b})) }
	return testPKI{
		caFile:   writeFile(t, dir, "ca.pem", pemOf("CERTIFICATE", caDER)),
		certFile: writeFile(t, dir, "server.pem", pemOf("CERTIFICATE", der)),
		keyFile:  writeFile(t, dir, "server.key", pemOf("PRIVATE KEY", keyDER)),
	}
}

// loopbackOnly makes pgx dial 127.0.0.1 for host=localhost, so that
// verify-full checks the name localhost while only 127.0.0.1 is used.
func loopbackOnly(cfg *pgx.ConnConfig) {
	cfg.LookupFunc = func(context.Context, string) ([]string, error) { return []string{"127.0.0.1"}, nil }
}

// pqLoopbackDialer is a lib/pq dialer that sends localhost to 127.0.0.1.
type pqLoopbackDialer struct{}

func (pqLoopbackDialer) Dial(network, address string) (net.Conn, error) {
	return net.Dial(network, strings.Replace(address, "localhost:", "127.0.0.1:", 1))
}

func (pqLoopbackDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	return net.DialTimeout(network, strings.Replace(address, "localhost:", "127.0.0.1:", 1), timeout)
}

// TestTLS checks sslmode=require and verify-full against a test CA, and
// that --tls-required refuses plaintext.
func TestTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pki := newTestPKI(t, dir)
	otherPKI := newTestPKI(t, t.TempDir())

	pgxConnect := func(t *testing.T, n *node, extra ...string) (*pgx.Conn, error) {
		t.Helper()
		cfg, err := pgx.ParseConfig(n.dsn(extra...))
		if err != nil {
			t.Fatalf("parse config %v: %v", extra, err)
		}
		loopbackOnly(cfg)
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			t.Cleanup(func() { conn.Close(context.Background()) })
		}
		return conn, err
	}
	checkTLSConn := func(t *testing.T, conn *pgx.Conn) {
		t.Helper()
		if _, ok := conn.PgConn().Conn().(*tls.Conn); !ok {
			t.Errorf("connection is %T, want *tls.Conn", conn.PgConn().Conn())
		}
		checkUsable(t, conn, "TLS handshake")
	}

	t.Run("optional", func(t *testing.T) {
		t.Parallel()
		n := startNode(t, "--tls-cert", pki.certFile, "--tls-key", pki.keyFile)
		for _, tc := range []struct {
			name    string
			extra   []string
			wantTLS bool
			wantErr bool
		}{
			{"pgx_require", []string{"sslmode=require"}, true, false},
			{"pgx_verify_ca", []string{"sslmode=verify-ca", "sslrootcert=" + pki.caFile}, true, false},
			{"pgx_verify_full", []string{"host=localhost", "sslmode=verify-full", "sslrootcert=" + pki.caFile}, true, false},
			{"pgx_verify_full_wrong_ca", []string{"host=localhost", "sslmode=verify-full", "sslrootcert=" + otherPKI.caFile}, false, true},
			{"pgx_disable", []string{"sslmode=disable"}, false, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				conn, err := pgxConnect(t, n, tc.extra...)
				switch {
				case tc.wantErr && err == nil:
					t.Fatalf("connect with %v: succeeded, want a certificate verification failure", tc.extra)
				case tc.wantErr:
					t.Logf("connect with %v failed as expected: %v", tc.extra, err)
				case err != nil:
					t.Fatalf("connect with %v: %v", tc.extra, err)
				case tc.wantTLS:
					checkTLSConn(t, conn)
				default:
					checkUsable(t, conn, "plaintext connect")
				}
			})
		}
		for _, tc := range []struct {
			name  string
			extra []string
		}{
			{"lib_pq_require", []string{"sslmode=require"}},
			{"lib_pq_verify_full", []string{"host=localhost", "sslmode=verify-full", "sslrootcert=" + pki.caFile}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				connector, err := pq.NewConnector(n.dsn(tc.extra...))
				if err != nil {
					t.Fatalf("pq.NewConnector: %v", err)
				}
				connector.Dialer(pqLoopbackDialer{})
				db := sql.OpenDB(connector)
				t.Cleanup(func() { db.Close() })
				var one int
				if err := db.QueryRowContext(testCtx(t), "SELECT 1").Scan(&one); err != nil || one != 1 {
					t.Fatalf("lib/pq with %v: SELECT 1 got (%d, %v)", tc.extra, one, err)
				}
			})
		}
		t.Run("psql_verify_full", func(t *testing.T) {
			psql := psqlPath(t)
			out, err := runPSQL(t, psql, n.dsn("host=localhost", "hostaddr=127.0.0.1", "sslmode=verify-full", "sslrootcert="+pki.caFile), nil,
				"-c", `\conninfo`, "-At", "-c", "SELECT 1")
			if err != nil {
				t.Fatalf("psql sslmode=verify-full: %v\n%s", err, out)
			}
			if !strings.Contains(out, "SSL connection") {
				t.Errorf("psql \\conninfo output %q does not report an SSL connection", out)
			}
		})
	})

	t.Run("required", func(t *testing.T) {
		t.Parallel()
		n := startNode(t, "--tls-cert", pki.certFile, "--tls-key", pki.keyFile, "--tls-required")
		conn, err := pgxConnect(t, n, "sslmode=require")
		if err != nil {
			t.Fatalf("sslmode=require against --tls-required: %v", err)
		}
		checkTLSConn(t, conn)
		conn, err = pgxConnect(t, n, "sslmode=prefer")
		if err != nil {
			t.Fatalf("sslmode=prefer against --tls-required: %v", err)
		}
		checkTLSConn(t, conn)
		if _, err := pgxConnect(t, n, "sslmode=disable"); err == nil {
			t.Errorf("pgx sslmode=disable against --tls-required: connected, want refused")
		} else {
			t.Logf("pgx sslmode=disable refused: %v (SQLSTATE %q)", err, sqlState(err))
		}
		db := openPQ(t, n.dsn("sslmode=disable"))
		if err := db.PingContext(testCtx(t)); err == nil {
			t.Errorf("lib/pq sslmode=disable against --tls-required: connected, want refused")
		} else {
			t.Logf("lib/pq sslmode=disable refused: %v (SQLSTATE %q)", err, sqlState(err))
		}
	})
}
