package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/replisql/replisql/pgsql"
	"github.com/replisql/replisql/store"
)

// FromStore builds a Snapshot from the storage layer's schema: tables,
// columns with their declared PostgreSQL types, defaults turned back into
// the text PostgreSQL prints, serial columns (an AUTOINCREMENT rowid
// key), and indexes (an automatic index without SQL of its own is the
// index of a PRIMARY KEY or UNIQUE constraint). store.Schema does not
// carry foreign keys (AddForeignKeys reads them from SQLite), the SQL
// layer's sequences (AddSequences reads them) or sizes: the caller adds
// them to the result before Fill if it has them. What SQLite's schema
// does not hold comes from the SQL layer's annotations of each table
// (store.Table.Annotations, see pgsql/annotate.go): CHECK constraints
// with their PostgreSQL text, constraint names, identity columns,
// comments and storage options. Tables named __replisql_… are the SQL
// layer's own and left out.
func FromStore(sc *store.Schema, database string, users []string, settings map[string]string) *Snapshot {
	s := &Snapshot{Database: database, Users: users, Settings: settings}
	if sc == nil {
		return s
	}
	names := make([]string, 0, len(sc.Tables))
	for n := range sc.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		st := sc.Tables[n]
		if strings.HasPrefix(st.Name, "__replisql_") {
			continue // the SQL layer's own tables (sequences)
		}
		t := Table{Name: st.Name, OID: st.OID}
		notes := readAnnotations(st.Annotations)
		t.Comment, t.Options = notes.comments[""], notes.options
		auto := autoincrementRE.MatchString(st.SQL)
		// SQLite reports integer columns as INTEGER; the table's own SQL
		// keeps the declared PostgreSQL types (and tells int4 from int8).
		declared := pgsql.ColumnTypes(st.SQL)
		pkCols := 0
		for _, c := range st.Columns {
			if c.PrimaryKey > 0 {
				pkCols++
			}
		}
		for _, c := range st.Columns {
			if c.Hidden {
				continue
			}
			col := Column{Name: c.Name, Type: c.Type, NotNull: c.NotNull}
			if d, ok := declared[c.Name]; ok {
				col.Type = d
			}
			col.Identity = notes.identity[c.Name]
			col.Comment = notes.comments[c.Name]
			if auto && c.PrimaryKey > 0 && pkCols == 1 && col.Identity == 0 {
				col.Serial = true
			}
			// An identity column draws from its sequence without a
			// default, as in PostgreSQL.
			if c.Default != "" && !col.Serial && col.Identity == 0 {
				oid, _, _, _ := ParseType(col.Type)
				col.Default = pgDefault(c.Default, oid)
			}
			t.Columns = append(t.Columns, col)
		}
		for _, ix := range st.Indexes {
			x := Index{Name: ix.Name, Columns: ix.Columns, Unique: ix.Unique || ix.Primary,
				Primary: ix.Primary, Constraint: ix.Primary || ix.Unique && ix.SQL == ""}
			for _, k := range notes.keys {
				switch {
				case k.Type == "p" && x.Primary,
					k.Type == "u" && x.Unique && !x.Primary && x.Constraint && slices.Equal(k.Columns, x.Columns) && !k.used,
					k.Type == "u" && x.Unique && x.Name == k.name:
					x.Name, x.Constraint, k.used = k.name, true, true
				}
				if k.used && x.Name == k.name {
					break
				}
			}
			t.Indexes = append(t.Indexes, x)
		}
		t.Constraints = notes.checks
		t.fkNames = notes.fkNames
		s.Tables = append(s.Tables, t)
	}
	return s
}

// tableNotes are a table's annotations, read.
type tableNotes struct {
	identity map[string]byte   // column → 'a' or 'd'
	comments map[string]string // column ("" the table) → comment
	options  []string
	checks   []Constraint
	keys     []*keyNote        // named PRIMARY KEY and UNIQUE constraints
	fkNames  map[string]string // columns (keyOf) → name of a named FOREIGN KEY
}

type keyNote struct {
	pgsql.ConstraintNote
	name string
	used bool // matched to an index
}

func readAnnotations(anns []store.Annotation) tableNotes {
	n := tableNotes{identity: map[string]byte{}, comments: map[string]string{}, fkNames: map[string]string{}}
	for _, a := range anns {
		switch a.Kind {
		case pgsql.AnnIdentity:
			if a.Value != "" {
				n.identity[a.Name] = a.Value[0]
			}
		case pgsql.AnnComment:
			n.comments[a.Name] = a.Value
		case pgsql.AnnOptions:
			n.options = pgsql.DecodeOptions(a.Value)
		case pgsql.AnnConstraint:
			c, ok := pgsql.DecodeConstraint(a.Value)
			if !ok {
				continue
			}
			switch c.Type {
			case "c":
				n.checks = append(n.checks, Constraint{Name: a.Name, Type: 'c', Columns: c.Columns, Check: c.Check})
			case "p", "u":
				n.keys = append(n.keys, &keyNote{ConstraintNote: c, name: a.Name})
			case "f":
				n.fkNames[keyOf(c.Columns)] = a.Name
			}
		}
	}
	return n
}

func keyOf(cols []string) string { return strings.Join(cols, "\x00") }

var (
	autoincrementRE = regexp.MustCompile(`(?i)\bAUTOINCREMENT\b`)
	numberRE        = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)
	nextvalRE       = regexp.MustCompile(`^pg_nextval\('((?:[^']|'')*)'\)$`)
)

// castNames are the type names PostgreSQL prints in a default's cast
// ('abc'::character varying).
var castNames = map[uint32]string{
	OIDText: "text", OIDVarchar: "character varying", OIDBpchar: "bpchar", OIDDate: "date",
	OIDTime: "time without time zone", OIDTimestamp: "timestamp without time zone",
	OIDTimestamptz: "timestamp with time zone", OIDUUID: "uuid", OIDJSON: "json", OIDJSONB: "jsonb",
	OIDBytea: "bytea", OIDInt2: "smallint", OIDInt4: "integer", OIDInt8: "bigint", OIDNumeric: "numeric",
	OIDFloat4: "real", OIDFloat8: "double precision", OIDInterval: "interval", OIDName: "name",
}

// pgDefault turns a default as the SQL layer writes it for SQLite back
// into the text pg_get_expr prints for it in PostgreSQL.
func pgDefault(d string, oid uint32) string {
	d = strings.TrimSpace(d)
	for len(d) >= 2 && d[0] == '(' && d[len(d)-1] == ')' && balanced(d[1:len(d)-1]) {
		d = strings.TrimSpace(d[1 : len(d)-1])
	}
	switch {
	case strings.EqualFold(d, "pg_now()"), strings.EqualFold(d, "CURRENT_TIMESTAMP"):
		return "now()"
	case nextvalRE.MatchString(d):
		seq := strings.ReplaceAll(nextvalRE.FindStringSubmatch(d)[1], "''", "'")
		return "nextval('" + quoteLiteralInner(quoteIdent(seq)) + "'::regclass)"
	case oid == OIDBool && (d == "1" || strings.EqualFold(d, "true")):
		return "true"
	case oid == OIDBool && (d == "0" || strings.EqualFold(d, "false")):
		return "false"
	case numberRE.MatchString(d):
		if strings.HasPrefix(d, "-") {
			return "'" + d + "'::" + castName(oid)
		}
		return d
	case len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'':
		return d + "::" + castName(oid)
	}
	return d
}

func castName(oid uint32) string {
	if n, ok := castNames[oid]; ok {
		return n
	}
	return FormatType(oid, -1, false)
}

func balanced(s string) bool {
	depth := 0
	for _, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

// Querier reads from the user's database; *sql.Conn satisfies it.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// AddForeignKeys adds each table's foreign keys, as SQLite reports them
// (pragma_foreign_key_list), to a Snapshot built by FromStore, before it is
// filled. SQLite does not keep constraint names: a key named when it
// was declared has its name from the table's annotations, the others get
// PostgreSQL's default names (TABLE_COLUMN_fkey).
func AddForeignKeys(ctx context.Context, q Querier, snap *Snapshot) error {
	for i := range snap.Tables {
		t := &snap.Tables[i]
		rows, err := q.QueryContext(ctx, `SELECT id, "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq`, t.Name)
		if err != nil {
			return fmt.Errorf("foreign keys of %q: %w", t.Name, err)
		}
		byID := map[int64]*Constraint{}
		var order []int64
		for rows.Next() {
			var id int64
			var ref, from string
			var to sql.NullString
			var upd, del string
			if err := rows.Scan(&id, &ref, &from, &to, &upd, &del); err != nil {
				rows.Close()
				return fmt.Errorf("foreign keys of %q: %w", t.Name, err)
			}
			c := byID[id]
			if c == nil {
				c = &Constraint{Type: 'f', RefTable: ref, OnUpdate: sqliteAction(upd), OnDelete: sqliteAction(del)}
				byID[id] = c
				order = append(order, id)
			}
			c.Columns = append(c.Columns, from)
			if to.Valid {
				c.RefColumns = append(c.RefColumns, to.String)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("foreign keys of %q: %w", t.Name, err)
		}
		// pragma_foreign_key_list numbers the last declared key 0.
		for j := len(order) - 1; j >= 0; j-- {
			c := *byID[order[j]]
			c.Name = t.fkNames[keyOf(c.Columns)]
			t.Constraints = append(t.Constraints, c)
		}
	}
	return nil
}

func sqliteAction(a string) byte {
	switch strings.ToUpper(a) {
	case "CASCADE":
		return 'c'
	case "SET NULL":
		return 'n'
	case "SET DEFAULT":
		return 'd'
	case "RESTRICT":
		return 'r'
	}
	return 'a'
}

// AddSequences adds the sequences the SQL layer keeps as rows of
// __replisql_sequences (CREATE SEQUENCE, and serial columns that are not
// a rowid key) to a Snapshot built by FromStore. A sequence that a
// column's DEFAULT nextval() names as TABLE_COLUMN_seq is owned by that
// column, as a serial column's sequence is in PostgreSQL. A database
// without the table has no such sequences.
func AddSequences(ctx context.Context, q Querier, snap *Snapshot) error {
	rows, err := q.QueryContext(ctx, `SELECT "name", "increment", "minvalue", "maxvalue" FROM "__replisql_sequences" ORDER BY "name"`)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil
		}
		return fmt.Errorf("sequences: %w", err)
	}
	defer rows.Close()
	owners := map[string][2]string{}
	for _, t := range snap.Tables {
		for _, c := range t.Columns {
			if m := ownedRE.FindStringSubmatch(c.Default); m != nil {
				owners[strings.Trim(m[1], `"`)] = [2]string{t.Name, c.Name}
			}
		}
	}
	for rows.Next() {
		var s Sequence
		if err := rows.Scan(&s.Name, &s.Increment, &s.Min, &s.Max); err != nil {
			return fmt.Errorf("sequences: %w", err)
		}
		switch s.Max {
		case 32767:
			s.Type = "smallint"
		case 2147483647:
			s.Type = "integer"
		default:
			s.Type = "bigint"
		}
		s.Start = s.Min
		if s.Increment < 0 {
			s.Start = s.Max
		}
		if o, ok := owners[s.Name]; ok {
			s.OwnerTable, s.OwnerColumn = o[0], o[1]
		}
		snap.Sequences = append(snap.Sequences, s)
	}
	return rows.Err()
}

var ownedRE = regexp.MustCompile(`^nextval\('((?:[^']|'')*)'::regclass\)$`)
