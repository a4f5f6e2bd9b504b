package pgwire

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/rs/zerolog"
)

// Golden wire tests: testdata/pgtest/*.txt are scripts of frontend
// messages and the backend messages expected back, run against a server
// with the test session double (testsession_test.go). Run with -rewrite
// to regenerate the expected blocks after a deliberate change.
//
// Directives, one per line ('#' starts a comment line):
//
//	config {"MaxConnections": 1, ...}  server settings; first line only
//	connect [NAME]                     open a connection (and use it)
//	use NAME                           switch to connection NAME
//	startup {"user": "u", ...}         StartupMessage with these parameters
//	login                              startup as alice, up to ReadyForQuery,
//	                                   checked but not printed
//	send TYPE {JSON}                   a frontend message (pgproto3 JSON;
//	                                   CopyData also takes {"Text": "..."})
//	sendraw HEX                        raw bytes
//	recvbyte C                         expect the single raw byte C
//	until TYPE [TYPE ...]              read up to and including each TYPE
//	                                   in turn; the expected messages follow,
//	                                   one per line (each starts with its
//	                                   capitalized type)
//	closed                             expect the server to close
//	cancel [wrong]                     once the current connection runs a
//	                                   statement, send CancelRequest for it
//	                                   on a new connection (with a wrong key)
//
// A backend message is written as its type and its non-empty fields in
// compact JSON; BackendKeyData without its random values. ErrorResponse
// and NoticeResponse drop File, Line and Routine (PostgreSQL's source
// location), so that a script can be run against a real PostgreSQL with
// -pgtest.addr to compare.

var (
	rewrite    = flag.Bool("rewrite", false, "rewrite the expected output of the pgtest scripts")
	pgtestAddr = flag.String("pgtest.addr", "", "run the pgtest scripts against this server (say a real PostgreSQL) instead of an in-process one")
	pgtestGlob = flag.String("pgtest.files", "testdata/pgtest/*.txt", "the pgtest scripts to run")
	pgtestUser = flag.String("pgtest.user", "alice", "the user that login logs in as")
)

func TestPGTest(t *testing.T) {
	files, err := filepath.Glob(*pgtestGlob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			t.Parallel()
			runScript(t, file)
		})
	}
}

type scriptConn struct {
	nc     net.Conn
	fe     *pgproto3.Frontend
	pid    uint32
	secret uint32
}

type scriptRunner struct {
	t     *testing.T
	srv   *Server
	addr  string
	conns map[string]*scriptConn
	cur   *scriptConn
}

// scriptConfig is what a script's config line may set.
type scriptConfig struct {
	MaxConnections int
	MaxMessageSize int
	Database       string
	ServerVersion  string
}

func runScript(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var cfg scriptConfig
	if len(lines) > 0 && strings.HasPrefix(lines[0], "config ") {
		if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[0], "config ")), &cfg); err != nil {
			t.Fatalf("config: %v", err)
		}
	}
	var srv *Server
	addr := *pgtestAddr
	if addr == "" {
		srv, addr = startTestServer(t, Config{
			MaxConnections: cfg.MaxConnections,
			MaxMessageSize: cfg.MaxMessageSize,
			Database:       cfg.Database,
			ServerVersion:  cfg.ServerVersion,
		}, &testHandler{})
	}
	r := &scriptRunner{t: t, srv: srv, addr: addr, conns: map[string]*scriptConn{}}
	defer r.closeAll()

	var out []string
	failed := false
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		out = append(out, line)
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "config ") {
			continue
		}
		cmd, arg, _ := strings.Cut(line, " ")
		if cmd != "until" {
			if err := r.do(cmd, arg); err != nil {
				t.Fatalf("%s:%d: %s: %v", file, i+1, line, err)
			}
			continue
		}
		var want []string
		for i+1 < len(lines) && isExpectedLine(lines[i+1]) {
			i++
			want = append(want, lines[i])
		}
		got, err := r.until(strings.Fields(arg))
		if err != nil {
			t.Errorf("%s:%d: %s: %v", file, i+1, line, err)
			failed = true
		}
		if !*rewrite && strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:%d: %s\n got:\n%s\nwant:\n%s", file, i+1, line, strings.Join(got, "\n"), strings.Join(want, "\n"))
			failed = true
		}
		out = append(out, got...)
		if failed && !*rewrite {
			return
		}
	}
	if *rewrite {
		if err := os.WriteFile(file, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// isExpectedLine tells an expected backend message (TYPE ..., capitalized)
// from a directive, a comment or a blank line.
func isExpectedLine(line string) bool {
	return line != "" && line[0] >= 'A' && line[0] <= 'Z'
}

// startTestServer runs a server with handler h on 127.0.0.1:0 until the
// test ends.
func startTestServer(t testing.TB, cfg Config, h Handler) (*Server, string) {
	t.Helper()
	cfg.Handler = h
	cfg.Logger = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	srv, err := NewServer(cfg)
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
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("serve returned %v", err)
		}
		cancel()
	})
	return srv, ln.Addr().String()
}

func (r *scriptRunner) closeAll() {
	for _, c := range r.conns {
		c.nc.Close()
	}
}

func (r *scriptRunner) dial() (*scriptConn, error) {
	nc, err := net.DialTimeout("tcp", r.addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &scriptConn{nc: nc, fe: pgproto3.NewFrontend(nc, nc)}, nil
}

func (r *scriptRunner) do(cmd, arg string) error {
	switch cmd {
	case "connect":
		c, err := r.dial()
		if err != nil {
			return err
		}
		r.conns[arg] = c
		r.cur = c
		return nil
	case "use":
		c := r.conns[arg]
		if c == nil {
			return fmt.Errorf("no connection %q", arg)
		}
		r.cur = c
		return nil
	}
	if r.cur == nil {
		return errors.New("no connection: use connect first")
	}
	c := r.cur
	switch cmd {
	case "login":
		c.fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": *pgtestUser, "database": "postgres"}})
		if err := c.fe.Flush(); err != nil {
			return err
		}
		got, err := r.until([]string{"ReadyForQuery"})
		if err != nil {
			return err
		}
		if last := got[len(got)-1]; last != `ReadyForQuery {"TxStatus":"I"}` {
			return fmt.Errorf("login ended with %s", last)
		}
		return nil
	case "startup":
		params := map[string]string{}
		if err := json.Unmarshal([]byte(arg), &params); err != nil {
			return err
		}
		c.fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: params})
		return c.fe.Flush()
	case "send":
		typ, js, _ := strings.Cut(arg, " ")
		msg, err := frontendMessage(typ)
		if err != nil {
			return err
		}
		var text struct{ Text *string }
		if typ == "CopyData" && json.Unmarshal([]byte(js), &text) == nil && text.Text != nil {
			// {"Text": "..."} is a readable alternative to hex Data.
			msg = &pgproto3.CopyData{Data: []byte(*text.Text)}
		} else if strings.TrimSpace(js) != "" {
			if err := json.Unmarshal([]byte(js), msg); err != nil {
				return fmt.Errorf("%s: %w", typ, err)
			}
		}
		c.fe.Send(msg)
		return c.fe.Flush()
	case "sendraw":
		b, err := hex.DecodeString(strings.ReplaceAll(arg, " ", ""))
		if err != nil {
			return err
		}
		_, err = c.nc.Write(b)
		return err
	case "recvbyte":
		var b [1]byte
		if _, err := io.ReadFull(c.nc, b[:]); err != nil {
			return err
		}
		if string(b[:]) != arg {
			return fmt.Errorf("got byte %q, want %q", b[0], arg)
		}
		return nil
	case "closed":
		msg, err := c.fe.Receive()
		if err == nil {
			return fmt.Errorf("got %s, want the connection closed", render(msg))
		}
		if isTimeout(err) {
			return fmt.Errorf("connection still open: %w", err)
		}
		return nil
	case "cancel":
		return r.cancel(c, arg == "wrong")
	}
	return fmt.Errorf("unknown directive %q", cmd)
}

// cancel waits until the server runs a statement for c, then sends a
// CancelRequest for it on a new connection.
func (r *scriptRunner) cancel(c *scriptConn, wrongKey bool) error {
	if r.srv == nil {
		time.Sleep(200 * time.Millisecond) // an outside server: no hook to wait on
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.srv != nil && !r.srv.isBusy(c.pid) {
		if time.Now().After(deadline) {
			return errors.New("the connection never became busy")
		}
		time.Sleep(time.Millisecond)
	}
	key := c.secret
	if wrongKey {
		key++
	}
	cc, err := r.dial()
	if err != nil {
		return err
	}
	defer cc.nc.Close()
	var pkt [16]byte
	binary.BigEndian.PutUint32(pkt[0:], 16)
	binary.BigEndian.PutUint32(pkt[4:], cancelRequestCode)
	binary.BigEndian.PutUint32(pkt[8:], c.pid)
	binary.BigEndian.PutUint32(pkt[12:], key)
	if _, err := cc.nc.Write(pkt[:]); err != nil {
		return err
	}
	// The server answers nothing and closes.
	if n, err := cc.nc.Read(pkt[:]); err == nil || n > 0 {
		return fmt.Errorf("cancel connection answered %d bytes", n)
	}
	return nil
}

// isBusy reports whether connection pid runs a statement (test hook).
func (s *Server) isBusy(pid uint32) bool {
	s.cancels.mu.Lock()
	c := s.cancels.conns[pid]
	s.cancels.mu.Unlock()
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.busy
}

func (r *scriptRunner) until(types []string) ([]string, error) {
	c := r.cur
	if c == nil {
		return nil, errors.New("no connection")
	}
	var got []string
	for _, want := range types {
		for {
			msg, err := c.fe.Receive()
			if err != nil {
				return got, fmt.Errorf("waiting for %s: %w", want, err)
			}
			if k, ok := msg.(*pgproto3.BackendKeyData); ok {
				c.pid = k.ProcessID
				c.secret = binary.BigEndian.Uint32(k.SecretKey)
			}
			got = append(got, render(msg))
			if msgType(msg) == want {
				break
			}
		}
	}
	return got, nil
}

func msgType(msg pgproto3.Message) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", msg), "*pgproto3.")
}

// render prints a backend message as TYPE {non-empty fields}.
func render(msg pgproto3.BackendMessage) string {
	typ := msgType(msg)
	if _, ok := msg.(*pgproto3.BackendKeyData); ok {
		return typ
	}
	js, err := json.Marshal(msg)
	if err != nil {
		return typ + " !" + err.Error()
	}
	var fields map[string]any
	if err := json.Unmarshal(js, &fields); err != nil {
		return typ + " !" + err.Error()
	}
	delete(fields, "Type")
	delete(fields, "File")
	delete(fields, "Line")
	delete(fields, "Routine")
	for k, v := range fields {
		switch v := v.(type) {
		case nil:
			delete(fields, k)
		case string:
			if v == "" {
				delete(fields, k)
			}
		case float64:
			if v == 0 {
				delete(fields, k)
			}
		case map[string]any:
			if len(v) == 0 {
				delete(fields, k)
			}
		}
	}
	if len(fields) == 0 {
		return typ
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(fields)
	return typ + " " + strings.TrimSpace(buf.String())
}

func frontendMessage(typ string) (pgproto3.FrontendMessage, error) {
	switch typ {
	case "Query":
		return &pgproto3.Query{}, nil
	case "Parse":
		return &pgproto3.Parse{}, nil
	case "Bind":
		return &pgproto3.Bind{}, nil
	case "Describe":
		return &pgproto3.Describe{}, nil
	case "Execute":
		return &pgproto3.Execute{}, nil
	case "Close":
		return &pgproto3.Close{}, nil
	case "Sync":
		return &pgproto3.Sync{}, nil
	case "Flush":
		return &pgproto3.Flush{}, nil
	case "Terminate":
		return &pgproto3.Terminate{}, nil
	case "CopyData":
		return &pgproto3.CopyData{}, nil
	case "CopyDone":
		return &pgproto3.CopyDone{}, nil
	case "CopyFail":
		return &pgproto3.CopyFail{}, nil
	case "SSLRequest":
		return &pgproto3.SSLRequest{}, nil
	case "GSSEncRequest":
		return &pgproto3.GSSEncRequest{}, nil
	case "FunctionCall":
		return &pgproto3.FunctionCall{}, nil
	}
	return nil, fmt.Errorf("unknown frontend message %q", typ)
}
