package pgwire

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/rs/zerolog"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// runServer starts a server that the test shuts down itself.
func runServer(t *testing.T, cfg Config) (*Server, string, chan error) {
	t.Helper()
	cfg.Handler = &testHandler{}
	cfg.Logger = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() { srv.Close() })
	return srv, ln.Addr().String(), done
}

func TestConfigDefaults(t *testing.T) {
	srv, err := NewServer(Config{Handler: &testHandler{}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.Config()
	if cfg.Database != "postgres" || cfg.MaxConnections != 100 || cfg.MaxMessageSize != 64<<20 ||
		cfg.ServerVersion != DefaultServerVersion || cfg.StartupTimeout != time.Minute {
		t.Fatalf("defaults: %+v", cfg)
	}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no handler", Config{}},
		{"sqlite version", Config{Handler: &testHandler{}, ServerVersion: "3.45.1"}},
		{"no version", Config{Handler: &testHandler{}, ServerVersion: "RepliSQL"}},
		{"huge messages", Config{Handler: &testHandler{}, MaxMessageSize: 2 << 30}},
		{"tiny messages", Config{Handler: &testHandler{}, MaxMessageSize: 100}},
		{"tls required without tls", Config{Handler: &testHandler{}, TLSRequired: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewServer(tc.cfg); err == nil {
				t.Fatal("NewServer accepted it")
			}
		})
	}
	for _, v := range []string{"15.0", "15.18", "16.4 (Debian 16.4-1)"} {
		if _, err := NewServer(Config{Handler: &testHandler{}, ServerVersion: v}); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
}

// TestShutdownIdle: an idle connection gets FATAL 57P01 at once.
func TestShutdownIdle(t *testing.T) {
	srv, addr, done := runServer(t, Config{})
	conn := pgconnConnect(t, addr, "")
	ctx := testCtx(t)

	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	// The FATAL is waiting on the socket.
	_, err := conn.Exec(ctx, "select 1").ReadAll()
	wantCode(t, err, string(pgerr.AdminShutdown))
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("still accepting")
	}
}

// TestShutdownBusy: a running statement finishes; then the connection
// gets 57P01.
func TestShutdownBusy(t *testing.T) {
	srv, addr, _ := runServer(t, Config{})
	conn := pgconnConnect(t, addr, "")
	ctx := testCtx(t)

	res := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, "sleep 300ms").ReadAll()
		res <- err
	}()
	waitBusy(t, srv, conn.PID())
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-res; err != nil {
		t.Fatalf("the running statement failed: %v", err)
	}
	_, err := conn.Exec(ctx, "select 1").ReadAll()
	wantCode(t, err, string(pgerr.AdminShutdown))
}

// TestShutdownTimeout: when the grace period ends, the running statement
// is cancelled, the client gets FATAL 57P01 and Shutdown returns the
// context's error.
func TestShutdownTimeout(t *testing.T) {
	srv, addr, _ := runServer(t, Config{})
	conn := pgconnConnect(t, addr, "")

	res := make(chan error, 1)
	go func() {
		_, err := conn.Exec(testCtx(t), "sleep 20s").ReadAll()
		res <- err
	}()
	waitBusy(t, srv, conn.PID())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v", err)
	}
	select {
	case err := <-res:
		if err == nil {
			t.Fatal("the statement succeeded")
		}
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code != string(pgerr.AdminShutdown) {
			t.Fatalf("got %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the statement still runs")
	}
	deadline := time.Now().Add(5 * time.Second)
	for srv.ConnCount() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections left", srv.ConnCount())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestServeContext: cancelling Serve's context closes the server.
func TestServeContext(t *testing.T) {
	srv, err := NewServer(Config{Handler: &testHandler{}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	conn := pgconnConnect(t, ln.Addr().String(), "")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve: %v", err)
	}
	if err := conn.Ping(testCtx(t)); err == nil {
		t.Fatal("connection survived")
	}
	if err := srv.Serve(context.Background(), ln); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after close: %v", err)
	}
}

func waitBusy(t *testing.T, srv *Server, pid uint32) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !srv.isBusy(pid) {
		if time.Now().After(deadline) {
			t.Fatal("connection never busy")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestLargeMessageAllocation: a message header claiming a huge body
// allocates nothing for it (over the limit) or only what arrives (under
// it).
func TestLargeMessageAllocation(t *testing.T) {
	_, addr, _ := runServer(t, Config{MaxMessageSize: 1<<30 - 1})
	for _, tc := range []struct {
		name  string
		claim uint32
	}{
		{"under the limit", 1<<30 - 100},
		{"over the limit", 1<<31 - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, fe := rawLogin(t, addr)
			defer nc.Close()
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			before := ms.TotalAlloc
			hdr := []byte{'Q', 0, 0, 0, 0}
			binary.BigEndian.PutUint32(hdr[1:], tc.claim)
			if _, err := nc.Write(append(hdr, make([]byte, 1000)...)); err != nil {
				t.Fatal(err)
			}
			if tc.claim > 1<<30 {
				msg, err := fe.Receive()
				if err != nil {
					t.Fatal(err)
				}
				if e, ok := msg.(*pgproto3.ErrorResponse); !ok || e.Code != string(pgerr.ProtocolViolation) {
					t.Fatalf("got %#v", msg)
				}
			} else {
				time.Sleep(200 * time.Millisecond) // let the server read what was sent
			}
			runtime.ReadMemStats(&ms)
			if grew := ms.TotalAlloc - before; grew > 4<<20 {
				t.Fatalf("allocated %d bytes", grew)
			}
		})
	}
}

// rawLogin opens a connection and logs in by hand.
func rawLogin(t testing.TB, addr string) (net.Conn, *pgproto3.Frontend) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "alice", "database": "postgres"}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	for {
		msg, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
			return nc, fe
		}
	}
}

// TestStartupTimeout: a client that connects and says nothing is dropped
// after StartupTimeout.
func TestStartupTimeout(t *testing.T) {
	srv, addr, _ := runServer(t, Config{StartupTimeout: 100 * time.Millisecond})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [1]byte
	if _, err := nc.Read(b[:]); err == nil {
		t.Fatal("server said something")
	} else if isTimeout(err) {
		t.Fatal("server did not close")
	}
	if n := srv.ConnCount(); n != 0 {
		t.Fatalf("%d connections", n)
	}
}

// TestLiveConnectionCap: past 2 × MaxConnections + 10 live connections
// (even ones still in startup), a new one is refused at once.
func TestLiveConnectionCap(t *testing.T) {
	srv, addr, _ := runServer(t, Config{MaxConnections: 1})
	var idle []net.Conn
	defer func() {
		for _, nc := range idle {
			nc.Close()
		}
	}()
	for range srv.maxLiveConns() {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, nc)
	}
	deadline := time.Now().Add(5 * time.Second)
	for srv.ConnCount() < srv.maxLiveConns() {
		if time.Now().After(deadline) {
			t.Fatalf("%d live connections", srv.ConnCount())
		}
		time.Sleep(time.Millisecond)
	}
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	msg, err := pgproto3.NewFrontend(nc, nc).Receive()
	if e, ok := msg.(*pgproto3.ErrorResponse); err != nil || !ok || e.Code != string(pgerr.TooManyConnections) {
		t.Fatalf("got %#v, %v", msg, err)
	}
}

// TestClientGoneMidResult: a client that leaves while rows stream does
// not keep the connection (or the server) busy.
func TestClientGoneMidResult(t *testing.T) {
	srv, addr, _ := runServer(t, Config{})
	nc, fe := rawLogin(t, addr)
	fe.Send(&pgproto3.Query{String: "select series 10000000"})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := fe.Receive(); err != nil { // the RowDescription: rows are flowing
		t.Fatal(err)
	}
	nc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for srv.ConnCount() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the connection outlived its client")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestIdleConnectionMemory: an idle session costs little: its read
// buffer, a small write buffer, the goroutine and the session's own
// state.
func TestIdleConnectionMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("opens many connections")
	}
	_, addr, _ := runServer(t, Config{MaxConnections: 300})
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapInuse + ms.StackInuse
	const n = 200
	var conns []net.Conn
	for range n {
		nc, fe := rawLogin(t, addr)
		fe.Send(&pgproto3.Query{String: "select series 1000"}) // grow the buffers once
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		for {
			msg, err := fe.Receive()
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
				break
			}
		}
		conns = append(conns, nc)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	// Both ends live in this process: the client's buffers count too.
	per := (int64(ms.HeapInuse+ms.StackInuse) - int64(before)) / n
	t.Logf("%d bytes per idle connection (server and client together)", per)
	if per > 96<<10 {
		t.Fatalf("%d bytes per idle connection", per)
	}
	for _, nc := range conns {
		nc.Close()
	}
}
