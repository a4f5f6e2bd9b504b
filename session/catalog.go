package session

import (
	"context"
	"fmt"
	"sync"

	"github.com/replisql/replisql/pgsql"
	"github.com/replisql/replisql/pgsql/catalog"
	"github.com/replisql/replisql/store"
)

// The system catalogs (pg_catalog, information_schema) live in in-memory
// databases attached to every SQLite connection (see package catalog).
// Each connection's copy is filled lazily: before a plan that reads a
// catalog relation runs on it, if the copy was filled from another schema
// than the one the statement's transaction sees.

// connCatalog is the catalog state of one SQLite connection, kept in its
// store attachment.
type connCatalog struct {
	filled *catalog.Snapshot // nil: never filled, or undone by a rollback
	inTx   bool              // filled inside the connection's open transaction
}

// AttachCatalog prepares a new SQLite connection for the catalogs: pass it
// as the store's OnConnect hook.
func AttachCatalog(ctx context.Context, c *store.Conn) error {
	if err := catalog.Attach(ctx, c); err != nil {
		return fmt.Errorf("attach catalogs: %w", err)
	}
	c.SetAttachment(&connCatalog{})
	return nil
}

// catalogSnapshots caches the catalog snapshot of the committed schema.
type catalogSnapshots struct {
	mu   sync.Mutex // guards the fields below
	base *store.Schema
	snap *catalog.Snapshot
}

// ensureCatalog makes c's catalog reflect the schema that the session's
// transaction sees.
func (s *Session) ensureCatalog(ctx context.Context, c *store.Conn) error {
	cc, _ := c.Attachment().(*connCatalog)
	if cc == nil {
		return nil // a connection made without the hook
	}
	snap, err := s.eng.catalogSnapshot(ctx, c)
	if err != nil {
		return err
	}
	if cc.filled == snap {
		return nil
	}
	err = c.WithScratchWrites(ctx, func() error { return catalog.Fill(ctx, c, snap) })
	if err != nil {
		cc.filled = nil
		return fmt.Errorf("fill catalogs: %w", err)
	}
	cc.filled, cc.inTx = snap, c.InTx()
	return nil
}

// catalogRolledBack forgets a fill made inside a transaction that rolled
// back (the attached databases rolled back with it).
func catalogRolledBack(c *store.Conn) {
	if cc, _ := c.Attachment().(*connCatalog); cc != nil && cc.inTx {
		cc.filled, cc.inTx = nil, false
	}
}

// catalogCommitted keeps a fill made inside a committed transaction.
func catalogCommitted(c *store.Conn) {
	if cc, _ := c.Attachment().(*connCatalog); cc != nil {
		cc.inTx = false
	}
}

// catalogSnapshot returns the catalog snapshot for the schema that a
// transaction holding c sees: shared for the committed schema, private for
// a transaction's own uncommitted DDL.
func (e *Engine) catalogSnapshot(ctx context.Context, c *store.Conn) (*catalog.Snapshot, error) {
	sc, err := e.store.Schema(ctx, c)
	if err != nil {
		return nil, err
	}
	shared := sc == e.store.SharedSchema()
	if shared {
		e.catalogs.mu.Lock()
		defer e.catalogs.mu.Unlock()
		if e.catalogs.base == sc {
			return e.catalogs.snap, nil
		}
	}
	snap := catalog.FromStore(sc, e.cfg.Database, e.cfg.Users, nil)
	snap.StartTime = e.start
	snap.Uncommitted = !shared
	if err := catalog.AddForeignKeys(ctx, c, snap); err != nil {
		return nil, err
	}
	if err := catalog.AddSequences(ctx, c, snap); err != nil {
		return nil, err
	}
	if shared {
		e.catalogs.base, e.catalogs.snap = sc, snap
	}
	return snap, nil
}

// The schema view resolves catalog relations and functions for the SQL
// layer.
var (
	_ pgsql.Catalog          = (*schemaView)(nil)
	_ pgsql.CatalogFunctions = (*schemaView)(nil)
)

func (v *schemaView) CatalogRelation(schema, name string) (string, []pgsql.Column, bool) {
	if name == "pg_stat_replication" && (schema == "" || schema == "pg_catalog") {
		sql, cols := pgStatReplication()
		return sql, cols, true
	}
	if name == "replisql_stat_routing" && (schema == "" || schema == "pg_catalog") {
		sql, cols := replisqlStatRouting()
		return sql, cols, true
	}
	r, ok := catalog.Lookup(schema, name)
	if !ok {
		return "", nil, false
	}
	cols := make([]pgsql.Column, len(r.Columns))
	for i, c := range r.Columns {
		cols[i] = pgsql.Column{Name: c.Name, TypeOID: c.TypeOID, TypeMod: c.TypeMod, TableOID: r.OID, AttNum: int16(i + 1)}
	}
	return r.SQL(), cols, true
}

func (v *schemaView) CatalogFunction(name string, nargs int) (string, uint32, bool) {
	if f, ok := monitorFunctions[name]; ok && f.nargs == nargs {
		return f.sqlite, f.result, true
	}
	f, ok := catalog.LookupFunction(name)
	if !ok || nargs < f.MinArgs || nargs > f.MaxArgs {
		return "", 0, false
	}
	return f.Name, f.ResultOID, true
}
