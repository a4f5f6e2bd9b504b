package router

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/rs/zerolog"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// Config configures a Pool.
type Config struct {
	// Addr is the node's address (host:port) and Name its node name
	// (what SHOW replisql.served_by reports).
	Addr, Name string
	// Backends log in as the session's user, or — when the other node
	// asks that user for a password, which only the client knows — as
	// User, the cluster's internal role, with Password. Database is the
	// database they open.
	User, Password, Database string
	// MaxIdle bounds the idle connections kept (default 16).
	MaxIdle int
	Logger  zerolog.Logger
}

// Pool holds connections to the leader.
type Pool struct {
	cfg  Config
	log  zerolog.Logger
	mu   sync.Mutex
	idle map[string][]*Backend // by user
}

// NewPool returns a pool of connections to the node at cfg.Addr.
func NewPool(cfg Config) *Pool {
	if cfg.MaxIdle <= 0 {
		cfg.MaxIdle = 16
	}
	if cfg.User == "" {
		cfg.User = "postgres"
	}
	if cfg.Database == "" {
		cfg.Database = "postgres"
	}
	return &Pool{cfg: cfg, log: cfg.Logger.With().Str("component", "router").Logger(), idle: map[string][]*Backend{}}
}

// Name is the node's name.
func (p *Pool) Name() string { return p.cfg.Name }

// outputSettings fix how the backend prints values, so that DecodeParam
// reads them back exactly.
var outputSettings = map[string]string{
	"DateStyle":          "ISO, MDY",
	"IntervalStyle":      "postgres",
	"extra_float_digits": "3",
	"bytea_output":       "hex",
	"client_encoding":    "UTF8",
}

// Get returns a backend connection for user (idle or new). The caller
// gives it back with Put.
func (p *Pool) Get(ctx context.Context, user string) (*Backend, error) {
	for {
		p.mu.Lock()
		idle := p.idle[user]
		if len(idle) == 0 {
			p.mu.Unlock()
			break
		}
		b := idle[len(idle)-1]
		p.idle[user] = idle[:len(idle)-1]
		p.mu.Unlock()
		if !b.conn.IsClosed() {
			return b, nil
		}
	}
	b, err := p.dial(ctx, user)
	var pe *pgconn.PgError
	if err != nil && user != p.cfg.User && errors.As(err, &pe) &&
		(pgerr.Code(pe.Code) == pgerr.InvalidPassword || pgerr.Code(pe.Code) == pgerr.InvalidAuthorizationSpec) {
		// The session's user authenticated here with a password this
		// node does not have: the internal role carries its statements.
		p.log.Debug().Str("user", user).Str("node", p.cfg.Name).Msg("forwarding as the internal role")
		b, err = p.dial(ctx, p.cfg.User)
		if err == nil {
			b.user = user // pooled for the session's user
		}
	}
	if err != nil {
		return nil, unavailable(p.cfg.Name, p.cfg.Addr, err)
	}
	return b, nil
}

// dial opens a backend connection as user.
func (p *Pool) dial(ctx context.Context, user string) (*Backend, error) {
	host, port, err := net.SplitHostPort(p.cfg.Addr)
	if err != nil {
		return nil, err
	}
	cfg, err := pgconn.ParseConfig(fmt.Sprintf("host=%s port=%s sslmode=prefer connect_timeout=10", host, port))
	if err != nil {
		return nil, err
	}
	cfg.User, cfg.Database = user, p.cfg.Database
	if user == p.cfg.User {
		cfg.Password = p.cfg.Password
	}
	for k, v := range outputSettings {
		cfg.RuntimeParams[k] = v
	}
	cfg.RuntimeParams["replisql.report_commit_lsn"] = "on"
	b := &Backend{user: user, settings: map[string]string{}}
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { b.notice(n) }
	// A cancelled statement sends a CancelRequest to the leader (as the
	// client's own cancel would), then gives up on the socket.
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: 5 * time.Second}
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgconn.ConnectConfig(cctx, cfg)
	if err != nil {
		return nil, err
	}
	b.conn = conn
	return b, nil
}

// Put gives b back. A backend left inside a transaction, or broken, is
// closed instead.
func (p *Pool) Put(b *Backend) {
	if b == nil {
		return
	}
	b.w = nil
	if b.conn.IsClosed() || b.conn.TxStatus() != 'I' || b.broken || b.dirty {
		b.conn.Close(context.Background())
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle[b.user]) >= p.cfg.MaxIdle {
		go b.conn.Close(context.Background())
		return
	}
	p.idle[b.user] = append(p.idle[b.user], b)
}

// Close closes the idle connections.
func (p *Pool) Close() {
	p.mu.Lock()
	idle := p.idle
	p.idle = map[string][]*Backend{}
	p.mu.Unlock()
	for _, bs := range idle {
		for _, b := range bs {
			b.conn.Close(context.Background())
		}
	}
}

// unavailable is the error of a leader that cannot be reached.
func unavailable(name, addr string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// The other node refused the backend connection (FATAL there):
		// this statement fails, the client's session goes on.
		e := pgError(pe)
		e.Severity = ""
		e.Message = fmt.Sprintf("node %s refused the connection this statement needs: %s", name, pe.Message)
		return e
	}
	return pgerr.Wrap(err, pgerr.ConnectionFailure, "cannot reach node %s at %s: %v", name, addr, err)
}

// pgError turns the leader's error into ours, field for field.
func pgError(pe *pgconn.PgError) *pgerr.Error {
	return &pgerr.Error{
		Severity: pe.Severity, Code: pgerr.Code(pe.Code), Message: pe.Message, Detail: pe.Detail,
		Hint: pe.Hint, Position: pe.Position, Table: pe.TableName, Column: pe.ColumnName,
		Constraint: pe.ConstraintName,
	}
}
