package pgwire

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// echoReplication is a replication session: "STREAM" starts CopyBoth,
// sends "hello", echoes every CopyData back upper-cased, and ends its
// half when the client ends its own.
type echoReplication struct{ testSession }

type echoHandler struct{}

func (echoHandler) NewSession(_ context.Context, info StartupInfo) (Session, error) {
	if !info.Replication {
		return nil, errors.New("not a replication connection")
	}
	return &echoReplication{testSession{info: info, tx: 'I'}}, nil
}

func (s *echoReplication) Query(ctx context.Context, sql string, w ResultWriter) error {
	if sql != "STREAM" {
		return w.EmptyQuery()
	}
	st, err := w.CopyBoth()
	if err != nil {
		return err
	}
	if err := st.Send([]byte("hello")); err != nil {
		return err
	}
	for {
		b, err := st.Recv()
		if errors.Is(err, io.EOF) {
			if err := st.Done(); err != nil {
				return err
			}
			return w.Complete("STREAM")
		}
		if err != nil {
			return err
		}
		if err := st.Send([]byte(strings.ToUpper(string(b)))); err != nil {
			return err
		}
	}
}

func TestReplicationConnections(t *testing.T) {
	users := NewUsers()
	for _, u := range []User{{Name: "alice", Method: MethodTrust}, {Name: "repl", Method: MethodTrust, Replication: true}} {
		if err := users.Add(u); err != nil {
			t.Fatal(err)
		}
	}
	auth := &Authenticator{Users: users, Default: MethodTrust}
	_, addr := startTestServer(t, Config{Auth: auth, ReplicationHandler: echoHandler{}}, &testHandler{})
	ctx := testCtx(t)
	connect := func(user, repl string) (*pgconn.PgConn, error) {
		cfg, err := pgconn.ParseConfig(connString(addr, "user="+user+" dbname=anything"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.RuntimeParams["replication"] = repl
		return pgconn.ConnectConfig(ctx, cfg)
	}
	// Only replication roles (and roles outside the users file, the
	// bootstrap superuser) may replicate; the database is not checked.
	_, err := connect("alice", "true")
	wantCode(t, err, "42501")
	_, err = connect("repl", "database")
	wantCode(t, err, "0A000")
	_, err = connect("repl", "sometimes")
	wantCode(t, err, "22023")
	conn, err := connect("repl", "on")
	if err != nil {
		t.Fatalf("replication connection: %v", err)
	}
	defer conn.Close(ctx)

	// CopyBoth: both sides stream; each ends its half with CopyDone.
	hj, err := conn.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	defer hj.Conn.Close()
	fe := hj.Frontend
	fe.Send(&pgproto3.Query{String: "STREAM"})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	want := func(check func(pgproto3.BackendMessage) bool, what string) {
		t.Helper()
		msg, err := fe.Receive()
		if err != nil || !check(msg) {
			t.Fatalf("want %s, got %T %+v (%v)", what, msg, msg, err)
		}
	}
	want(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.CopyBothResponse); return ok }, "CopyBothResponse")
	want(func(m pgproto3.BackendMessage) bool {
		d, ok := m.(*pgproto3.CopyData)
		return ok && string(d.Data) == "hello"
	}, "CopyData hello")
	for _, s := range []string{"one", "two"} {
		fe.Send(&pgproto3.CopyData{Data: []byte(s)})
		fe.Flush()
		want(func(m pgproto3.BackendMessage) bool {
			d, ok := m.(*pgproto3.CopyData)
			return ok && string(d.Data) == strings.ToUpper(s)
		}, "the echo of "+s)
	}
	fe.Send(&pgproto3.CopyDone{})
	fe.Flush()
	want(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.CopyDone); return ok }, "CopyDone")
	want(func(m pgproto3.BackendMessage) bool {
		c, ok := m.(*pgproto3.CommandComplete)
		return ok && string(c.CommandTag) == "STREAM"
	}, "CommandComplete")
	want(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.ReadyForQuery); return ok }, "ReadyForQuery")
	// The connection goes on after the exchange.
	fe.Send(&pgproto3.Query{String: ""})
	fe.Flush()
	want(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.EmptyQueryResponse); return ok }, "EmptyQueryResponse")
}

func TestReplicationRefusedWithoutHandler(t *testing.T) {
	_, addr := startTestServer(t, Config{}, &testHandler{})
	cfg, err := pgconn.ParseConfig(connString(addr, ""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["replication"] = "true"
	_, err = pgconn.ConnectConfig(testCtx(t), cfg)
	wantCode(t, err, "53300")
}
