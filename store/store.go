package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/replisql/replisql/pgwire/pgerr"
)

// Options configure a Store.
type Options struct {
	// Dir is the node's data directory; the database is Dir/db.sqlite.
	Dir string
	// Readers is the number of reader connections (default 4).
	Readers int
	// WriteWait bounds how long Writer waits for the writer connection
	// when the caller's context has no earlier deadline (default 10s).
	WriteWait time.Duration
	// Synchronous is SQLite's synchronous pragma for the writer: "FULL"
	// (default) or "NORMAL". With a WAL of our own in front, NORMAL is
	// enough; until then FULL keeps commits durable.
	Synchronous string
	Logger      zerolog.Logger
}

// Store is one node's SQLite database.
type Store struct {
	path   string
	opts   Options
	log    zerolog.Logger
	wdb    *sql.DB // one connection: the writer
	rdb    *sql.DB // readers, query_only
	writer chan *Conn

	readers chan *Conn // idle reader connections
	rmu     sync.Mutex // guards rOpen
	rOpen   int

	schemaVersion atomic.Uint64 // bumped by InvalidateSchema
	schema        atomic.Pointer[Schema]
	schemaMu      sync.Mutex // serializes schema loads
}

// DBFile is the database's file name inside the data directory.
const DBFile = "db.sqlite"

// Open opens (creating if needed) the database in opts.Dir.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	if opts.WriteWait <= 0 {
		opts.WriteWait = 10 * time.Second
	}
	if opts.Synchronous == "" {
		opts.Synchronous = "FULL"
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(opts.Dir, DBFile)
	s := &Store{
		path:    path,
		opts:    opts,
		log:     opts.Logger,
		writer:  make(chan *Conn, 1),
		readers: make(chan *Conn, opts.Readers),
	}
	var err error
	s.wdb, err = sql.Open("sqlite", dsn(path, false, opts.Synchronous))
	if err != nil {
		return nil, fmt.Errorf("open writer: %w", err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)
	wc, err := s.wdb.Conn(ctx)
	if err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("open writer: %w", err)
	}
	w := newConn(wc, true)
	if _, err := wc.ExecContext(ctx, metaDDL); err != nil {
		w.close()
		s.wdb.Close()
		return nil, fmt.Errorf("create meta table: %w", err)
	}
	s.writer <- w
	s.rdb, err = sql.Open("sqlite", dsn(path, true, "NORMAL"))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open readers: %w", err)
	}
	s.rdb.SetMaxOpenConns(opts.Readers)
	s.rdb.SetMaxIdleConns(opts.Readers)
	s.rdb.SetConnMaxLifetime(0)
	s.rdb.SetConnMaxIdleTime(0)
	s.log.Info().Str("path", path).Int("readers", opts.Readers).Msg("database open")
	return s, nil
}

const metaDDL = `CREATE TABLE IF NOT EXISTS replisql_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID`

func dsn(path string, readOnly bool, synchronous string) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+synchronous+")")
	q.Add("_pragma", "cache_size(-32768)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Writer waits for the writer connection. The caller MUST give it back
// with Release. Waiting ends with 55P03 after opts.WriteWait, or with the
// context's error.
func (s *Store) Writer(ctx context.Context) (*Conn, error) {
	select {
	case c, ok := <-s.writer:
		if !ok {
			return nil, errClosed
		}
		return c, nil
	default:
	}
	t := time.NewTimer(s.opts.WriteWait)
	defer t.Stop()
	select {
	case c, ok := <-s.writer:
		if !ok {
			return nil, errClosed
		}
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, &pgerr.Error{Code: pgerr.LockNotAvailable,
			Message: "canceling statement due to lock timeout",
			Detail:  fmt.Sprintf("Another transaction held the database's write lock for more than %s.", s.opts.WriteWait)}
	}
}

// Reader returns a reader connection. The caller MUST give it back with
// Release.
func (s *Store) Reader(ctx context.Context) (*Conn, error) {
	select {
	case c := <-s.readers:
		return c, nil
	default:
	}
	s.rmu.Lock()
	if s.rOpen < s.opts.Readers {
		s.rOpen++
		s.rmu.Unlock()
		sc, err := s.rdb.Conn(ctx)
		if err != nil {
			s.rmu.Lock()
			s.rOpen--
			s.rmu.Unlock()
			return nil, MapError(err)
		}
		return newConn(sc, false), nil
	}
	s.rmu.Unlock()
	select {
	case c := <-s.readers:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Release gives a connection back. A connection left inside a
// transaction is rolled back first.
func (s *Store) Release(c *Conn) {
	if c.inTx {
		if err := c.Rollback(context.Background()); err != nil {
			s.log.Error().Err(err).Msg("rollback on release")
		}
	}
	if c.writer {
		s.writer <- c
		return
	}
	s.readers <- c
}

var errClosed = pgerr.Fatal(pgerr.AdminShutdown, "terminating connection due to administrator command")

// Close closes every connection. Connections still out are closed by
// database/sql when they come back.
func (s *Store) Close() error {
	var errs []error
	if s.rdb != nil {
	drain:
		for {
			select {
			case c := <-s.readers:
				c.close()
			default:
				break drain
			}
		}
		errs = append(errs, s.rdb.Close())
	}
	select {
	case c := <-s.writer:
		if _, err := c.conn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			errs = append(errs, err)
		}
		c.close()
	case <-time.After(5 * time.Second):
		errs = append(errs, errors.New("store: writer still busy at close"))
	}
	errs = append(errs, s.wdb.Close())
	s.log.Info().Str("path", s.path).Msg("database closed")
	return errors.Join(errs...)
}
