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
	"golang.org/x/sync/errgroup"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/replisql/replisql/pgwire/pgerr"
	"github.com/replisql/replisql/wal"
)

// Options configure a Store.
type Options struct {
	// Dir is the node's data directory: the database is Dir/db.sqlite, the
	// WAL Dir/wal, snapshots Dir/snapshots.
	Dir string
	// Readers is the number of reader connections (default 4).
	Readers int
	// WriteWait bounds how long Writer waits for the writer connection
	// when the caller's context has no earlier deadline (default 10s).
	WriteWait time.Duration
	// Term is the leader term written into every WAL record (default 1).
	Term uint64
	// NoWAL runs without the statement WAL (SQLite alone, synchronous
	// FULL): for tools and tests only.
	NoWAL bool
	// WALNoSync skips fsyncs of the WAL: for tests only, it voids
	// durability.
	WALNoSync bool
	// WALFS is the WAL's file system (default the OS's); tests inject
	// failures through it.
	WALFS wal.FS
	// WALWriterDelay is how often the WAL is fsynced in the background,
	// bounding what synchronous_commit = off may lose (default 200ms).
	WALWriterDelay time.Duration
	// SnapshotsKept is how many snapshots are retained (default 2); the WAL
	// before the oldest kept snapshot is purged.
	SnapshotsKept int
	// OnConnect is called once for each new SQLite connection, outside any
	// transaction, before it is used: the layer above prepares its
	// per-connection state (attached in-memory databases) there.
	OnConnect func(ctx context.Context, c *Conn) error
	Logger    zerolog.Logger
}

// Store is one node's SQLite database and its statement WAL.
type Store struct {
	path   string
	opts   Options
	log    zerolog.Logger
	wdb    *sql.DB // one connection: the writer
	rdb    *sql.DB // readers, query_only
	writer chan *Conn
	// writeWaiters counts the sessions waiting for the writer.
	writeWaiters atomic.Int32
	// openBatch is the writer's open batch, if any; publishWanted asks
	// the writer to commit it now, because somebody must see its
	// acknowledged members (batch.go).
	openBatch     atomic.Pointer[batch]
	publishWanted atomic.Bool
	batchAge      time.Duration // maxBatchAge; tests raise it
	// lost is set when SQLite failed to commit acknowledged transactions:
	// they are in the WAL, and only a restart applies them.
	lost atomic.Pointer[error]

	readers chan *Conn // idle reader connections
	rmu     sync.Mutex // guards rOpen
	rOpen   int

	schemaVersion atomic.Uint64 // bumped by InvalidateSchema
	schema        atomic.Pointer[Schema]
	schemaMu      sync.Mutex // serializes schema loads

	wal     *wal.WAL
	applied atomic.Uint64         // end LSN of the last applied record
	failed  atomic.Pointer[error] // set when writes must stop
	snapMu  sync.Mutex            // serializes snapshots

	stop context.CancelFunc
	bg   errgroup.Group

	// gate is held for reading by every connection handed out (from
	// Writer or Reader to Release) and for writing by Restore, which
	// replaces the database under them.
	gate sync.RWMutex
}

// DBFile is the database's file name inside the data directory.
const DBFile = "db.sqlite"

// Open opens (creating if needed) the node's database and WAL in opts.Dir
// and recovers: records past the LSN stored in SQLite are replayed, and a
// database that is ahead of the durable WAL is rebuilt from the latest
// snapshot and the WAL.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	if opts.WriteWait <= 0 {
		opts.WriteWait = 10 * time.Second
	}
	if opts.Term == 0 {
		opts.Term = 1
	}
	if opts.WALWriterDelay <= 0 {
		opts.WALWriterDelay = 200 * time.Millisecond
	}
	if opts.SnapshotsKept <= 0 {
		opts.SnapshotsKept = 2
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	s := &Store{
		path:     filepath.Join(opts.Dir, DBFile),
		opts:     opts,
		log:      opts.Logger.With().Str("component", "store").Logger(),
		writer:   make(chan *Conn, 1),
		readers:  make(chan *Conn, opts.Readers),
		batchAge: maxBatchAge,
	}
	if !opts.NoWAL {
		w, err := wal.Open(wal.Options{Dir: filepath.Join(opts.Dir, "wal"), FS: opts.WALFS, Logger: opts.Logger, NoSync: opts.WALNoSync})
		if err != nil {
			return nil, fmt.Errorf("open WAL: %w", err)
		}
		s.wal = w
	}
	if err := s.openSQLite(ctx); err != nil {
		s.closeWAL()
		return nil, err
	}
	if s.wal != nil {
		if err := s.recover(ctx); err != nil {
			s.Close()
			return nil, fmt.Errorf("recover: %w", err)
		}
		s.startBackground()
	}
	s.log.Info().Str("path", s.path).Int("readers", opts.Readers).Stringer("applied_lsn", s.AppliedLSN()).Msg("database open")
	return s, nil
}

// startBackground starts the WAL's background fsync.
func (s *Store) startBackground() {
	bctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.bg.Go(func() error { return s.flushLoop(bctx, s.opts.WALWriterDelay) })
	s.bg.Go(func() error { return s.checkpointLoop(bctx, checkpointEvery) })
}

// stopBackground stops what startBackground started.
func (s *Store) stopBackground() error {
	if s.stop == nil {
		return nil
	}
	s.stop()
	s.stop = nil
	return s.bg.Wait()
}

// openSQLite opens the writer and the reader pool.
func (s *Store) openSQLite(ctx context.Context) error {
	var err error
	s.wdb, err = sql.Open("sqlite", s.dsn(roleWriter))
	if err != nil {
		return fmt.Errorf("open writer: %w", err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)
	wc, err := s.wdb.Conn(ctx)
	if err != nil {
		s.wdb.Close()
		return fmt.Errorf("open writer: %w", err)
	}
	w := newConn(s, wc, true)
	if _, err := w.ExecDirect(ctx, metaDDL); err != nil {
		w.close()
		s.wdb.Close()
		return fmt.Errorf("create meta table: %w", err)
	}
	if err := s.onConnect(ctx, w); err != nil {
		w.close()
		s.wdb.Close()
		return err
	}
	s.writer <- w
	s.rdb, err = sql.Open("sqlite", s.dsn(roleReader))
	if err != nil {
		s.closeSQLite()
		return fmt.Errorf("open readers: %w", err)
	}
	s.rdb.SetMaxOpenConns(s.opts.Readers)
	s.rdb.SetMaxIdleConns(s.opts.Readers)
	s.rdb.SetConnMaxLifetime(0)
	s.rdb.SetConnMaxIdleTime(0)
	return nil
}

const metaDDL = `CREATE TABLE IF NOT EXISTS replisql_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID`

// connRole is what a SQLite connection of the store is for.
type connRole int

const (
	roleWriter connRole = iota
	roleReader
	roleHelper
)

// dsn is the connection string of a connection in role.
//
// Every connection uses SQLite's unix-excl VFS: the process holds an
// exclusive lock on the database for as long as it is open, and the WAL
// index lives in heap memory instead of a -shm file, so SQLite's
// connections in this process coordinate in memory rather than with an
// fcntl system call at every transaction start and end (a tenth of the
// CPU of a commit). No other process may open the database while the
// node runs; tools read a running node's data through SQL.
func (s *Store) dsn(role connRole) string {
	q := url.Values{}
	q.Add("vfs", "unix-excl")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+s.synchronous()+")")
	q.Add("_pragma", "cache_size(-32768)")
	// Read pages through a memory map: no pread system call per page
	// that is not in SQLite's own cache.
	q.Add("_pragma", "mmap_size(1073741824)")
	switch {
	case role == roleReader:
		q.Add("_pragma", "query_only(1)")
	case role == roleWriter && s.wal != nil:
		// Checkpoints run in the background (checkpoint.go).
		q.Add("_pragma", "wal_autocheckpoint(0)")
	}
	return "file:" + s.path + "?" + q.Encode()
}

// synchronous is SQLite's synchronous setting. With the statement WAL in
// front, SQLite need not fsync every commit: NORMAL keeps the file
// consistent, and what a power loss takes from SQLite is replayed from
// the WAL. Without it, FULL.
func (s *Store) synchronous() string {
	if s.wal == nil {
		return "FULL"
	}
	return "NORMAL"
}

func (s *Store) onConnect(ctx context.Context, c *Conn) error {
	if s.opts.OnConnect == nil {
		return nil
	}
	if err := c.WithScratchWrites(ctx, func() error { return s.opts.OnConnect(ctx, c) }); err != nil {
		return fmt.Errorf("prepare connection: %w", err)
	}
	return nil
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Writer waits for the writer connection. The caller MUST give it back
// with Release. Waiting ends with 55P03 after opts.WriteWait, or with the
// context's error.
func (s *Store) Writer(ctx context.Context) (*Conn, error) {
	s.gate.RLock()
	c, err := s.takeWriter(ctx)
	if err != nil {
		s.gate.RUnlock()
	}
	return c, err
}

// takeWriter is Writer without the gate (for the store's own use while
// it holds the gate).
func (s *Store) takeWriter(ctx context.Context) (*Conn, error) {
	select {
	case c, ok := <-s.writer:
		if !ok {
			return nil, errClosed
		}
		return c, nil
	default:
	}
	s.writeWaiters.Add(1)
	t := time.NewTimer(s.opts.WriteWait)
	defer t.Stop()
	select {
	case c, ok := <-s.writer:
		s.writeWaiters.Add(-1)
		if !ok {
			return nil, errClosed
		}
		return c, nil
	case <-ctx.Done():
		s.giveUpWaiting()
		return nil, ctx.Err()
	case <-t.C:
		s.giveUpWaiting()
		return nil, &pgerr.Error{Code: pgerr.LockNotAvailable,
			Message: "canceling statement due to lock timeout",
			Detail:  fmt.Sprintf("Another transaction held the database's write lock for more than %s.", s.opts.WriteWait)}
	}
}

// giveUpWaiting is called by a session that stops waiting for the writer.
func (s *Store) giveUpWaiting() {
	s.writeWaiters.Add(-1)
}

// Reader returns a reader connection that sees every commit acknowledged
// before the call (Publish). The caller MUST give it back with Release,
// and MUST NOT hold the writer (see CommittedReader).
func (s *Store) Reader(ctx context.Context) (*Conn, error) {
	if err := s.Publish(ctx); err != nil {
		return nil, err
	}
	return s.CommittedReader(ctx)
}

// CommittedReader is Reader without Publish: the reader sees what SQLite
// committed, which may miss commits acknowledged meanwhile in the
// writer's open batch. It is for a caller that holds the writer (a
// publication would wait for it) and for reads of what is never batched
// (the schema).
func (s *Store) CommittedReader(ctx context.Context) (*Conn, error) {
	s.gate.RLock()
	c, err := s.takeReader(ctx)
	if err != nil {
		s.gate.RUnlock()
	}
	return c, err
}

func (s *Store) takeReader(ctx context.Context) (*Conn, error) {
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
		c := newConn(s, sc, false)
		if err := s.onConnect(ctx, c); err != nil {
			c.close()
			s.rmu.Lock()
			s.rOpen--
			s.rmu.Unlock()
			return nil, err
		}
		return c, nil
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
	s.giveBack(c)
	s.gate.RUnlock()
}

func (s *Store) giveBack(c *Conn) {
	if c.inTx {
		if err := c.Rollback(context.Background()); err != nil {
			s.log.Error().Err(err).Msg("rollback on release")
		}
	}
	if !c.writer {
		s.readers <- c
		return
	}
	open := false
	var n int // of the open batch: once the writer is back, another goroutine owns it
	var opened time.Time
	if b := c.batch; b != nil {
		n, opened = b.n, b.opened
		if open = s.keepBatchOpen(n, time.Since(opened)); !open {
			c.commitBatch()
		}
	}
	s.writer <- c
	if open && !s.keepBatchOpen(n, time.Since(opened)) {
		// The reason to keep it open went away meanwhile.
		s.commitIdleBatch()
	}
}

var errClosed = pgerr.Fatal(pgerr.AdminShutdown, "terminating connection due to administrator command")

// Close stops background work, checkpoints and closes SQLite, and closes
// the WAL (after a final fsync).
func (s *Store) Close() error {
	errs := []error{s.stopBackground(), s.closeSQLite()}
	if s.wal != nil {
		if end := s.wal.EndLSN(); end > s.wal.FlushedLSN() {
			errs = append(errs, s.wal.Sync(context.Background(), end))
		}
	}
	errs = append(errs, s.closeWAL())
	s.log.Info().Str("path", s.path).Msg("database closed")
	return errors.Join(errs...)
}

func (s *Store) closeWAL() error {
	if s.wal == nil {
		return nil
	}
	return s.wal.Close()
}

// closeSQLite closes every connection. Connections still out are closed
// by database/sql when they come back.
func (s *Store) closeSQLite() error {
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
		s.rmu.Lock()
		s.rOpen = 0
		s.rmu.Unlock()
		errs = append(errs, s.rdb.Close())
		s.rdb = nil
	}
	if s.wdb == nil {
		return errors.Join(errs...)
	}
	select {
	case c := <-s.writer:
		if c.batch != nil {
			errs = append(errs, c.commitBatch())
		}
		if _, err := c.conn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			errs = append(errs, err)
		}
		c.close()
	case <-time.After(5 * time.Second):
		errs = append(errs, errors.New("store: writer still busy at close"))
	}
	errs = append(errs, s.wdb.Close())
	s.wdb = nil
	return errors.Join(errs...)
}
