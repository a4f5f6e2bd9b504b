package pgwire

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/rs/zerolog"
)

// Fuzz tests: arbitrary bytes as the first packets of a connection
// (FuzzStartup) or after a good startup (FuzzMessages). The server must
// not panic (connections recover, so a hook reports it), must not hang,
// and must not allocate much more than it was sent.

// fuzzServer is shared by the inputs of one fuzz run.
type fuzzServer struct {
	srv *Server

	mu     sync.Mutex // guards panics
	panics []any
}

func newFuzzServer(t testing.TB) *fuzzServer {
	fs := &fuzzServer{}
	srv, err := NewServer(Config{
		Handler:        &testHandler{fuzz: true},
		Logger:         zerolog.Nop(),
		MaxConnections: 1000,
		MaxMessageSize: 1 << 20,
		StartupTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.onPanic = func(r any) {
		fs.mu.Lock()
		fs.panics = append(fs.panics, r)
		fs.mu.Unlock()
	}
	fs.srv = srv
	return fs
}

// run feeds input to a fresh connection, then hangs up, and checks the
// connection ended cleanly and soon.
func (fs *fuzzServer) run(t *testing.T, input []byte) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc

	serverSide, clientSide := net.Pipe()
	c := newConn(context.Background(), fs.srv, serverSide)
	if !fs.srv.trackConn(c) {
		t.Fatal("too many live connections: an earlier input leaked one")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.serve()
	}()
	go func() {
		_, _ = clientSide.Write(input)
		// The client hangs up once it has said everything (or the server
		// stopped listening).
		_ = clientSide.Close()
	}()
	go func() { _, _ = io.Copy(io.Discard, clientSide) }()

	select {
	case <-done:
	case <-time.After(10 * time.Second):
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("connection hangs on input %q\n%s", input, buf[:n])
	}
	fs.mu.Lock()
	panics := fs.panics
	fs.panics = nil
	fs.mu.Unlock()
	if len(panics) > 0 {
		t.Fatalf("panic on input %q: %v", input, panics[0])
	}
	runtime.ReadMemStats(&ms)
	if grew := ms.TotalAlloc - before; grew > 16<<20+4*uint64(len(input)) {
		t.Fatalf("input of %d bytes allocated %d bytes", len(input), grew)
	}
}

func encodeMessages(t testing.TB, msgs ...pgproto3.FrontendMessage) []byte {
	var buf []byte
	for _, m := range msgs {
		var err error
		buf, err = m.Encode(buf)
		if err != nil {
			t.Fatal(err)
		}
	}
	return buf
}

func startupBytes(t testing.TB) []byte {
	return encodeMessages(t, &pgproto3.StartupMessage{
		ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters:      map[string]string{"user": "alice", "database": "postgres"},
	})
}

func FuzzStartup(f *testing.F) {
	f.Add(startupBytes(f))
	f.Add(encodeMessages(f, &pgproto3.SSLRequest{}))
	f.Add(append(encodeMessages(f, &pgproto3.SSLRequest{}), startupBytes(f)...))
	f.Add(append(encodeMessages(f, &pgproto3.GSSEncRequest{}, &pgproto3.SSLRequest{}), startupBytes(f)...))
	f.Add(encodeMessages(f, &pgproto3.CancelRequest{ProcessID: 10001, SecretKey: []byte{1, 2, 3, 4}}))
	f.Add([]byte{0, 0, 0, 8, 0, 3, 0, 0})
	f.Add([]byte{0, 0, 0, 9, 0, 3, 0, 2, 0})
	f.Add([]byte{0, 0, 0x27, 0x10, 0, 3, 0, 0, 'u', 's', 'e', 'r', 0})
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Add([]byte{0x16, 3, 1, 0, 0xc8, 1, 0, 0, 0xc4, 3, 3}) // a TLS ClientHello
	p32 := startupBytes(f)
	binary.BigEndian.PutUint32(p32[4:], pgproto3.ProtocolVersion32)
	f.Add(p32)
	fs := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, input []byte) {
		fs.run(t, input)
	})
}

func FuzzMessages(f *testing.F) {
	for _, seed := range [][]pgproto3.FrontendMessage{
		{&pgproto3.Query{String: "select 1"}},
		{&pgproto3.Query{String: "select 1; select series 3; error; begin"}},
		{&pgproto3.Query{String: ""}, &pgproto3.Query{String: "notice"}, &pgproto3.Query{String: "set x = 'y'"}},
		{&pgproto3.Parse{Query: "select 1"}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{}},
		{&pgproto3.Parse{Name: "s", Query: "select $1, $2::text", ParameterOIDs: []uint32{0, 25}}, &pgproto3.Describe{ObjectType: 'S', Name: "s"}, &pgproto3.Sync{},
			&pgproto3.Bind{PreparedStatement: "s", ParameterFormatCodes: []int16{1, 0}, Parameters: [][]byte{{0, 0, 0, 1}, []byte("x")}, ResultFormatCodes: []int16{1}},
			&pgproto3.Execute{MaxRows: 1}, &pgproto3.Close{ObjectType: 'S', Name: "s"}, &pgproto3.Sync{}},
		{&pgproto3.Parse{Name: "p", Query: "select series 5"}, &pgproto3.Bind{DestinationPortal: "c", PreparedStatement: "p"}, &pgproto3.Execute{Portal: "c", MaxRows: 2},
			&pgproto3.Execute{Portal: "c", MaxRows: 2}, &pgproto3.Flush{}, &pgproto3.Execute{Portal: "c"}, &pgproto3.Sync{}},
		{&pgproto3.Parse{Query: "syntax"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{}, &pgproto3.Query{String: "select 1"}},
		{&pgproto3.Query{String: "copy in"}, &pgproto3.CopyData{Data: []byte("1\t2\n")}, &pgproto3.CopyDone{}, &pgproto3.Query{String: "select 1"}},
		{&pgproto3.Query{String: "copy in"}, &pgproto3.CopyData{Data: []byte("1\t2\n")}, &pgproto3.CopyFail{Message: "no"}},
		{&pgproto3.Query{String: "copy in"}, &pgproto3.Sync{}, &pgproto3.Query{String: "x"}, &pgproto3.CopyDone{}},
		{&pgproto3.Query{String: "copy out 3"}, &pgproto3.Terminate{}},
		{&pgproto3.FunctionCall{Function: 1}, &pgproto3.Query{String: "begin"}, &pgproto3.Parse{Query: "error"}, &pgproto3.Sync{}},
	} {
		f.Add(encodeMessages(f, seed...))
	}
	f.Add([]byte{'Q', 0x7f, 0xff, 0xff, 0xff})
	f.Add([]byte{'B', 0, 0, 0, 12, 0, 0, 0, 0, 0xff, 0xff, 0, 0})
	prefix := startupBytes(f)
	fs := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, input []byte) {
		fs.run(t, append(append([]byte(nil), prefix...), input...))
	})
}

// TestFuzzHarness runs the harness on a few inputs so that plain go test
// exercises it.
func TestFuzzHarness(t *testing.T) {
	fs := newFuzzServer(t)
	for i, in := range [][]byte{
		nil,
		startupBytes(t),
		append(startupBytes(t), encodeMessages(t, &pgproto3.Query{String: "select series 10000"})...),
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) { fs.run(t, in) })
	}
}
