package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
)

// Execer runs a statement on one SQLite connection; *sql.Conn satisfies
// it. Every statement the catalog runs touches only the attached
// pg_catalog and information_schema databases.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

var _ Execer = (*sql.Conn)(nil)

// Schemas are the names of the attached databases.
var Schemas = []string{"pg_catalog", "information_schema"}

var (
	staticOnce   sync.Once
	staticScript string // guarded by staticOnce
)

// Attach attaches the in-memory pg_catalog and information_schema
// databases to a connection, creates every catalog table and writes the
// fixed rows (types, access methods, functions, …). It MUST run outside a
// transaction (SQLite refuses ATTACH inside one) and with query_only off.
// Calling it again on the same connection is harmless.
func Attach(ctx context.Context, c Execer) error {
	for _, s := range Schemas {
		if _, err := c.ExecContext(ctx, "ATTACH DATABASE ':memory:' AS "+s); err != nil && !strings.Contains(err.Error(), "already in use") {
			return fmt.Errorf("catalog: attach %s: %w", s, err)
		}
	}
	staticOnce.Do(func() {
		var b strings.Builder
		for _, r := range relations {
			b.WriteString(r.createSQL())
			b.WriteString(";\n")
		}
		rows := staticRows()
		for _, r := range relations {
			if len(rows[r]) > 0 {
				fmt.Fprintf(&b, "DELETE FROM %s.%s;\n", r.Schema, sqliteIdent(r.Name))
				writeInserts(&b, r, rows[r])
			}
		}
		staticScript = b.String()
	})
	return runScript(ctx, c, staticScript)
}

// Fill replaces the schema-dependent rows of a connection's catalog with
// those of snap: the user's tables, indexes, constraints, sequences,
// comments, the database, roles and settings. It runs as one SAVEPOINT
// (inside or outside a transaction) with query_only off; on error the
// catalog is left as it was. The rows and the SQL are computed once per
// Snapshot and shared by every connection filled from it, and snap
// becomes what the SQL functions (pg_get_indexdef, obj_description, …)
// answer from, for its database. snap MUST NOT change afterwards.
func Fill(ctx context.Context, c Execer, snap *Snapshot) error {
	b := registry.use(snap)
	return runScript(ctx, c, b.scripts["pg_catalog"]+b.scripts["information_schema"])
}

// FillSchema is Fill for one of the attached databases, "pg_catalog" or
// "information_schema": a caller that fills lazily, when a statement
// first reads a catalog after a schema change, pays only for the schema
// the statement reads (psql's meta-commands read only pg_catalog). It
// still makes snap current for the SQL functions.
func FillSchema(ctx context.Context, c Execer, snap *Snapshot, schema string) error {
	b := registry.use(snap)
	script, ok := b.scripts[schema]
	if !ok {
		return fmt.Errorf("catalog: no schema %q", schema)
	}
	return runScript(ctx, c, script)
}

func runScript(ctx context.Context, c Execer, script string) error {
	if _, err := c.ExecContext(ctx, "SAVEPOINT replisql_catalog;\n"+script+"RELEASE replisql_catalog"); err != nil {
		// The failing statement left the savepoint open: undo and close it.
		c.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO replisql_catalog") //nolint:errcheck // best effort; the error below is what matters
		c.ExecContext(context.WithoutCancel(ctx), "RELEASE replisql_catalog")     //nolint:errcheck
		return fmt.Errorf("catalog: fill: %w", err)
	}
	return nil
}

// fillScript is the SQL that replaces the dynamic rows of one schema.
func (b *built) fillScript(schema string) string {
	var sb strings.Builder
	for _, d := range dynamic {
		r := relByName[d.rel]
		if r.Schema != schema {
			continue
		}
		fmt.Fprintf(&sb, "DELETE FROM %s.%s", r.Schema, sqliteIdent(r.Name))
		if d.where != "" {
			sb.WriteString(" WHERE " + d.where)
		}
		sb.WriteString(";\n")
		writeInserts(&sb, r, b.rows[r])
	}
	if schema == "pg_catalog" {
		b.settingsScript(&sb)
	}
	return sb.String()
}

const rowsPerInsert = 200

// writeInserts writes INSERTs of rows, naming only the columns that some
// row sets to something other than the column's default: the text SQLite
// has to parse is most of what a Fill costs.
func writeInserts(sb *strings.Builder, r *Relation, rows [][]any) {
	if len(rows) == 0 {
		return
	}
	zero := builders[r].zero
	var cols []int
	for k := range r.Columns {
		for _, row := range rows {
			if row[k] != zero[k] {
				cols = append(cols, k)
				break
			}
		}
	}
	if len(cols) == 0 {
		cols = []int{0}
	}
	var head strings.Builder
	fmt.Fprintf(&head, "INSERT INTO %s.%s (", r.Schema, sqliteIdent(r.Name))
	for i, k := range cols {
		if i > 0 {
			head.WriteByte(',')
		}
		head.WriteString(sqliteIdent(r.Columns[k].Name))
	}
	head.WriteString(") VALUES ")
	for i := 0; i < len(rows); i += rowsPerInsert {
		end := min(i+rowsPerInsert, len(rows))
		sb.WriteString(head.String())
		for j, row := range rows[i:end] {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('(')
			for n, k := range cols {
				if n > 0 {
					sb.WriteByte(',')
				}
				writeLiteral(sb, row[k])
			}
			sb.WriteByte(')')
		}
		sb.WriteString(";\n")
	}
}

func writeLiteral(sb *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		sb.WriteString("NULL")
	case int64:
		sb.WriteString(strconv.FormatInt(x, 10))
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			sb.WriteString("NULL")
			return
		}
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		sb.WriteString(s)
	case string:
		sb.WriteByte('\'')
		sb.WriteString(strings.ReplaceAll(x, "'", "''"))
		sb.WriteByte('\'')
	default:
		writeLiteral(sb, fmt.Sprint(x))
	}
}
