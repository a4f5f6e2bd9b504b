package pgwire

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Sentinel errors of the server lifecycle.
var (
	// ErrServerClosed is returned by Serve after Shutdown or Close.
	ErrServerClosed = errors.New("pgwire: server closed")
)

// Defaults and bounds of Config.
const (
	DefaultDatabase       = "postgres"
	DefaultMaxConnections = 100
	DefaultMaxMessageSize = 64 << 20
	// MaxMessageSizeLimit is PostgreSQL's PQ_LARGE_MESSAGE_LIMIT (1 GiB - 1).
	MaxMessageSizeLimit   = 1<<30 - 1
	DefaultServerVersion  = "15.18"
	DefaultStartupTimeout = 60 * time.Second
	// minMessageSize keeps MaxMessageSize above PostgreSQL's limit for
	// small messages so that Sync, Describe and friends always fit.
	minMessageSize = smallMessageLimit
)

// Config configures a Server. The zero value of every field but Handler
// has a usable default.
type Config struct {
	// Listen is the address ListenAndServe listens on ("127.0.0.1:5432").
	Listen string
	// Database is the only database name clients may connect to;
	// DefaultDatabase when empty.
	Database string
	// TLS, when set, is offered to clients that send SSLRequest.
	TLS *tls.Config
	// TLSRequired refuses clients that did not negotiate TLS (FATAL 28000).
	TLSRequired bool
	// Auth authenticates clients; nil trusts everyone (PostgreSQL "trust").
	Auth *Authenticator
	// MaxConnections bounds the sessions; past it a client gets FATAL
	// 53300 "sorry, too many clients already". DefaultMaxConnections when 0.
	MaxConnections int
	// MaxMessageSize bounds a Query, Parse, Bind, CopyData, CopyFail or
	// FunctionCall message body; larger messages close the connection with
	// FATAL 08P01 before anything is allocated for them. Other messages are
	// bounded by 10000 bytes as in PostgreSQL. DefaultMaxMessageSize when 0;
	// at most MaxMessageSizeLimit.
	MaxMessageSize int
	// ServerVersion is sent as server_version when the session does not
	// report one. It must be a real PostgreSQL version ("15.18"): clients
	// pick features by it. DefaultServerVersion when empty.
	ServerVersion string
	// StartupTimeout bounds the startup phase (TLS handshake, startup
	// packet, authentication) like PostgreSQL's authentication_timeout.
	// DefaultStartupTimeout when 0.
	StartupTimeout time.Duration
	// Logger receives connection and error logs.
	Logger zerolog.Logger
	// Handler opens a Session for each authenticated connection. Required.
	Handler Handler
	// ReplicationHandler opens the sessions of replication connections
	// (startup parameter replication=true) of roles that may replicate;
	// nil refuses them.
	ReplicationHandler Handler
}

// serverVersionRE accepts "15.18" and "15.18 (Debian 15.18-0+deb12u1)":
// a PostgreSQL 10 or later version, which every client parses.
var serverVersionRE = regexp.MustCompile(`^[1-9][0-9]\.[0-9]+( .*)?$`)

// withDefaults returns c with defaults applied, or an error for invalid
// values.
func (c Config) withDefaults() (Config, error) {
	if c.Handler == nil {
		return c, errors.New("pgwire: Config.Handler is required")
	}
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.MaxConnections == 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.MaxConnections < 0 {
		return c, fmt.Errorf("pgwire: MaxConnections %d is negative", c.MaxConnections)
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.MaxMessageSize < minMessageSize || c.MaxMessageSize > MaxMessageSizeLimit {
		return c, fmt.Errorf("pgwire: MaxMessageSize %d outside [%d, %d]", c.MaxMessageSize, minMessageSize, MaxMessageSizeLimit)
	}
	if c.ServerVersion == "" {
		c.ServerVersion = DefaultServerVersion
	}
	if !serverVersionRE.MatchString(c.ServerVersion) {
		return c, fmt.Errorf("pgwire: ServerVersion %q is not a PostgreSQL version such as %q", c.ServerVersion, DefaultServerVersion)
	}
	if c.StartupTimeout == 0 {
		c.StartupTimeout = DefaultStartupTimeout
	}
	if c.TLSRequired && c.TLS == nil {
		return c, errors.New("pgwire: TLSRequired needs Config.TLS")
	}
	return c, nil
}

// Server accepts PostgreSQL clients and runs one goroutine per connection.
// Create it with NewServer; run it with Serve or ListenAndServe; stop it
// with Shutdown (graceful) or Close (immediate).
type Server struct {
	cfg     Config
	log     zerolog.Logger
	cancels cancelRegistry

	shutting atomic.Bool // set once by Shutdown or Close
	// onPanic, when set (by tests), sees every panic a connection recovers.
	onPanic func(any)

	mu        sync.Mutex // guards the fields below
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	sessions  int // connections past the MaxConnections check
}

// NewServer checks cfg, applies its defaults and returns a server that is
// not yet listening.
func NewServer(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger.With().Str("component", "pgwire").Logger(),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
	}
	s.cancels.init()
	return s, nil
}

// Config returns the configuration in use, defaults applied.
func (s *Server) Config() Config { return s.cfg }

// ListenAndServe listens on Config.Listen and calls Serve.
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("pgwire: listen %q: %w", s.cfg.Listen, err)
	}
	return s.Serve(ctx, ln)
}

// Serve accepts connections on ln until Shutdown or Close is called
// (then it returns ErrServerClosed) or ctx is done (then it closes the
// server at once, as Close does, and returns ctx.Err()). Serve closes ln.
// Sessions receive contexts derived from ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !s.trackListener(ln) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.untrackListener(ln)

	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()

	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.shutting.Load() {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporaryAcceptError(err) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn().Err(err).Dur("retry_in", backoff).Msg("accept failed")
				select {
				case <-time.After(backoff):
					continue
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return fmt.Errorf("pgwire: accept: %w", err)
		}
		backoff = 0
		c := newConn(ctx, s, nc)
		if !s.trackConn(c) {
			go c.refuseOverload()
			continue
		}
		go c.serve()
	}
}

// isTemporaryAcceptError reports accept errors worth a retry (EMFILE,
// ECONNABORTED and friends): anything that does not say the listener is
// closed.
func isTemporaryAcceptError(err error) bool {
	return !errors.Is(err, net.ErrClosed)
}

// Shutdown stops accepting connections and ends the existing ones
// gracefully: idle connections get FATAL 57P01 "terminating connection due
// to administrator command" at once, busy ones after their running
// statement finished (at their next read). When ctx expires first, running
// statements are cancelled (their clients get FATAL 57P01, as in
// PostgreSQL's fast shutdown), connections that have not ended a second
// later are closed, and ctx.Err() is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.beginShutdown()
	ticker := time.NewTicker(10 * time.Millisecond)
	defer ticker.Stop()
	for {
		s.mu.Lock()
		n := len(s.conns)
		for c := range s.conns {
			c.interruptIfIdle()
		}
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			s.cancelConns()
			s.waitConns(shutdownGrace)
			s.closeConns()
			return ctx.Err()
		case <-ticker.C:
		}
	}
}

// shutdownGrace is how long cancelled statements have to send their
// FATAL 57P01 before their connections are closed.
const shutdownGrace = time.Second

// cancelConns cancels every running statement with the shutdown cause.
func (s *Server) cancelConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.baseCancel(errAdminShutdown)
	}
}

// waitConns waits up to d for every connection to end.
func (s *Server) waitConns(d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Close closes the listeners and every connection at once, without a
// message to the clients; running statements are cancelled.
func (s *Server) Close() error {
	s.beginShutdown()
	s.closeConns()
	return nil
}

func (s *Server) beginShutdown() {
	s.shutting.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	for ln := range s.listeners {
		ln.Close()
		delete(s.listeners, ln)
	}
}

func (s *Server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.interruptIfIdle()
		c.forceClose()
	}
}

func (s *Server) trackListener(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting.Load() {
		return false
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrackListener(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.listeners[ln]; ok {
		ln.Close()
		delete(s.listeners, ln)
	}
}

// maxLiveConns bounds the goroutines serving connections, including
// those still in startup and those only sending a CancelRequest, like
// PostgreSQL's MaxLivePostmasterChildren (2 × max_connections).
func (s *Server) maxLiveConns() int { return 2*s.cfg.MaxConnections + 10 }

func (s *Server) trackConn(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) >= s.maxLiveConns() {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrackConn(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if c.counted {
		s.sessions--
	}
}

// admitSession counts c as a session unless MaxConnections is reached.
func (s *Server) admitSession(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions >= s.cfg.MaxConnections {
		return false
	}
	s.sessions++
	c.counted = true
	return true
}

// ConnCount returns the number of open connections, including those in
// startup.
func (s *Server) ConnCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}
