package pgsql

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// walk calls fn for every message in the tree under m, depth first; fn
// returns false to skip a message's children.
func walk(m protoreflect.Message, fn func(protoreflect.Message) bool) {
	if !fn(m) {
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind {
			return true
		}
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				walk(l.Get(i).Message(), fn)
			}
		case fd.IsMap():
		default:
			walk(v.Message(), fn)
		}
		return true
	})
}

// writeFunctions are functions that change state: a query calling one is
// not read-only.
var writeFunctions = map[string]bool{
	"nextval": true, "setval": true, "set_config": true, "pg_notify": true,
	"pg_advisory_lock": true, "pg_advisory_xact_lock": true, "pg_try_advisory_lock": true,
	"pg_try_advisory_xact_lock": true, "pg_advisory_unlock": true, "pg_advisory_unlock_all": true,
	"pg_advisory_lock_shared": true, "txid_current": true, "pg_current_xact_id": true,
	"lo_create": true, "lo_import": true, "lo_unlink": true, "lo_creat": true,
}

// nodeFunctions and nodeRelations answer about the node that runs them
// (its configuration, its place in replication, its sessions): a query
// using one must run where the client sent it, never be routed to
// another node. They change no data.
var (
	nodeFunctions = map[string]bool{
		"pg_reload_conf": true, "pg_terminate_backend": true, "pg_cancel_backend": true,
		"pg_is_in_recovery": true, "pg_current_wal_lsn": true, "pg_current_wal_flush_lsn": true,
		"pg_current_wal_insert_lsn": true, "pg_last_wal_receive_lsn": true, "pg_last_wal_replay_lsn": true,
		"pg_last_xact_replay_timestamp": true, "pg_backend_pid": true, "replisql_last_commit_lsn": true,
		"inet_server_addr": true, "inet_server_port": true, "pg_postmaster_start_time": true,
		"replisql_checksum": true,
	}
	nodeRelations = map[string]bool{
		"pg_stat_replication": true, "replisql_stat_routing": true, "pg_stat_activity": true,
		"pg_stat_wal_receiver": true, "pg_settings": true,
	}
)

// queryTraits reports, in one walk of a query's tree, whether it cannot
// change data (readOnly: no data-modifying statement inside (CTEs), no
// FOR UPDATE/SHARE, no SELECT INTO, no state-changing function) and
// whether it answers about the node that runs it (nodeLocal: see
// nodeFunctions).
func queryTraits(n *pg_query.Node) (readOnly, nodeLocal bool) {
	readOnly = true
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		if !readOnly && nodeLocal {
			return false
		}
		switch x := m.Interface().(type) {
		case *pg_query.InsertStmt, *pg_query.UpdateStmt, *pg_query.DeleteStmt, *pg_query.MergeStmt,
			*pg_query.LockingClause, *pg_query.IntoClause:
			readOnly = false
		case *pg_query.FuncCall:
			if len(x.Funcname) > 0 {
				name := x.Funcname[len(x.Funcname)-1].GetString_().GetSval()
				readOnly = readOnly && !writeFunctions[name]
				nodeLocal = nodeLocal || nodeFunctions[name]
			}
		case *pg_query.RangeVar:
			nodeLocal = nodeLocal || nodeRelations[x.Relname]
		}
		return readOnly || !nodeLocal
	})
	return readOnly, nodeLocal
}
