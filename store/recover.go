package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/replisql/replisql/wal"
)

// recover brings SQLite level with the WAL (invariant 7):
//   - SQLite's applied LSN behind the WAL's end: replay the records after it;
//   - SQLite ahead of the durable WAL (a power loss took WAL records that
//     SQLite had already made durable), or behind the WAL's first record
//     (purged): rebuild from the latest snapshot, then replay.
func (s *Store) recover(ctx context.Context) error {
	applied, err := s.readApplied(ctx)
	if err != nil {
		return err
	}
	first, end := s.wal.FirstLSN(), s.wal.EndLSN()
	switch {
	case applied > end:
		s.log.Warn().Stringer("sqlite_lsn", applied).Stringer("wal_end", end).
			Msg("SQLite is ahead of the durable WAL: rebuilding from the latest snapshot and the WAL")
		if err := s.rebuild(ctx); err != nil {
			return err
		}
	case applied == 0 && first != wal.DefaultStartLSN:
		fallthrough
	case applied != 0 && applied < first:
		s.log.Warn().Stringer("sqlite_lsn", applied).Stringer("wal_first", first).
			Msg("the WAL no longer holds the records after SQLite's position: rebuilding from the latest snapshot")
		if err := s.rebuild(ctx); err != nil {
			return err
		}
	}
	applied, err = s.readApplied(ctx)
	if err != nil {
		return err
	}
	s.applied.Store(uint64(applied))
	from := max(applied, first)
	if from >= end {
		return nil
	}
	began := time.Now()
	n, err := s.replay(ctx, from, end)
	if err != nil {
		return err
	}
	s.log.Info().Int("records", n).Stringer("from", from).Stringer("to", end).
		Dur("took", time.Since(began)).Msg("replayed WAL")
	return nil
}

// replay applies the records from..end in order.
func (s *Store) replay(ctx context.Context, from, end wal.LSN) (int, error) {
	r, err := s.wal.NewReader(from)
	if err != nil {
		return 0, fmt.Errorf("read WAL at %s: %w", from, err)
	}
	w, err := s.takeWriter(ctx)
	if err != nil {
		return 0, err
	}
	defer s.giveBack(w)
	n := 0
	for r.Pos() < end {
		rec, err := r.Next(ctx)
		if err != nil {
			return n, fmt.Errorf("read WAL at %s: %w", r.Pos(), err)
		}
		if _, err := w.apply(ctx, rec); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// ErrApply is returned when a record that the leader applied fails to
// apply here: the node's state has diverged and it must not go on.
var ErrApply = errors.New("store: cannot apply WAL record")

// apply runs one WAL record in its own SQLite transaction, together with
// the applied-LSN update, and returns the transaction's start time.
func (c *Conn) apply(ctx context.Context, rec wal.Record) (time.Time, error) {
	if err := c.Begin(ctx); err != nil {
		return time.Time{}, err
	}
	start, ddl, err := c.applyStatements(ctx, rec)
	if err == nil {
		err = c.commitApplied(rec.End())
	}
	if err != nil {
		c.Rollback(context.Background())
		return time.Time{}, err
	}
	c.inTx, c.ddl = false, false
	if ddl {
		c.dropStmts()
		c.store.InvalidateSchema()
	}
	return start, nil
}

// applyStatements runs a WAL record's statements in the open transaction
// and returns the transaction's start time and whether a statement
// changed the schema.
func (c *Conn) applyStatements(ctx context.Context, rec wal.Record) (start time.Time, ddl bool, _ error) {
	if rec.Type != RecordTxn {
		return start, false, fmt.Errorf("%w %s: unknown record type %d", ErrApply, rec.LSN, rec.Type)
	}
	txn, err := DecodeRecord(rec.Payload)
	if err != nil {
		return start, false, fmt.Errorf("%w %s: %v", ErrApply, rec.LSN, err)
	}
	for i, st := range txn.Statements {
		if _, err := c.Exec(ctx, st.SQL, st.Args...); err != nil {
			return start, false, fmt.Errorf("%w %s, statement %d (%s): %v", ErrApply, rec.LSN, i+1, st.SQL, err)
		}
		ddl = ddl || isDDL(st.SQL)
	}
	return txn.Start, ddl, nil
}

// isDDL reports whether a logged SQLite statement changes the schema.
func isDDL(q string) bool {
	for i := 0; i < len(q); i++ {
		switch q[i] {
		case ' ', '\t', '\n', '\r':
			continue
		}
		rest := q[i:]
		for _, p := range []string{"CREATE", "DROP", "ALTER", "create", "drop", "alter"} {
			if len(rest) >= len(p) && rest[:len(p)] == p {
				return true
			}
		}
		return false
	}
	return false
}

// readApplied reads SQLite's applied LSN (0 for a new database).
func (s *Store) readApplied(ctx context.Context) (wal.LSN, error) {
	w, err := s.takeWriter(ctx)
	if err != nil {
		return 0, err
	}
	defer s.giveBack(w)
	return readAppliedFrom(ctx, w.conn)
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readAppliedFrom(ctx context.Context, q queryer) (wal.LSN, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM replisql_meta WHERE key = 'applied_lsn'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, MapError(err)
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("store: bad applied LSN %q in replisql_meta", v)
	}
	return wal.LSN(n), nil
}
