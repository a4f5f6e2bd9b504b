package session

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/replisql/replisql/pgsql"
	"github.com/replisql/replisql/pgwire"
	"github.com/replisql/replisql/router"
	"github.com/replisql/replisql/wal"
)

// Routing (with Config.Router set: a node of a cluster).
//
// Writes on a follower. A statement that writes — DML, DDL, COPY FROM, a
// SELECT that is not read-only — runs on the leader over a backend
// connection from the router's pool, and so does the rest of its
// transaction: from then on the session's transaction lives on the
// leader, pinned to that backend, until COMMIT or ROLLBACK. Reads before
// the first write of a block ran here. A multi-statement simple query
// that writes goes to the leader whole (forwardMessage), so it stays one
// implicit transaction.
//
// Reads. A read-only statement outside a writing transaction block runs
// where replisql.read_routing says: 'leader'; 'followers' (a follower
// that is streaming, has applied the session's last commit and
// replisql.read_after_lsn, and is within replisql.max_replica_lag; round
// robin; the leader when none qualifies); 'any' (this node when it is
// fresh enough for the session, else the leader). A BEGIN READ ONLY
// block is routed as a whole, at its first statement.
//
// Read-your-writes. A follower serves a read only once it applied the
// session's last commit (which the leader reports after each forwarded
// commit) and replisql.read_after_lsn, waiting up to readYourWritesWait;
// else the read goes to the leader.

// readYourWritesWait bounds how long a read waits for this follower to
// apply the session's last commit before it goes to the leader instead.
const readYourWritesWait = 2 * time.Second

// forwardedSettings are the session settings a backend must share with
// the session: they change what statements do on the other node.
var forwardedSettings = []string{
	"synchronous_commit", "synchronous_standby_names", "statement_timeout", "lock_timeout",
	"search_path", "TimeZone", "application_name", "default_transaction_isolation",
}

// routed reports whether this session may send statements elsewhere.
func (s *Session) routed() bool { return s.eng.cfg.Router != nil }

// target returns the node that runs st: nil for this node.
func (s *Session) target(ctx context.Context, st *pgsql.Statement) *router.Pool {
	if !s.routed() {
		return nil
	}
	if s.fwd != nil {
		return s.fwdPool // the transaction already runs there
	}
	if st.NodeLocal {
		return nil
	}
	cl := s.eng.cfg.Router
	if writes(st) {
		if !s.inRecovery() || (s.tx.readOnly && s.tx.block) {
			return nil // the leader runs it; BEGIN READ ONLY fails it here
		}
		return cl.LeaderPool()
	}
	if st.Kind != pgsql.KindSelect {
		return nil
	}
	if s.tx.block && (!s.tx.readOnly || s.tx.conn != nil) {
		return nil // a writing block reads here; a read-only one that started here stays
	}
	return s.readTarget(ctx)
}

// writes reports whether st changes data.
func writes(st *pgsql.Statement) bool {
	switch st.Kind {
	case pgsql.KindDML, pgsql.KindDDL, pgsql.KindUtility, pgsql.KindSelect:
		return !st.ReadOnly
	case pgsql.KindCopy:
		return st.Copy != nil && st.Copy.From
	}
	return false
}

// readTarget applies replisql.read_routing to a read.
func (s *Session) readTarget(ctx context.Context) *router.Pool {
	cl := s.eng.cfg.Router
	policy := s.params.values["replisql.read_routing"]
	if s.inRecovery() {
		if policy == "leader" || !s.freshHere(ctx) {
			return cl.LeaderPool()
		}
		return nil
	}
	if policy != "followers" {
		return nil
	}
	lister, ok := s.eng.cfg.Replication.(standbyLister)
	if !ok {
		return nil
	}
	want := s.readAfter()
	maxTime, maxBytes, _ := parseMaxLag(s.params.values["replisql.max_replica_lag"])
	end := s.eng.store.WAL().FlushedLSN()
	var candidates []string
	for _, sb := range lister.Standbys("") {
		switch {
		case sb.State != "streaming", cl.Pool(sb.Name) == nil, sb.Replay < want:
		case maxBytes > 0 && int64(end)-int64(sb.Replay) > maxBytes:
		case maxTime > 0 && sb.Replay < end && sb.ReplayLag > maxTime:
		default:
			candidates = append(candidates, sb.Name)
		}
	}
	if name := cl.Pick(candidates); name != "" {
		return cl.Pool(name)
	}
	return nil
}

// readAfter is the LSN a read must see: the session's last commit
// (unless replisql.read_your_writes is off) or replisql.read_after_lsn.
func (s *Session) readAfter() wal.LSN {
	var want wal.LSN
	if s.params.values["replisql.read_your_writes"] != "off" {
		want = s.lastCommit
	}
	if v := s.params.values["replisql.read_after_lsn"]; v != "" {
		if l, err := wal.ParseLSN(v); err == nil && l > want {
			want = l
		}
	}
	return want
}

// freshHere reports whether this follower may serve the session's read:
// it applied what the session must see (waiting a bounded time) and is
// within replisql.max_replica_lag of the leader (in bytes: a follower
// does not know its lag in time).
func (s *Session) freshHere(ctx context.Context) bool {
	repl := s.eng.cfg.Replication
	if _, maxBytes, _ := parseMaxLag(s.params.values["replisql.max_replica_lag"]); maxBytes > 0 {
		if l, ok := repl.(interface{ LagBytes() int64 }); ok && l.LagBytes() > maxBytes {
			return false
		}
	}
	want := s.readAfter()
	if want == 0 || repl.ReplayedLSN() >= want {
		return true
	}
	deadline := time.Now().Add(readYourWritesWait)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
		if repl.ReplayedLSN() >= want {
			return true
		}
	}
	return false
}

// parseMaxLag reads replisql.max_replica_lag: a duration ("500ms"), a
// size ("16MB", "1048576"), or both separated by a comma; 0 is no bound.
// ok is false when a part is neither (normMaxLag refuses the value).
func parseMaxLag(v string) (d time.Duration, n int64, ok bool) {
	ok = true
	for rest := v; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if x, err := time.ParseDuration(part); err == nil {
			d = x
			continue
		}
		if x, good := parseBytes(part); good {
			n = x
		} else {
			ok = false
		}
	}
	return d, n, ok
}

func parseBytes(s string) (int64, bool) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"kB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n * mult, true
}

// normMaxLag checks a replisql.max_replica_lag value.
func normMaxLag(v string) (string, error) {
	if _, _, ok := parseMaxLag(v); !ok {
		return "", errBadValue
	}
	return strings.TrimSpace(v), nil
}

func normReadRouting(v string) (string, error) {
	switch s := strings.ToLower(strings.TrimSpace(v)); s {
	case "leader", "followers", "any":
		return s, nil
	}
	return "", errBadValue
}

func normLSN(v string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", nil
	}
	l, err := wal.ParseLSN(strings.TrimSpace(v))
	if err != nil {
		return "", errBadValue
	}
	return l.String(), nil
}

// backend returns the backend the session's transaction uses on node p,
// taking one (and opening the transaction there) if needed.
func (s *Session) backend(ctx context.Context, p *router.Pool) (*router.Backend, error) {
	if s.fwd != nil {
		return s.fwd, nil
	}
	b, err := p.Get(ctx, s.info.User)
	if err != nil {
		return nil, err
	}
	settings := make(map[string]string, len(forwardedSettings))
	for _, k := range forwardedSettings {
		if v, ok := s.params.get(k); ok {
			settings[k] = v
		}
	}
	if err := b.Settings(ctx, settings); err != nil {
		p.Put(b)
		return nil, err
	}
	if s.tx.block {
		begin := "BEGIN ISOLATION LEVEL " + s.tx.isolation
		if s.tx.readOnly {
			begin += " READ ONLY"
		}
		if err := b.Query(ctx, begin, discard{}); err != nil {
			p.Put(b)
			return nil, err
		}
		for _, sp := range s.tx.savepoints {
			if err := b.Query(ctx, "SAVEPOINT "+quoteIdent(sp), discard{}); err != nil {
				p.Put(b)
				return nil, err
			}
		}
	}
	s.fwd, s.fwdPool = b, p
	return b, nil
}

// forward runs st on node p in the simple protocol.
func (s *Session) forward(ctx context.Context, p *router.Pool, st *pgsql.Statement, w pgwire.ResultWriter) error {
	return s.forwardWith(ctx, p, st, func(b *router.Backend) error {
		if st.Kind == pgsql.KindCopy && st.Copy.From {
			return s.forwardCopy(ctx, b, st, w)
		}
		return b.Query(ctx, st.Text, w)
	})
}

// forwardWith runs st on node p through run, on the backend of the
// session's transaction there: it counts the route, marks a backend whose
// settings st changes, keeps such a setting here too, and ends the local
// side of a transaction that ended there.
func (s *Session) forwardWith(ctx context.Context, p *router.Pool, st *pgsql.Statement, run func(*router.Backend) error) error {
	s.countRoute(st, p)
	b, err := s.backend(ctx, p)
	if err != nil {
		return err
	}
	if changesSettings(st) {
		b.Dirty()
	}
	err = run(b)
	if err == nil {
		s.keepSetting(st)
	}
	s.afterForward(ctx)
	return err
}

// changesSettings reports whether st changes the settings of the session
// that runs it (a backend that ran it is not lent to another session).
func changesSettings(st *pgsql.Statement) bool {
	return st.Kind == pgsql.KindSet || st.Tag == "DISCARD ALL"
}

// keepSetting applies here a SET that another node ran for the session:
// the session keeps its own settings too (SHOW, later backends).
func (s *Session) keepSetting(st *pgsql.Statement) {
	if st.Kind != pgsql.KindSet {
		return
	}
	if err := s.runSet(st.Set); err != nil {
		s.log.Warn().Err(err).Str("statement", st.Text).Msg("setting accepted by another node, not here")
	}
}

// forwardCopy relays COPY … FROM STDIN: the client's data goes to the
// leader as it arrives.
func (s *Session) forwardCopy(ctx context.Context, b *router.Backend, st *pgsql.Statement, w pgwire.ResultWriter) error {
	_, format, err := copyOptions(st.Copy)
	if err != nil {
		return err
	}
	cols, err := s.copyColumns(ctx, st.Copy.Table, st.Copy.Columns)
	if err != nil {
		return err
	}
	in, err := w.CopyIn(format, len(cols))
	if err != nil {
		return err
	}
	return b.CopyFrom(ctx, st.Text, in, w)
}

// forwardPortal runs an extended-protocol portal on node p.
func (s *Session) forwardPortal(ctx context.Context, p *router.Pool, bp *boundPortal, w pgwire.ResultWriter) error {
	return s.forwardWith(ctx, p, bp.st, func(b *router.Backend) error {
		return b.Exec(ctx, bp.st.Text, bp.params, bp.args, w)
	})
}

// countRoute counts a statement for the routing metrics and notes where
// it runs (SHOW replisql.served_by).
func (s *Session) countRoute(st *pgsql.Statement, p *router.Pool) {
	cl := s.eng.cfg.Router
	switch {
	case p == nil:
		s.servedBy = s.eng.cfg.NodeName
		if cl != nil {
			cl.Count(router.Route{Kind: "local", Node: s.servedBy})
		}
	case writes(st) || (s.fwd != nil && !s.tx.readOnly):
		// A write, or a statement of a transaction that wrote there.
		s.servedBy = p.Name()
		cl.Count(router.Route{Kind: "write", Node: p.Name()})
	default:
		s.servedBy = p.Name()
		cl.Count(router.Route{Kind: "read", Node: p.Name()})
	}
}

// afterForward ends the local side of a transaction that ended on the
// other node, and notes its commit for read-your-writes.
func (s *Session) afterForward(ctx context.Context) {
	b := s.fwd
	if b == nil || b.InTx() {
		return
	}
	if l, err := wal.ParseLSN(b.CommitLSN()); err == nil && l > s.lastCommit {
		s.lastCommit = l
	}
	s.fwdPool.Put(b)
	s.fwd, s.fwdPool = nil, nil
	if s.tx.block {
		s.endTx(ctx, false)
	}
}

// dropForward gives up a forwarded transaction (session end): the other
// node rolls it back when the backend is closed.
func (s *Session) dropForward() {
	if s.fwd != nil {
		s.fwdPool.Put(s.fwd)
		s.fwd, s.fwdPool = nil, nil
	}
}

// describeOnLeader describes a statement this node cannot plan (a table
// created by the session's forwarded transaction, not yet here).
func (s *Session) describeOnLeader(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []pgwire.Column, error) {
	cl := s.eng.cfg.Router
	p := s.fwdPool
	if p == nil {
		p = cl.LeaderPool()
	}
	b, err := s.backend(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	params, cols, err := b.Describe(ctx, sql, paramOIDs)
	s.afterForward(ctx)
	return params, cols, err
}

// discard is a ResultWriter that drops everything (for the BEGIN a
// forwarded block starts with).
type discard struct{ pgwire.ResultWriter }

func (discard) Describe([]pgwire.Column) error { return nil }
func (discard) Row([]any) error                { return nil }
func (discard) Complete(string) error          { return nil }
func (discard) Notice(*pgwire.Notice) error    { return nil }

// forwardWhole reports whether a simple-protocol message of several
// statements must go to the leader as one message: on a follower, outside
// a transaction, when one of them writes. PostgreSQL runs such a message
// as one implicit transaction, which only the leader can give it.
func (s *Session) forwardWhole(stmts []*pgsql.Statement) bool {
	if len(stmts) < 2 || !s.routed() || !s.inRecovery() || s.fwd != nil || s.tx.block {
		return false
	}
	write := false
	for _, st := range stmts {
		if st.Kind == pgsql.KindCopy {
			return false // COPY's data follows its own statement
		}
		write = write || writes(st)
	}
	return write
}

// forwardMessage runs a whole simple-protocol message on the leader and
// takes over the transaction state it leaves (a BEGIN inside it opens a
// block that stays pinned there).
func (s *Session) forwardMessage(ctx context.Context, sql string, stmts []*pgsql.Statement, w pgwire.ResultWriter) error {
	cl := s.eng.cfg.Router
	p := cl.LeaderPool()
	for _, st := range stmts {
		s.countRoute(st, p)
	}
	b, err := s.backend(ctx, p)
	if err != nil {
		return err
	}
	err = b.Query(ctx, sql, w)
	for _, st := range stmts {
		if changesSettings(st) {
			b.Dirty()
		}
		if err == nil {
			s.keepSetting(st)
		}
	}
	if b.InTx() {
		// The message left a transaction block open on the leader.
		s.tx.block = true
		s.startTx()
		s.tx.failed = b.TxFailed()
		return err
	}
	s.afterForward(ctx)
	return err
}
