package session

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/replisql/replisql/pgwire"
	"github.com/replisql/replisql/pgwire/pgerr"
	"github.com/replisql/replisql/router"
	"github.com/replisql/replisql/store"
	"github.com/replisql/replisql/wal"
)

// Config is what sessions share.
type Config struct {
	// ServerVersion is reported as server_version; it must be a real
	// PostgreSQL version for clients that branch on it.
	ServerVersion string
	// Database is the one database this node serves.
	Database string
	// Defaults overrides parameter defaults (the cluster-wide settings,
	// e.g. synchronous_commit), by parameter name.
	Defaults map[string]string
	// Users are the role names pg_roles shows (the first owns every
	// object); empty means "postgres".
	Users []string
	// Replication is this node's place in the cluster; nil for a single
	// node.
	Replication Replication
	// Router reaches the cluster's other nodes: a follower forwards writes
	// to the leader, any node may send reads elsewhere
	// (replisql.read_routing). nil: writes on a follower fail with 25006
	// and every statement runs here.
	Router *router.Cluster
	// NodeName is this node's name (SHOW replisql.served_by).
	NodeName string
	// AlterSystem keeps a cluster-wide setting for the next reload
	// (ALTER SYSTEM SET name = value, or RESET when reset); nil refuses
	// ALTER SYSTEM. Reload is what pg_reload_conf() asks for.
	AlterSystem func(name, value string, reset bool) error
	Reload      func() error
	Logger      zerolog.Logger
}

// Replication is what sessions need of the cluster (package replica
// provides it).
type Replication interface {
	// InRecovery reports whether this node is a follower: it refuses
	// writes (25006) and reports in_hot_standby.
	InRecovery() bool
	// Healthy is nil while the node may serve reads; a follower that
	// stopped applying the leader's WAL says why.
	Healthy() error
	// WaitCommit waits, on the leader, until the standbys named by
	// synchronous_standby_names confirm the commit ending at lsn as
	// level (a synchronous_commit value) asks; it returns at once for
	// the local levels.
	// now, when not nil, gives the level and names to wait by as they
	// change (a configuration reload), re-read at every wake-up.
	WaitCommit(ctx context.Context, lsn wal.LSN, level, standbyNames string, now func() (string, string)) error
	// ReceivedLSN and ReplayedLSN are a follower's positions (0 on the
	// leader); LastReplayTime when the last applied transaction began
	// on the leader.
	ReceivedLSN() wal.LSN
	ReplayedLSN() wal.LSN
	LastReplayTime() time.Time
}

// Engine opens sessions over one store. It implements pgwire.Handler.
type Engine struct {
	cfg      Config
	store    *store.Store
	log      zerolog.Logger
	start    time.Time
	views    schemaCache
	catalogs catalogSnapshots
	cluster  atomic.Pointer[clusterSettings] // reloaded settings (sysconfig.go)
}

var _ pgwire.Handler = (*Engine)(nil)

// NewEngine returns an engine serving st.
func NewEngine(cfg Config, st *store.Store) *Engine {
	if cfg.ServerVersion == "" {
		cfg.ServerVersion = DefaultServerVersion
	}
	if cfg.Database == "" {
		cfg.Database = "postgres"
	}
	e := &Engine{cfg: cfg, store: st, log: cfg.Logger, start: time.Now()}
	monitorNode.Store(e)
	return e
}

// DefaultServerVersion is the PostgreSQL version RepliSQL reports.
const DefaultServerVersion = pgwire.DefaultServerVersion

// NewSession implements pgwire.Handler.
func (e *Engine) NewSession(ctx context.Context, info pgwire.StartupInfo) (pgwire.Session, error) {
	s := &Session{
		eng:      e,
		info:     info,
		log:      e.log.With().Uint32("pid", info.ProcessID).Str("user", info.User).Logger(),
		prepared: map[*prepared]struct{}{},
		cursors:  map[string]*cursor{},
	}
	s.params = newParams(e.cfg, info)
	set, err := s.params.applyStartup(info.Params)
	if err != nil {
		// A bad startup parameter ends the connection, as in PostgreSQL.
		e := *pgerr.As(err)
		e.Severity = pgerr.SeverityFatal
		return nil, &e
	}
	// A reload must not undo what the client asked for at startup
	// (`options='-c replisql.read_routing=followers'`): in PostgreSQL a
	// client's startup value outranks the configuration file.
	for _, name := range set {
		if isReloadable(name) {
			if s.explicit == nil {
				s.explicit = map[string]bool{}
			}
			s.explicit[name] = true
		}
	}
	return s, nil
}
