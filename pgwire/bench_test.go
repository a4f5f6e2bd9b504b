package pgwire

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// Round trips through the protocol server with the test session; the
// client (pgconn) runs in the same process, so allocations count both.

func benchConn(b *testing.B) *pgconn.PgConn {
	b.Helper()
	_, addr := startTestServer(b, Config{}, &testHandler{})
	conn, err := pgconn.Connect(context.Background(), connString(addr, ""))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// BenchmarkPreparedRoundTrip is pgbench -M prepared: Bind, Describe P,
// Execute, Sync against a named statement.
func BenchmarkPreparedRoundTrip(b *testing.B) {
	conn := benchConn(b)
	ctx := context.Background()
	if _, err := conn.Prepare(ctx, "P_1", "select series $1", nil); err != nil {
		b.Fatal(err)
	}
	args := [][]byte{[]byte("1")}
	b.ReportAllocs()
	for b.Loop() {
		rr := conn.ExecPrepared(ctx, "P_1", args, nil, nil).Read()
		if rr.Err != nil {
			b.Fatal(rr.Err)
		}
	}
}

// BenchmarkSimpleQuery is pgbench -M simple.
func BenchmarkSimpleQuery(b *testing.B) {
	conn := benchConn(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := conn.Exec(ctx, "select 1").ReadAll(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRows streams 1000-row results.
func BenchmarkRows(b *testing.B) {
	conn := benchConn(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		rr := conn.ExecParams(ctx, "select series 1000", nil, nil, nil, nil).Read()
		if rr.Err != nil || len(rr.Rows) != 1000 {
			b.Fatal(rr.Err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "rows/s")
}
