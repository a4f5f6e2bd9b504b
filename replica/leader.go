package replica

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/replisql/replisql/pgwire"
	"github.com/replisql/replisql/pgwire/pgerr"
	"github.com/replisql/replisql/store"
	"github.com/replisql/replisql/wal"
)

// Leader is the leader's side of replication: it serves replication
// connections (WAL senders, one per follower), keeps what each follower
// reported, and makes committers wait as their synchronous_commit level
// asks (WaitCommit).
type Leader struct {
	st  *store.Store
	log zerolog.Logger
	// SystemID identifies the cluster (IDENTIFY_SYSTEM).
	systemID string

	mu      sync.Mutex
	senders map[*sender]struct{}
	changed chan struct{} // closed and replaced when a position or the set of senders changes

	namesMu sync.Mutex
	names   map[string]StandbyNames // parsed synchronous_standby_names values
}

var _ pgwire.Handler = (*Leader)(nil)

// NewLeader returns the leader's replication service over st.
func NewLeader(st *store.Store, systemID string, log zerolog.Logger) *Leader {
	return &Leader{
		st:       st,
		log:      log.With().Str("component", "replication").Logger(),
		systemID: systemID,
		senders:  make(map[*sender]struct{}),
		changed:  make(chan struct{}),
		names:    make(map[string]StandbyNames),
	}
}

// NewSession implements pgwire.Handler for replication connections.
func (l *Leader) NewSession(ctx context.Context, info pgwire.StartupInfo) (pgwire.Session, error) {
	return &walSender{l: l, info: info, log: l.log.With().Uint32("pid", info.ProcessID).Str("standby", standbyName(info)).Logger()}, nil
}

// standbyName is the name a standby is known by: its application_name,
// as in PostgreSQL ("walreceiver" when it gives none).
func standbyName(info pgwire.StartupInfo) string {
	if n := info.Params["application_name"]; n != "" {
		return n
	}
	return "walreceiver"
}

// sender is the state of one WAL sender, as pg_stat_replication shows it.
type sender struct {
	pid     uint32
	addr    string
	started time.Time

	// Guarded by Leader.mu, except the name, which never changes.
	standbyPos                          // the standby's name and reported write, flush, apply
	state                        string // startup, catchup, streaming
	sent                         wal.LSN
	writeLag, flushLag, applyLag time.Duration
	replyTime                    time.Time
	lag                          lagTracker
}

func (l *Leader) register(s *sender) {
	l.mu.Lock()
	l.senders[s] = struct{}{}
	l.broadcastLocked()
	l.mu.Unlock()
	l.log.Info().Str("standby", s.name).Str("addr", s.addr).Msg("standby connected")
}

func (l *Leader) unregister(s *sender) {
	l.mu.Lock()
	delete(l.senders, s)
	l.broadcastLocked()
	l.mu.Unlock()
	l.log.Info().Str("standby", s.name).Str("addr", s.addr).Msg("standby disconnected")
}

// wake wakes every waiting committer, to look at the standbys again.
func (l *Leader) wake() {
	l.mu.Lock()
	l.broadcastLocked()
	l.mu.Unlock()
}

// broadcastLocked wakes every waiting committer. l.mu MUST be held.
func (l *Leader) broadcastLocked() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// sent notes that a sender sent the WAL up to end.
func (l *Leader) noteSent(s *sender, end wal.LSN, streaming bool) {
	l.mu.Lock()
	s.sent = end
	s.lag.add(end, time.Now())
	if streaming && s.state != "streaming" {
		s.state = "streaming"
	}
	l.mu.Unlock()
}

// noteStatus records a standby status update.
func (l *Leader) noteStatus(s *sender, st standbyStatus) {
	now := time.Now()
	l.mu.Lock()
	s.write, s.flush, s.apply = max(s.write, st.Write), max(s.flush, st.Flush), max(s.apply, st.Apply)
	if d, ok := s.lag.since(lagWrite, s.write, now); ok {
		s.writeLag = d
	}
	if d, ok := s.lag.since(lagFlush, s.flush, now); ok {
		s.flushLag = d
	}
	if d, ok := s.lag.since(lagApply, s.apply, now); ok {
		s.applyLag = d
	}
	s.replyTime = now
	l.broadcastLocked()
	l.mu.Unlock()
}

// standbyNames parses a synchronous_standby_names value, caching it.
func (l *Leader) standbyNames(v string) (StandbyNames, error) {
	l.namesMu.Lock()
	defer l.namesMu.Unlock()
	if n, ok := l.names[v]; ok {
		return n, nil
	}
	n, err := ParseStandbyNames(v)
	if err != nil {
		return StandbyNames{}, err
	}
	if len(l.names) > 64 {
		clear(l.names)
	}
	l.names[v] = n
	return n, nil
}

// WaitCommit waits until the commit whose record ends at lsn (already
// durable locally) is confirmed by the standbys that names makes
// synchronous, at level (PostgreSQL's synchronous replication). It
// returns at once for off and local, and for an empty names. A commit
// waiting for standbys that are gone waits until they come back, ctx ends
// (the caller reports the cancelled wait; the commit stands), or the
// waiting is no longer needed.
//
// now, when not nil, gives the level and names to wait by at each
// wake-up: a configuration reload that no longer asks for the standbys
// releases the wait.
func (l *Leader) WaitCommit(ctx context.Context, lsn wal.LSN, levelName, names string, now func() (string, string)) error {
	if lsn == 0 {
		return nil
	}
	var pos []standbyPos
	for {
		if now != nil {
			levelName, names = now()
		}
		level, ok := ParseLevel(levelName)
		if !ok {
			level = LevelOn
		}
		if !level.Remote() || names == "" {
			return nil
		}
		n, err := l.standbyNames(names)
		if err != nil {
			return pgerr.New(pgerr.InvalidParameterValue, "invalid value for parameter \"synchronous_standby_names\": %q", names)
		}
		if n.Empty() {
			return nil
		}
		l.mu.Lock()
		pos = pos[:0]
		for s := range l.senders {
			if s.state == "streaming" || s.state == "catchup" {
				pos = append(pos, s.standbyPos)
			}
		}
		ok = n.satisfied(level, lsn, pos)
		changed := l.changed
		l.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// StandbyStatus is one row of pg_stat_replication.
type StandbyStatus struct {
	PID                           uint32
	Name                          string
	ClientAddr                    string
	BackendStart                  time.Time
	State                         string
	Sent, Write, Flush, Replay    wal.LSN
	WriteLag, FlushLag, ReplayLag time.Duration
	SyncPriority                  int
	SyncState                     string // async, potential, sync, quorum
	ReplyTime                     time.Time
}

// Standbys reports every connected standby, as pg_stat_replication,
// with sync_state computed for names (the session's
// synchronous_standby_names).
func (l *Leader) Standbys(names string) []StandbyStatus {
	n, _ := l.standbyNames(names)
	l.mu.Lock()
	defer l.mu.Unlock()
	var all []standbyPos
	var out []StandbyStatus
	for s := range l.senders {
		all = append(all, s.standbyPos)
		out = append(out, StandbyStatus{
			PID: s.pid, Name: s.name, ClientAddr: s.addr, BackendStart: s.started, State: s.state,
			Sent: s.sent, Write: s.write, Flush: s.flush, Replay: s.apply,
			WriteLag: s.writeLag, FlushLag: s.flushLag, ReplayLag: s.applyLag, ReplyTime: s.replyTime,
		})
	}
	sync := map[string]bool{}
	if !n.Any {
		for _, s := range n.syncStandbys(all) {
			sync[s.name] = true
		}
	}
	slices.SortFunc(out, func(a, b StandbyStatus) int { return int(a.PID) - int(b.PID) })
	for i := range out {
		out[i].SyncPriority = n.priority(out[i].Name)
		switch {
		case n.Empty() || out[i].SyncPriority == 0:
			out[i].SyncState, out[i].SyncPriority = "async", 0
		case n.Any:
			out[i].SyncState = "quorum"
		case sync[out[i].Name]:
			out[i].SyncState = "sync"
		default:
			out[i].SyncState = "potential"
		}
	}
	return out
}

// lagTracker remembers when WAL positions were sent, to compute how long
// a standby took to write, flush and apply them (pg_stat_replication's
// *_lag columns).
type lagTracker struct {
	samples [256]lagSample
	head    int // next slot to write
	n       int
	read    [3]int // per kind: how many samples from the oldest are consumed
}

type lagSample struct {
	lsn wal.LSN
	at  time.Time
}

const (
	lagWrite = iota
	lagFlush
	lagApply
)

func (t *lagTracker) add(lsn wal.LSN, at time.Time) {
	if t.n > 0 {
		last := t.samples[(t.head+len(t.samples)-1)%len(t.samples)]
		if last.lsn >= lsn || at.Sub(last.at) < time.Millisecond {
			return
		}
	}
	t.samples[t.head] = lagSample{lsn, at}
	t.head = (t.head + 1) % len(t.samples)
	if t.n < len(t.samples) {
		t.n++
	} else {
		for k := range t.read {
			t.read[k] = max(t.read[k]-1, 0)
		}
	}
}

// since returns how long ago the newest sample at or before lsn was sent,
// consuming the samples it passes.
func (t *lagTracker) since(kind int, lsn wal.LSN, now time.Time) (time.Duration, bool) {
	oldest := (t.head - t.n + len(t.samples)) % len(t.samples)
	var found *lagSample
	for t.read[kind] < t.n {
		s := &t.samples[(oldest+t.read[kind])%len(t.samples)]
		if s.lsn > lsn {
			break
		}
		found = s
		t.read[kind]++
	}
	if found == nil {
		return 0, false
	}
	return now.Sub(found.at), true
}
