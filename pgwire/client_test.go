package pgwire

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// Tests with real clients (pgconn, pgx) against the protocol server and
// the test session double.

func connString(addr, extra string) string {
	host, port, _ := net.SplitHostPort(addr)
	return fmt.Sprintf("host=%s port=%s user=alice dbname=postgres sslmode=disable connect_timeout=5 %s", host, port, extra)
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func pgconnConnect(t *testing.T, addr, extra string) *pgconn.PgConn {
	t.Helper()
	conn, err := pgconn.Connect(testCtx(t), connString(addr, extra))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a PgError %s", err, code)
	}
	if pe.Code != code {
		t.Fatalf("got %s %q, want %s", pe.Code, pe.Message, code)
	}
}

func TestPgconnSimpleAndExtended(t *testing.T) {
	_, addr := startTestServer(t, Config{}, &testHandler{})
	conn := pgconnConnect(t, addr, "application_name=pgwiretest")
	ctx := testCtx(t)

	if got := conn.ParameterStatus("server_version"); got != DefaultServerVersion {
		t.Errorf("server_version = %q", got)
	}
	if got := conn.ParameterStatus("application_name"); got != "pgwiretest" {
		t.Errorf("application_name = %q", got)
	}
	if conn.PID() == 0 || conn.SecretKey() == nil {
		t.Errorf("no BackendKeyData: pid %d", conn.PID())
	}

	results, err := conn.Exec(ctx, "select 1; select series 3").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || len(results[1].Rows) != 3 || string(results[1].Rows[2][0]) != "3" || results[1].CommandTag.String() != "SELECT 3" {
		t.Fatalf("results = %+v", results)
	}

	// Unnamed statement, text parameters, binary result for the int4.
	rr := conn.ExecParams(ctx, "select $1, $2", [][]byte{[]byte("42"), nil}, []uint32{OIDInt4, OIDText}, nil, []int16{1, 0}).Read()
	if rr.Err != nil {
		t.Fatal(rr.Err)
	}
	if len(rr.Rows) != 1 || !bytes.Equal(rr.Rows[0][0], []byte{0, 0, 0, 42}) || rr.Rows[0][1] != nil {
		t.Fatalf("rows = %q", rr.Rows)
	}

	// Named statement with Describe S.
	sd, err := conn.Prepare(ctx, "ps", "select $1, $2", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.ParamOIDs) != 2 || sd.ParamOIDs[0] != OIDInt4 || len(sd.Fields) != 2 {
		t.Fatalf("description = %+v", sd)
	}
	rr = conn.ExecPrepared(ctx, "ps", [][]byte{[]byte("7"), []byte("8")}, nil, nil).Read()
	if rr.Err != nil || string(rr.Rows[0][0]) != "7" {
		t.Fatalf("ExecPrepared: %v %q", rr.Err, rr.Rows)
	}
	if err := conn.Deallocate(ctx, "ps"); err != nil {
		t.Fatal(err)
	}

	// Errors keep their fields; the connection goes on.
	_, err = conn.Exec(ctx, "syntax").ReadAll()
	wantCode(t, err, string(pgerr.SyntaxError))
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Position != 8 {
		t.Errorf("position = %d", pe.Position)
	}
	rr = conn.ExecParams(ctx, "error", nil, nil, nil, nil).Read()
	wantCode(t, rr.Err, string(pgerr.DivisionByZero))
	if err := conn.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	// Notices reach the client's handler.
	var notices []string
	cfg, _ := pgconn.ParseConfig(connString(addr, ""))
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { notices = append(notices, n.Severity+" "+n.Message) }
	nconn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer nconn.Close(ctx)
	if _, err := nconn.Exec(ctx, "notice").ReadAll(); err != nil {
		t.Fatal(err)
	}
	if len(notices) != 1 || notices[0] != "NOTICE this is a notice" {
		t.Fatalf("notices = %q", notices)
	}
}

func TestPgconnCopy(t *testing.T) {
	_, addr := startTestServer(t, Config{}, &testHandler{})
	conn := pgconnConnect(t, addr, "")
	ctx := testCtx(t)

	tag, err := conn.CopyFrom(ctx, strings.NewReader("1\ta\n2\tb\n3\tc\n"), "copy in")
	if err != nil || tag.RowsAffected() != 3 {
		t.Fatalf("CopyFrom: %v %v", tag, err)
	}
	// A large COPY, in many CopyData messages.
	var big strings.Builder
	for i := range 100000 {
		fmt.Fprintf(&big, "%d\tsome text\n", i)
	}
	tag, err = conn.CopyFrom(ctx, strings.NewReader(big.String()), "copy in")
	if err != nil || tag.RowsAffected() != 100000 {
		t.Fatalf("CopyFrom: %v %v", tag, err)
	}
	var out bytes.Buffer
	tag, err = conn.CopyTo(ctx, &out, "copy out 3")
	if err != nil || tag.RowsAffected() != 3 || out.String() != "1\tx1\n2\tx2\n3\tx3\n" {
		t.Fatalf("CopyTo: %v %v %q", tag, err, out.String())
	}
	// A reader that fails makes pgconn send CopyFail.
	_, err = conn.CopyFrom(ctx, failingReader{}, "copy in")
	wantCode(t, err, string(pgerr.QueryCanceled))
	if err := conn.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("reader broke") }

func TestPgconnCancel(t *testing.T) {
	_, addr := startTestServer(t, Config{}, &testHandler{})
	conn := pgconnConnect(t, addr, "")
	ctx := testCtx(t)

	done := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, "sleep 20s").ReadAll()
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := conn.CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		wantCode(t, err, string(pgerr.QueryCanceled))
	case <-time.After(10 * time.Second):
		t.Fatal("the statement was not cancelled")
	}
	if err := conn.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestPgx(t *testing.T) {
	_, addr := startTestServer(t, Config{}, &testHandler{})
	ctx := testCtx(t)
	// sslmode=prefer: pgx sends SSLRequest, gets 'N', and goes on in plain text.
	conn, err := pgx.Connect(ctx, strings.Replace(connString(addr, ""), "sslmode=disable", "sslmode=prefer", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	// The statement cache: Parse + Describe S + Sync, then Bind (binary
	// int4) + Execute + Sync.
	var a int32
	var b string
	for range 3 {
		if err := conn.QueryRow(ctx, "select $1, $2::text", int32(42), "hello").Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
	}
	if a != 42 || b != "hello" {
		t.Fatalf("got %d %q", a, b)
	}
	var n []int32
	rows, err := conn.Query(ctx, "select series 5")
	if err != nil {
		t.Fatal(err)
	}
	n, err = pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil || len(n) != 5 || n[4] != 5 {
		t.Fatalf("rows %v %v", n, err)
	}

	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "insert"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	batch := &pgx.Batch{}
	batch.Queue("select 1")
	batch.Queue("select $1, $2::text", int32(1), "x")
	batch.Queue("insert")
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		t.Fatal(err)
	}
	// A failed statement in a batch.
	batch = &pgx.Batch{}
	batch.Queue("select 1")
	batch.Queue("error")
	err = conn.SendBatch(ctx, batch).Close()
	wantCode(t, err, string(pgerr.DivisionByZero))
	if err := conn.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// countingListener counts the writes to the connections it accepts.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c, writes: l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestOneWritePerRoundTrip checks that a pgbench -M prepared round trip
// (Bind, Describe P, Execute, Sync) is answered with one write.
func TestOneWritePerRoundTrip(t *testing.T) {
	srv, err := NewServer(Config{Handler: &testHandler{}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var writes atomic.Int64
	go srv.Serve(context.Background(), countingListener{Listener: ln, writes: &writes})
	defer srv.Close()

	conn := pgconnConnect(t, ln.Addr().String(), "")
	ctx := testCtx(t)
	if _, err := conn.Prepare(ctx, "P_1", "select series 3", nil); err != nil {
		t.Fatal(err)
	}
	before := writes.Load()
	const rounds = 50
	for range rounds {
		rr := conn.ExecPrepared(ctx, "P_1", nil, nil, nil).Read()
		if rr.Err != nil || len(rr.Rows) != 3 {
			t.Fatalf("%v %v", rr.Err, rr.Rows)
		}
	}
	if got := writes.Load() - before; got != rounds {
		t.Fatalf("%d writes for %d round trips", got, rounds)
	}
}

func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func TestTLS(t *testing.T) {
	h := &testHandler{}
	_, addr := startTestServer(t, Config{TLS: selfSignedTLS(t), TLSRequired: true}, h)
	ctx := testCtx(t)

	conn, err := pgconn.Connect(ctx, strings.Replace(connString(addr, ""), "sslmode=disable", "sslmode=require", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, ok := conn.Conn().(*tls.Conn); !ok {
		t.Fatalf("client connection is %T, want TLS", conn.Conn())
	}
	if _, err := conn.Exec(ctx, "select 1").ReadAll(); err != nil {
		t.Fatal(err)
	}

	// TLSRequired refuses plain text with 28000.
	_, err = pgconn.Connect(ctx, connString(addr, ""))
	wantCode(t, err, string(pgerr.InvalidAuthorizationSpec))

	// Bytes sent after SSLRequest, before the handshake, are refused
	// (CVE-2021-23214): they could come from a man in the middle.
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.SSLRequest{})
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "alice"}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	msg, err := fe.Receive()
	if e, ok := msg.(*pgproto3.ErrorResponse); err != nil || !ok || e.Code != string(pgerr.ProtocolViolation) {
		t.Fatalf("got %#v, %v; want 08P01", msg, err)
	}
}

func TestAuthentication(t *testing.T) {
	users := NewUsers()
	verifier, err := SCRAMVerifier("secret")
	if err != nil {
		t.Fatal(err)
	}
	if err := users.Add(User{Name: "alice", Method: MethodSCRAM, Verifier: verifier}); err != nil {
		t.Fatal(err)
	}
	_, addr := startTestServer(t, Config{Auth: &Authenticator{Users: users, Default: MethodReject}}, &testHandler{})
	ctx := testCtx(t)

	conn, err := pgconn.Connect(ctx, connString(addr, "password=secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "select 1").ReadAll(); err != nil {
		t.Fatal(err)
	}
	_, err = pgconn.Connect(ctx, connString(addr, "password=wrong"))
	wantCode(t, err, string(pgerr.InvalidPassword))
	_, err = pgconn.Connect(ctx, strings.Replace(connString(addr, ""), "user=alice", "user=eve", 1))
	wantCode(t, err, string(pgerr.InvalidAuthorizationSpec))
}

func TestNewSessionRefused(t *testing.T) {
	h := &testHandler{refuse: pgerr.New(pgerr.CannotConnectNow, "the database system is starting up")}
	_, addr := startTestServer(t, Config{}, h)
	_, err := pgconn.Connect(testCtx(t), connString(addr, ""))
	wantCode(t, err, string(pgerr.CannotConnectNow))
}
