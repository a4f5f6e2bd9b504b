package pgwire

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// Test users: name → password; testAuthenticator stores only verifiers.
const (
	alicePassword = "alice-pw" // scram-sha-256
	bobPassword   = "bob-pw"   // md5 with an md5 verifier
	patPassword   = "pat-pw"   // password with a SCRAM verifier
	pamPassword   = "pam-pw"   // password with an md5 verifier
	moPassword    = "mo-pw"    // md5 with a SCRAM verifier: SCRAM is used
)

// testAuthenticator returns an Authenticator over the test users.
func testAuthenticator(t *testing.T, def AuthMethod) *Authenticator {
	t.Helper()
	scram := func(pw string) string {
		v, err := SCRAMVerifier(pw)
		if err != nil {
			t.Fatalf("SCRAMVerifier: %v", err)
		}
		return v
	}
	users := NewUsers()
	for _, u := range []User{
		{Name: "alice", Method: MethodSCRAM, Verifier: scram(alicePassword)},
		{Name: "bob", Method: MethodMD5, Verifier: MD5Verifier("bob", bobPassword)},
		{Name: "pat", Method: MethodPassword, Verifier: scram(patPassword)},
		{Name: "pam", Method: MethodPassword, Verifier: MD5Verifier("pam", pamPassword)},
		{Name: "mo", Method: MethodMD5, Verifier: scram(moPassword)},
		{Name: "scramuser", Method: MethodSCRAM, Verifier: pgScramVerifier},
		{Name: pgMD5User, Method: MethodMD5, Verifier: MD5Verifier(pgMD5User, pgMD5Password)},
		{Name: "carol", Method: MethodTrust},
		{Name: "mallory", Method: MethodReject, Verifier: scram("mallory-pw")},
	} {
		if err := users.Add(u); err != nil {
			t.Fatalf("Add(%s): %v", u.Name, err)
		}
	}
	return &Authenticator{Users: users, Default: def}
}

// clientResult is what a test client saw.
type clientResult struct {
	requests []string                // authentication requests received, in order
	ok       bool                    // AuthenticationOk arrived
	errResp  *pgproto3.ErrorResponse // the ErrorResponse, if one arrived
	err      error                   // the client itself failed
}

// clientFunc drives the client end of an authentication exchange.
type clientFunc func(fe *pgproto3.Frontend, conn net.Conn) clientResult

// sendAuthResult ends an exchange the way the connection state machine
// will: AuthenticationOk and ReadyForQuery, or the error as an
// ErrorResponse.
func sendAuthResult(be *pgproto3.Backend, authErr error) error {
	if authErr == nil {
		be.Send(&pgproto3.AuthenticationOk{})
		be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
		return be.Flush()
	}
	e := pgerr.As(authErr)
	if e == nil {
		e = pgerr.Fatal(pgerr.InternalError, "not a *pgerr.Error: %v", authErr)
	}
	be.Send(&pgproto3.ErrorResponse{
		Severity: e.Severity, SeverityUnlocalized: e.Severity,
		Code: string(e.Code), Message: e.Message, Detail: e.Detail,
	})
	return be.Flush()
}

// authPipe runs a.Authenticate for user on one end of a net.Pipe and
// client on the other, and returns both outcomes.
func authPipe(t *testing.T, a *Authenticator, user string, client clientFunc) (error, clientResult) {
	t.Helper()
	srv, cli := net.Pipe()
	deadline := time.Now().Add(10 * time.Second)
	_ = srv.SetDeadline(deadline)
	_ = cli.SetDeadline(deadline)
	t.Cleanup(func() { srv.Close(); cli.Close() })

	serverErr := make(chan error, 1)
	go func() {
		be := pgproto3.NewBackend(srv, srv)
		err := a.Authenticate(be, user)
		_ = sendAuthResult(be, err)
		srv.Close()
		serverErr <- err
	}()
	res := client(pgproto3.NewFrontend(cli, cli), cli)
	cli.Close()
	return <-serverErr, res
}

// passwordClient answers every authentication request with password, the
// way libpq does; it checks the SCRAM server signature.
func passwordClient(user, password string) clientFunc {
	return func(fe *pgproto3.Frontend, _ net.Conn) clientResult {
		var res clientResult
		var sc *testSCRAMClient
		for {
			msg, err := fe.Receive()
			if err != nil {
				res.err = err
				return res
			}
			switch m := msg.(type) {
			case *pgproto3.AuthenticationOk:
				res.ok = true
				return res
			case *pgproto3.ErrorResponse:
				e := *m
				res.errResp = &e
				return res
			case *pgproto3.AuthenticationCleartextPassword:
				res.requests = append(res.requests, "cleartext")
				fe.Send(&pgproto3.PasswordMessage{Password: password})
			case *pgproto3.AuthenticationMD5Password:
				res.requests = append(res.requests, "md5")
				inner := hexMD5(password + user)
				fe.Send(&pgproto3.PasswordMessage{Password: "md5" + hexMD5(inner+string(m.Salt[:]))})
			case *pgproto3.AuthenticationSASL:
				res.requests = append(res.requests, "sasl:"+strings.Join(m.AuthMechanisms, ","))
				sc = newTestSCRAMClient(password, "n,,")
				fe.Send(&pgproto3.SASLInitialResponse{AuthMechanism: scramMechanism, Data: []byte(sc.clientFirst())})
			case *pgproto3.AuthenticationSASLContinue:
				final, err := sc.clientFinal(string(m.Data))
				if err != nil {
					res.err = err
					return res
				}
				fe.Send(&pgproto3.SASLResponse{Data: []byte(final)})
			case *pgproto3.AuthenticationSASLFinal:
				if !sc.serverSignatureOK(string(m.Data)) {
					res.err = fmt.Errorf("bad server signature %q", m.Data)
					return res
				}
				continue
			default:
				res.err = fmt.Errorf("unexpected %T", m)
				return res
			}
			if err := fe.Flush(); err != nil {
				res.err = err
				return res
			}
		}
	}
}

func hexMD5(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// testSCRAMClient is a SCRAM-SHA-256 client written from RFC 5802 for
// the tests, independent of the server code.
type testSCRAMClient struct {
	password, nonce, gs2Header string
	bare, authMessage          string
	saltedPassword             []byte
}

func newTestSCRAMClient(password, gs2Header string) *testSCRAMClient {
	return &testSCRAMClient{password: password, nonce: "testnonce" + strconv.FormatInt(time.Now().UnixNano(), 36), gs2Header: gs2Header}
}

func (c *testSCRAMClient) clientFirst() string {
	c.bare = "n=,r=" + c.nonce
	return c.gs2Header + c.bare
}

func (c *testSCRAMClient) clientFinal(serverFirst string) (string, error) {
	attrs := strings.Split(serverFirst, ",")
	if len(attrs) != 3 || !strings.HasPrefix(attrs[0], "r="+c.nonce) {
		return "", fmt.Errorf("bad server-first %q", serverFirst)
	}
	salt, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(attrs[1], "s="))
	if err != nil {
		return "", err
	}
	iterations, err := strconv.Atoi(strings.TrimPrefix(attrs[2], "i="))
	if err != nil {
		return "", err
	}
	c.saltedPassword, err = pbkdf2.Key(sha256.New, c.password, salt, iterations, sha256.Size)
	if err != nil {
		return "", err
	}
	withoutProof := "c=" + base64.StdEncoding.EncodeToString([]byte(c.gs2Header)) + "," + attrs[0]
	c.authMessage = c.bare + "," + serverFirst + "," + withoutProof
	clientKey := hmacSHA256(c.saltedPassword, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	proof := make([]byte, sha256.Size)
	subtle.XORBytes(proof, clientKey, hmacSHA256(storedKey[:], c.authMessage))
	return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof), nil
}

func (c *testSCRAMClient) serverSignatureOK(serverFinal string) bool {
	want := hmacSHA256(hmacSHA256(c.saltedPassword, "Server Key"), c.authMessage)
	return serverFinal == "v="+base64.StdEncoding.EncodeToString(want)
}

func TestAuthenticateMethods(t *testing.T) {
	const scram = "sasl:SCRAM-SHA-256"
	tests := []struct {
		name        string
		def         AuthMethod
		user, pw    string
		wantRequest string // "" when no password is asked for
		wantCode    pgerr.Code
	}{
		{name: "scram", user: "alice", pw: alicePassword, wantRequest: scram},
		{name: "scram wrong", user: "alice", pw: bobPassword, wantRequest: scram, wantCode: pgerr.InvalidPassword},
		{name: "scram postgres verifier", user: "scramuser", pw: pgScramPassword, wantRequest: scram},
		{name: "md5", user: "bob", pw: bobPassword, wantRequest: "md5"},
		{name: "md5 wrong", user: "bob", pw: alicePassword, wantRequest: "md5", wantCode: pgerr.InvalidPassword},
		{name: "md5 postgres verifier", user: pgMD5User, pw: pgMD5Password, wantRequest: "md5"},
		{name: "md5 with scram verifier", user: "mo", pw: moPassword, wantRequest: scram},
		{name: "md5 with scram verifier wrong", user: "mo", pw: "x", wantRequest: scram, wantCode: pgerr.InvalidPassword},
		{name: "password scram", user: "pat", pw: patPassword, wantRequest: "cleartext"},
		{name: "password scram wrong", user: "pat", pw: "x", wantRequest: "cleartext", wantCode: pgerr.InvalidPassword},
		{name: "password md5", user: "pam", pw: pamPassword, wantRequest: "cleartext"},
		{name: "password md5 wrong", user: "pam", pw: "x", wantRequest: "cleartext", wantCode: pgerr.InvalidPassword},
		{name: "password empty", user: "pat", pw: "", wantRequest: "cleartext", wantCode: pgerr.InvalidPassword},
		{name: "trust", user: "carol"},
		{name: "reject", user: "mallory", pw: "mallory-pw", wantCode: pgerr.InvalidAuthorizationSpec},
		{name: "unknown default reject", def: MethodReject, user: "dave", wantCode: pgerr.InvalidAuthorizationSpec},
		{name: "unknown default empty", user: "dave", wantCode: pgerr.InvalidAuthorizationSpec},
		{name: "unknown default trust", def: MethodTrust, user: "dave"},
		{name: "unknown default scram", def: MethodSCRAM, user: "dave", pw: "x", wantRequest: scram, wantCode: pgerr.InvalidPassword},
		{name: "unknown default md5", def: MethodMD5, user: "dave", pw: "x", wantRequest: scram, wantCode: pgerr.InvalidPassword},
		{name: "unknown default password", def: MethodPassword, user: "dave", pw: "x", wantRequest: "cleartext", wantCode: pgerr.InvalidPassword},
		{name: "unknown default bogus", def: "ident", user: "dave", wantCode: pgerr.InvalidAuthorizationSpec},
		{name: "known user ignores default", def: MethodTrust, user: "alice", pw: "x", wantRequest: scram, wantCode: pgerr.InvalidPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testAuthenticator(t, tt.def)
			serverErr, res := authPipe(t, a, tt.user, passwordClient(tt.user, tt.pw))
			if res.err != nil {
				t.Fatalf("client: %v", res.err)
			}
			if got := strings.Join(res.requests, " "); got != tt.wantRequest {
				t.Errorf("requests = %q, want %q", got, tt.wantRequest)
			}
			if tt.wantCode == "" {
				if serverErr != nil || !res.ok {
					t.Fatalf("Authenticate = %v, client ok %v; want success", serverErr, res.ok)
				}
				return
			}
			checkFatal(t, serverErr, res, tt.wantCode)
			if tt.wantCode == pgerr.InvalidPassword {
				want := fmt.Sprintf("password authentication failed for user %q", tt.user)
				if res.errResp.Message != want {
					t.Errorf("message = %q, want %q", res.errResp.Message, want)
				}
			}
		})
	}
}

// checkFatal checks that Authenticate failed with a FATAL code and that
// the client received it.
func checkFatal(t *testing.T, serverErr error, res clientResult, code pgerr.Code) {
	t.Helper()
	e := pgerr.As(serverErr)
	if e == nil || e.Code != code || !pgerr.IsFatal(serverErr) {
		t.Fatalf("Authenticate = %#v, want FATAL %s", serverErr, code)
	}
	if res.ok || res.errResp == nil {
		t.Fatalf("client got ok=%v error=%v, want ErrorResponse %s", res.ok, res.errResp, code)
	}
	if res.errResp.Code != string(code) || res.errResp.Severity != pgerr.SeverityFatal {
		t.Errorf("client got %s %s %q, want FATAL %s", res.errResp.Severity, res.errResp.Code, res.errResp.Message, code)
	}
}

// saslClient sends mechanism and first in SASLInitialResponse and then,
// unless final is nil, final(serverFirst) in SASLResponse, and reports
// how the server answered.
func saslClient(mechanism, first string, final func(serverFirst string) string) clientFunc {
	return func(fe *pgproto3.Frontend, _ net.Conn) clientResult {
		var res clientResult
		for {
			msg, err := fe.Receive()
			if err != nil {
				res.err = err
				return res
			}
			switch m := msg.(type) {
			case *pgproto3.AuthenticationOk:
				res.ok = true
				return res
			case *pgproto3.ErrorResponse:
				e := *m
				res.errResp = &e
				return res
			case *pgproto3.AuthenticationSASL:
				fe.Send(&pgproto3.SASLInitialResponse{AuthMechanism: mechanism, Data: []byte(first)})
			case *pgproto3.AuthenticationSASLContinue:
				if final == nil {
					res.err = errors.New("no client-final to send")
					return res
				}
				fe.Send(&pgproto3.SASLResponse{Data: []byte(final(string(m.Data)))})
			default:
				res.err = fmt.Errorf("unexpected %T", m)
				return res
			}
			if err := fe.Flush(); err != nil {
				res.err = err
				return res
			}
		}
	}
}

// serverNonce returns the r= value of a server-first-message.
func serverNonce(serverFirst string) string {
	r, _, _ := strings.Cut(serverFirst, ",")
	return strings.TrimPrefix(r, "r=")
}

func TestAuthenticateProtocolViolations(t *testing.T) {
	zeroProof := base64.StdEncoding.EncodeToString(make([]byte, 32))
	finalWith := func(binding, nonceSuffix, proof string) func(string) string {
		return func(serverFirst string) string {
			return "c=" + binding + ",r=" + serverNonce(serverFirst) + nonceSuffix + ",p=" + proof
		}
	}
	tests := []struct {
		name   string
		client clientFunc
	}{
		{"PLUS mechanism", saslClient("SCRAM-SHA-256-PLUS", "p=tls-server-end-point,,n=,r=abc", nil)},
		{"unknown mechanism", saslClient("PLAIN", "\x00alice\x00pw", nil)},
		{"empty client-first", saslClient(scramMechanism, "", nil)},
		{"channel binding", saslClient(scramMechanism, "p=tls-server-end-point,,n=,r=abc", nil)},
		{"authzid", saslClient(scramMechanism, "n,a=postgres,n=,r=abc", nil)},
		{"mandatory extension", saslClient(scramMechanism, "n,,m=x,n=,r=abc", nil)},
		{"no nonce", saslClient(scramMechanism, "n,,n=", nil)},
		{"garbage client-first", saslClient(scramMechanism, "\xff\xfe\x00,,,", nil)},
		{"oversized client-first", saslClient(scramMechanism, "n,,n=,r="+strings.Repeat("a", 70000), nil)},
		{"empty client-final", saslClient(scramMechanism, "n,,n=,r=abc", func(string) string { return "" })},
		{"nonce mismatch", saslClient(scramMechanism, "n,,n=,r=abc", finalWith("biws", "x", zeroProof))},
		{"binding mismatch", saslClient(scramMechanism, "n,,n=,r=abc", finalWith("eSws", "", zeroProof))},
		{"short proof", saslClient(scramMechanism, "n,,n=,r=abc", finalWith("biws", "", "AAAA"))},
		{"bad base64 proof", saslClient(scramMechanism, "n,,n=,r=abc", finalWith("biws", "", "%%%%"))},
		{"query instead of SASL", func(fe *pgproto3.Frontend, _ net.Conn) clientResult {
			if _, err := fe.Receive(); err != nil {
				return clientResult{err: err}
			}
			fe.Send(&pgproto3.Query{String: "SELECT 1"})
			return readResult(fe)
		}},
		{"undecodable SASLInitialResponse", func(fe *pgproto3.Frontend, conn net.Conn) clientResult {
			if _, err := fe.Receive(); err != nil {
				return clientResult{err: err}
			}
			if _, err := conn.Write([]byte{'p', 0, 0, 0, 9, 'S', 'C', 'R', 'A', 'M'}); err != nil {
				return clientResult{err: err}
			}
			return readResult(fe)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			serverErr, res := authPipe(t, testAuthenticator(t, MethodReject), "alice", tt.client)
			if res.err != nil {
				t.Fatalf("client: %v", res.err)
			}
			checkFatal(t, serverErr, res, pgerr.ProtocolViolation)
		})
	}
}

// readResult flushes and reads the server's verdict.
func readResult(fe *pgproto3.Frontend) clientResult {
	if err := fe.Flush(); err != nil {
		return clientResult{err: err}
	}
	msg, err := fe.Receive()
	switch m := msg.(type) {
	case *pgproto3.ErrorResponse:
		e := *m
		return clientResult{errResp: &e}
	case *pgproto3.AuthenticationOk:
		return clientResult{ok: true}
	default:
		return clientResult{err: fmt.Errorf("got %T, %v", msg, err)}
	}
}

func TestAuthenticateClientGone(t *testing.T) {
	tests := []struct {
		name   string
		user   string
		client clientFunc
	}{
		{"hang up at SASL", "alice", func(fe *pgproto3.Frontend, conn net.Conn) clientResult {
			_, err := fe.Receive()
			conn.Close()
			return clientResult{err: err}
		}},
		{"terminate at md5", "bob", func(fe *pgproto3.Frontend, _ net.Conn) clientResult {
			_, err := fe.Receive()
			if err == nil {
				fe.Send(&pgproto3.Terminate{})
				err = fe.Flush()
			}
			return clientResult{err: err}
		}},
		{"hang up mid-SCRAM", "alice", func(fe *pgproto3.Frontend, conn net.Conn) clientResult {
			_, err := fe.Receive()
			if err == nil {
				fe.Send(&pgproto3.SASLInitialResponse{AuthMechanism: scramMechanism, Data: []byte("n,,n=,r=abc")})
				err = fe.Flush()
			}
			if err == nil {
				_, err = fe.Receive()
			}
			conn.Close()
			return clientResult{err: err}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			serverErr, res := authPipe(t, testAuthenticator(t, MethodReject), tt.user, tt.client)
			if res.err != nil {
				t.Fatalf("client: %v", res.err)
			}
			if !errors.Is(serverErr, ErrClientGone) {
				t.Fatalf("Authenticate = %v, want ErrClientGone", serverErr)
			}
			if pgerr.CodeOf(serverErr) != pgerr.ConnectionException || !pgerr.IsFatal(serverErr) {
				t.Errorf("Authenticate = %#v, want FATAL 08000", serverErr)
			}
		})
	}
}

// TestAuthenticateResetsAuthType checks that a 'p' message after a SCRAM
// exchange decodes as a PasswordMessage again, not a SASL message.
func TestAuthenticateResetsAuthType(t *testing.T) {
	srv, cli := net.Pipe()
	t.Cleanup(func() { srv.Close(); cli.Close() })
	_ = srv.SetDeadline(time.Now().Add(10 * time.Second))
	_ = cli.SetDeadline(time.Now().Add(10 * time.Second))
	done := make(chan clientResult, 1)
	go func() {
		fe := pgproto3.NewFrontend(cli, cli)
		res := passwordClient("alice", alicePassword)(fe, cli)
		fe.Send(&pgproto3.PasswordMessage{Password: "after"})
		if err := fe.Flush(); err != nil && res.err == nil {
			res.err = err
		}
		done <- res
	}()
	be := pgproto3.NewBackend(srv, srv)
	if err := testAuthenticator(t, MethodReject).Authenticate(be, "alice"); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	be.Send(&pgproto3.AuthenticationOk{})
	if err := be.Flush(); err != nil {
		t.Fatal(err)
	}
	msg, err := be.Receive()
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if pm, ok := msg.(*pgproto3.PasswordMessage); !ok || pm.Password != "after" {
		t.Errorf("after auth got %#v, want PasswordMessage", msg)
	}
	if res := <-done; res.err != nil || !res.ok {
		t.Errorf("client: ok %v err %v", res.ok, res.err)
	}
}

// authTestListener is a TEST-ONLY stand-in for the connection state
// machine, so that real clients (pgconn) can drive Authenticate: it
// answers SSLRequest ('S' and a TLS handshake when tlsConfig is set, else
// 'N'), reads the StartupMessage, runs Authenticate, then sends
// AuthenticationOk and ReadyForQuery (or the ErrorResponse) and waits for
// the client to leave. It is not product code.
type authTestListener struct {
	ln        net.Listener
	auth      *Authenticator
	tlsConfig *tls.Config

	mu       sync.Mutex   // guards received
	received bytes.Buffer // everything clients sent after the TLS layer
}

// clientBytes returns everything clients sent so far.
func (l *authTestListener) clientBytes() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.received.String()
}

// recordingReader copies what it reads into its listener's record.
type recordingReader struct {
	l *authTestListener
	r io.Reader
}

func (rr recordingReader) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	rr.l.mu.Lock()
	rr.l.received.Write(p[:n])
	rr.l.mu.Unlock()
	return n, err
}

// startAuthTestListener listens on an ephemeral loopback port until the
// test ends.
func startAuthTestListener(t *testing.T, a *Authenticator, tlsConfig *tls.Config) *authTestListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	l := &authTestListener{ln: ln, auth: a, tlsConfig: tlsConfig}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer conn.Close()
				l.serve(conn)
			})
		}
	})
	return l
}

// serve runs one connection's startup and authentication.
func (l *authTestListener) serve(conn net.Conn) {
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	be := pgproto3.NewBackend(recordingReader{l, conn}, conn)
	for {
		msg, err := be.ReceiveStartupMessage()
		if err != nil {
			return // e.g. pgx hanging up after 'N'
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest:
			if l.tlsConfig == nil {
				if _, err := conn.Write([]byte("N")); err != nil {
					return
				}
				continue
			}
			if _, err := conn.Write([]byte("S")); err != nil {
				return
			}
			tlsConn := tls.Server(conn, l.tlsConfig)
			if err := tlsConn.Handshake(); err != nil {
				return
			}
			conn = tlsConn
			be = pgproto3.NewBackend(recordingReader{l, conn}, conn)
		case *pgproto3.GSSEncRequest:
			if _, err := conn.Write([]byte("N")); err != nil {
				return
			}
		case *pgproto3.StartupMessage:
			authErr := l.auth.Authenticate(be, m.Parameters["user"])
			if sendAuthResult(be, authErr) != nil || authErr != nil {
				return
			}
			for { // until Terminate or hang-up
				if msg, err := be.Receive(); err != nil || isTerminate(msg) {
					return
				}
			}
		default:
			return
		}
	}
}

func isTerminate(msg pgproto3.FrontendMessage) bool {
	_, ok := msg.(*pgproto3.Terminate)
	return ok
}

// connect connects with pgconn as user with password; extra is added to
// the connection string (sslmode, require_auth, ...).
func (l *authTestListener) connect(t *testing.T, user, password, extra string) error {
	t.Helper()
	port := l.ln.Addr().(*net.TCPAddr).Port
	cfg, err := pgconn.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d dbname=app connect_timeout=10 %s", port, extra))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	cfg.User, cfg.Password = user, password
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

func TestAuthenticatePgconn(t *testing.T) {
	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
	certFile, keyFile := writeTestCert(t)
	tlsConfig, err := LoadTLSConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	a := testAuthenticator(t, MethodReject)
	// Two spellings of "pässwörd": the verifier is made from the composed
	// form, the client sends the decomposed one; SASLprep makes them equal.
	nfcVerifier, err := SCRAMVerifier("p\u00e4ssw\u00f6rd")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Users.Add(User{Name: "zoë", Method: MethodSCRAM, Verifier: nfcVerifier}); err != nil {
		t.Fatal(err)
	}
	plain := startAuthTestListener(t, a, nil)
	withTLS := startAuthTestListener(t, a, tlsConfig)
	strangers := startAuthTestListener(t, &Authenticator{Users: a.Users, Default: MethodSCRAM}, nil)

	tests := []struct {
		name     string
		l        *authTestListener
		user, pw string
		extra    string
		wantCode string // "" for success
		wantSent string // the client sent this (SCRAM gs2 header)
	}{
		{name: "scram", l: plain, user: "alice", pw: alicePassword, extra: "sslmode=disable require_auth=scram-sha-256", wantSent: "n,,n=,r="},
		{name: "scram prefer falls back", l: plain, user: "alice", pw: alicePassword, extra: "sslmode=prefer"},
		{name: "scram postgres verifier", l: plain, user: "scramuser", pw: pgScramPassword, extra: "sslmode=disable"},
		{name: "scram saslprep", l: plain, user: "zoë", pw: "pa\u0308sswo\u0308rd", extra: "sslmode=disable"},
		{name: "scram wrong", l: plain, user: "alice", pw: "nope", extra: "sslmode=disable", wantCode: "28P01"},
		{name: "md5", l: plain, user: "bob", pw: bobPassword, extra: "sslmode=disable require_auth=md5"},
		{name: "md5 wrong", l: plain, user: "bob", pw: "nope", extra: "sslmode=disable", wantCode: "28P01"},
		{name: "md5 method, scram verifier", l: plain, user: "mo", pw: moPassword, extra: "sslmode=disable require_auth=scram-sha-256"},
		{name: "cleartext", l: plain, user: "pat", pw: patPassword, extra: "sslmode=disable require_auth=password"},
		{name: "cleartext md5 verifier", l: plain, user: "pam", pw: pamPassword, extra: "sslmode=disable"},
		{name: "cleartext wrong", l: plain, user: "pat", pw: "nope", extra: "sslmode=disable", wantCode: "28P01"},
		{name: "trust", l: plain, user: "carol", extra: "sslmode=disable"},
		{name: "reject", l: plain, user: "mallory", pw: "mallory-pw", extra: "sslmode=disable", wantCode: "28000"},
		{name: "unknown rejected", l: plain, user: "dave", pw: "x", extra: "sslmode=disable", wantCode: "28000"},
		{name: "unknown scram", l: strangers, user: "dave", pw: "x", extra: "sslmode=disable", wantCode: "28P01"},
		{name: "tls scram", l: withTLS, user: "alice", pw: alicePassword, extra: "sslmode=require", wantSent: "y,,n=,r="},
		{name: "tls scram wrong", l: withTLS, user: "alice", pw: "nope", extra: "sslmode=require", wantCode: "28P01"},
		{name: "tls md5", l: withTLS, user: "bob", pw: bobPassword, extra: "sslmode=require"},
		{name: "tls cleartext", l: withTLS, user: "pat", pw: patPassword, extra: "sslmode=require"},
		{name: "tls verify-full", l: withTLS, user: "alice", pw: alicePassword, extra: "sslmode=verify-full sslrootcert=" + certFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.l.connect(t, tt.user, tt.pw, tt.extra)
			if !strings.Contains(tt.l.clientBytes(), tt.wantSent) {
				t.Errorf("client never sent %q", tt.wantSent)
			}
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("connect: %v", err)
				}
				return
			}
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) {
				t.Fatalf("connect err = %v, want a PgError %s", err, tt.wantCode)
			}
			if pgErr.Code != tt.wantCode || pgErr.Severity != "FATAL" {
				t.Errorf("got %s %s %q, want FATAL %s", pgErr.Severity, pgErr.Code, pgErr.Message, tt.wantCode)
			}
		})
	}
}

func TestAuthenticateNilRejects(t *testing.T) {
	var a *Authenticator
	serverErr, res := authPipe(t, a, "alice", passwordClient("alice", alicePassword))
	if res.err != nil {
		t.Fatalf("client: %v", res.err)
	}
	checkFatal(t, serverErr, res, pgerr.InvalidAuthorizationSpec)
}
