package session

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"

	"github.com/replisql/replisql/pgsql"
	"github.com/replisql/replisql/pgsql/catalog"
	"github.com/replisql/replisql/pgwire"
	"github.com/replisql/replisql/pgwire/pgerr"
	"github.com/replisql/replisql/replica"
	"github.com/replisql/replisql/store"
	"github.com/replisql/replisql/wal"
)

// Replication monitoring, the PostgreSQL way: pg_is_in_recovery(),
// pg_current_wal_lsn(), pg_last_wal_receive_lsn(),
// pg_last_wal_replay_lsn(), pg_last_xact_replay_timestamp(),
// pg_wal_lsn_diff() and the view pg_stat_replication; and RepliSQL's own
// replisql_checksum(), the node's content hash (checksumJSON, store.ChecksumReport).
//
// They read the node's state, which SQLite reaches through functions
// registered process-wide (the driver has no other way): a process serves
// one node, whose engine is the last one made (monitorNode).

// monitorNode is the engine of this process's node, whose state the
// monitoring functions read.
var monitorNode atomic.Pointer[Engine]

// monitorFunctions maps the PostgreSQL functions to the SQLite functions
// that implement them, with their argument count and result type.
var monitorFunctions = map[string]struct {
	sqlite string
	nargs  int
	result uint32
}{
	"pg_is_in_recovery":             {"replisql_is_in_recovery", 0, pgwire.OIDBool},
	"pg_current_wal_lsn":            {"replisql_current_wal_lsn", 0, pgwire.OIDPgLSN},
	"pg_current_wal_flush_lsn":      {"replisql_current_wal_flush_lsn", 0, pgwire.OIDPgLSN},
	"pg_current_wal_insert_lsn":     {"replisql_current_wal_lsn", 0, pgwire.OIDPgLSN},
	"pg_last_wal_receive_lsn":       {"replisql_last_wal_receive_lsn", 0, pgwire.OIDPgLSN},
	"pg_last_wal_replay_lsn":        {"replisql_last_wal_replay_lsn", 0, pgwire.OIDPgLSN},
	"pg_last_xact_replay_timestamp": {"replisql_last_xact_replay_timestamp", 0, pgwire.OIDTimestamptz},
	"pg_wal_lsn_diff":               {"replisql_wal_lsn_diff", 2, pgwire.OIDNumeric},
	"pg_reload_conf":                {"replisql_reload_conf", 0, pgwire.OIDBool},
	"replisql_checksum":             {"replisql_checksum", 0, pgwire.OIDText},
}

// The functions are registered before any SQLite connection opens: the
// driver gives a connection only the functions registered before it.
func init() {
	registerMonitorFunctions()
	pgsql.ServerSetting = catalog.Setting
}

func registerMonitorFunctions() {
	reg := func(name string, n int32, fn func(e *Engine, a []driver.Value) (driver.Value, error)) {
		err := sqlite.RegisterScalarFunction(name, n, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
			e := monitorNode.Load()
			if e == nil {
				e = &Engine{} // no node yet: nothing to report
			}
			return fn(e, a)
		})
		if err != nil {
			panic(fmt.Sprintf("session: register %s: %v", name, err))
		}
	}
	reg("replisql_is_in_recovery", 0, func(e *Engine, _ []driver.Value) (driver.Value, error) {
		return e.cfg.Replication != nil && e.cfg.Replication.InRecovery(), nil
	})
	reg("replisql_current_wal_lsn", 0, func(e *Engine, _ []driver.Value) (driver.Value, error) {
		return e.walLSN(false)
	})
	reg("replisql_current_wal_flush_lsn", 0, func(e *Engine, _ []driver.Value) (driver.Value, error) {
		return e.walLSN(true)
	})
	reg("replisql_last_wal_receive_lsn", 0, func(e *Engine, _ []driver.Value) (driver.Value, error) {
		if e.cfg.Replication == nil || !e.cfg.Replication.InRecovery() {
			return nil, nil
		}
		return e.cfg.Replication.ReceivedLSN().String(), nil
	})
	reg("replisql_last_wal_replay_lsn", 0, func(e *Engine, _ []driver.Value) (driver.Value, error) {
		if e.cfg.Replication == nil || !e.cfg.Replication.InRecovery() {
			return nil, nil
		}
		return e.cfg.Replication.ReplayedLSN().String(), nil
	})
	reg("replisql_last_xact_replay_timestamp", 0, func(e *Engine, _ []driver.Value) (driver.Value, error) {
		if e.cfg.Replication == nil || !e.cfg.Replication.InRecovery() {
			return nil, nil
		}
		t := e.cfg.Replication.LastReplayTime()
		if t.IsZero() {
			return nil, nil
		}
		return formatTimestampTZ(t), nil
	})
	reg("replisql_wal_lsn_diff", 2, func(_ *Engine, a []driver.Value) (driver.Value, error) {
		x, err := lsnArg(a[0])
		if err != nil || a[0] == nil || a[1] == nil {
			return nil, err
		}
		y, err := lsnArg(a[1])
		if err != nil {
			return nil, err
		}
		return int64(x) - int64(y), nil
	})
	reg("replisql_reload_conf", 0, func(e *Engine, _ []driver.Value) (driver.Value, error) {
		if e.cfg.Reload == nil {
			return false, nil
		}
		if err := e.cfg.Reload(); err != nil {
			return nil, err
		}
		return true, nil
	})
	reg("replisql_checksum", 0, func(e *Engine, _ []driver.Value) (driver.Value, error) {
		return e.checksumJSON()
	})
	reg("replisql_standbys", 0, func(e *Engine, _ []driver.Value) (driver.Value, error) {
		return e.standbysJSON()
	})
	reg("replisql_routes", 0, func(e *Engine, _ []driver.Value) (driver.Value, error) {
		type row struct {
			Route      string `json:"route"`
			Node       string `json:"node"`
			Statements int64  `json:"statements"`
		}
		rows := []row{}
		if e.cfg.Router != nil {
			for r, n := range e.cfg.Router.Counts() {
				rows = append(rows, row{r.Kind, r.Node, n})
			}
		}
		b, err := json.Marshal(rows)
		return string(b), err
	})
}

func lsnArg(v driver.Value) (wal.LSN, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case string:
		if l, err := wal.ParseLSN(x); err == nil {
			return l, nil
		}
	case []byte:
		if l, err := wal.ParseLSN(string(x)); err == nil {
			return l, nil
		}
	}
	return 0, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type pg_lsn: \"%v\"", v)
}

func (e *Engine) walLSN(flushed bool) (driver.Value, error) {
	if e.cfg.Replication != nil && e.cfg.Replication.InRecovery() {
		return nil, &pgerr.Error{Code: pgerr.ObjectNotInPrerequisiteState, Message: "recovery is in progress",
			Hint: "WAL control functions cannot be executed during recovery."}
	}
	if e.store == nil || e.store.WAL() == nil {
		return wal.LSN(0).String(), nil
	}
	if flushed {
		return e.store.WAL().FlushedLSN().String(), nil
	}
	return e.store.WAL().EndLSN().String(), nil
}

// checksumJSON is replisql_checksum() of this node, leader or follower.
// SQLite gives a function no context, so it runs to the end: it reads
// every table once.
func (e *Engine) checksumJSON() (driver.Value, error) {
	if e.store == nil {
		return nil, nil // no node yet: nothing to report
	}
	lsn, sums, err := e.store.ChecksumLive(context.Background())
	if err != nil {
		return nil, err
	}
	if sums == nil {
		sums = []store.TableChecksum{}
	}
	b, err := json.Marshal(store.ChecksumReport{LSN: lsn.String(), Tables: sums})
	return string(b), err
}

// standbyRow is one row of pg_stat_replication as replisql_standbys()
// hands it to SQLite (JSON, read back with json_each).
type standbyRow struct {
	PID          int64   `json:"pid"`
	Name         string  `json:"application_name"`
	ClientAddr   string  `json:"client_addr"`
	ClientPort   int64   `json:"client_port"`
	BackendStart string  `json:"backend_start"`
	State        string  `json:"state"`
	Sent         string  `json:"sent_lsn"`
	Write        string  `json:"write_lsn"`
	Flush        string  `json:"flush_lsn"`
	Replay       string  `json:"replay_lsn"`
	WriteLag     *string `json:"write_lag"`
	FlushLag     *string `json:"flush_lag"`
	ReplayLag    *string `json:"replay_lag"`
	SyncPriority int64   `json:"sync_priority"`
	SyncState    string  `json:"sync_state"`
	ReplyTime    *string `json:"reply_time"`
}

// standbyLister is implemented by a leader's replication role.
type standbyLister interface {
	Standbys(names string) []replica.StandbyStatus
}

func (e *Engine) standbysJSON() (driver.Value, error) {
	rows := []standbyRow{}
	if l, ok := e.cfg.Replication.(standbyLister); ok {
		for _, s := range l.Standbys(e.clusterValue("synchronous_standby_names")) {
			r := standbyRow{
				PID: int64(s.PID), Name: s.Name, BackendStart: formatTimestampTZ(s.BackendStart),
				State: s.State, Sent: s.Sent.String(), Write: s.Write.String(), Flush: s.Flush.String(),
				Replay: s.Replay.String(), SyncPriority: int64(s.SyncPriority), SyncState: s.SyncState,
				WriteLag: lagText(s.WriteLag), FlushLag: lagText(s.FlushLag), ReplayLag: lagText(s.ReplayLag),
			}
			r.ClientAddr, r.ClientPort = splitAddr(s.ClientAddr)
			if !s.ReplyTime.IsZero() {
				t := formatTimestampTZ(s.ReplyTime)
				r.ReplyTime = &t
			}
			rows = append(rows, r)
		}
	}
	b, err := json.Marshal(rows)
	return string(b), err
}

func lagText(d time.Duration) *string {
	if d <= 0 {
		return nil
	}
	us := d.Microseconds()
	s := fmt.Sprintf("%02d:%02d:%02d.%06d", us/3600e6, us/60e6%60, us/1e6%60, us%1e6)
	return &s
}

func splitAddr(addr string) (string, int64) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 0
	}
	n, _ := strconv.ParseInt(port, 10, 64)
	return host, n
}

// pgStatReplication is the view's SQL and columns (PostgreSQL 15's,
// without usesysid, usename, client_hostname and backend_xmin, which are
// NULL here; client_addr is text).
var pgStatReplicationCols = []struct {
	name string
	oid  uint32
}{
	{"pid", pgwire.OIDInt4}, {"usesysid", pgwire.OIDOID}, {"usename", pgwire.OIDName}, {"application_name", pgwire.OIDText},
	{"client_addr", pgwire.OIDText}, {"client_hostname", pgwire.OIDText}, {"client_port", pgwire.OIDInt4},
	{"backend_start", pgwire.OIDTimestamptz}, {"backend_xmin", pgwire.OIDXID}, {"state", pgwire.OIDText},
	{"sent_lsn", pgwire.OIDPgLSN}, {"write_lsn", pgwire.OIDPgLSN}, {"flush_lsn", pgwire.OIDPgLSN}, {"replay_lsn", pgwire.OIDPgLSN},
	{"write_lag", pgwire.OIDInterval}, {"flush_lag", pgwire.OIDInterval}, {"replay_lag", pgwire.OIDInterval},
	{"sync_priority", pgwire.OIDInt4}, {"sync_state", pgwire.OIDText}, {"reply_time", pgwire.OIDTimestamptz},
}

func pgStatReplication() (string, []pgsql.Column) {
	sql := "(SELECT "
	cols := make([]pgsql.Column, len(pgStatReplicationCols))
	for i, c := range pgStatReplicationCols {
		if i > 0 {
			sql += ", "
		}
		switch c.name {
		case "usesysid":
			sql += "10 AS usesysid"
		case "usename":
			sql += "'postgres' AS usename"
		case "client_hostname", "backend_xmin":
			sql += "NULL AS " + c.name
		default:
			sql += fmt.Sprintf("json_extract(value, '$.%s') AS %s", c.name, c.name)
		}
		cols[i] = pgsql.Column{Name: c.name, TypeOID: c.oid, TypeMod: -1, AttNum: int16(i + 1)}
	}
	sql += " FROM json_each(replisql_standbys()))"
	return sql, cols
}

// replisqlStatRouting is the view replisql_stat_routing: statements per
// route (local, write forwarded to the leader, read sent to another node)
// and node, since the node started.
func replisqlStatRouting() (string, []pgsql.Column) {
	return "(SELECT json_extract(value, '$.route') AS route, json_extract(value, '$.node') AS node, " +
			"json_extract(value, '$.statements') AS statements FROM json_each(replisql_routes()) ORDER BY 1, 2)",
		[]pgsql.Column{
			{Name: "route", TypeOID: pgwire.OIDText, TypeMod: -1, AttNum: 1},
			{Name: "node", TypeOID: pgwire.OIDText, TypeMod: -1, AttNum: 2},
			{Name: "statements", TypeOID: pgwire.OIDInt8, TypeMod: -1, AttNum: 3},
		}
}
