package catalog

import (
	"database/sql/driver"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// The SQL functions answer from the last Snapshot filled for each
// database. A registered SQLite function sees only its arguments, not the
// connection it runs on, so it cannot read the attached catalog; instead
// it reads the built snapshot through this process-wide registry.
// Lookups try the most recently filled snapshot first, then the other
// databases', then the Uncommitted ones (a transaction's own DDL):
// derived oids (indexes, constraints, sequences) include the database
// name in their hash, so they are distinct across databases, but table
// oids (16384 + 2*rowid) are not. A process serving one database, the
// normal case, is always answered exactly.
var registry = &snapshotRegistry{}

type snapshotRegistry struct {
	mu      sync.Mutex                        // serializes writers; readers use the atomics
	all     atomic.Pointer[map[string]*built] // committed, by database; copy-on-write
	private atomic.Pointer[map[string]*built] // Uncommitted, by database; copy-on-write
	last    atomic.Pointer[built]             // the most recently filled committed one
}

// use returns the built form of snap, building it unless it is the
// snapshot already registered for its database, and registers it.
func (r *snapshotRegistry) use(snap *Snapshot) *built {
	if l := r.last.Load(); l != nil && l.snap == snap {
		return l
	}
	db := snap.Database
	if db == "" {
		db = "postgres"
	}
	set := &r.all
	if snap.Uncommitted {
		set = &r.private
	}
	if m := set.Load(); m != nil {
		if b := (*m)[db]; b != nil && b.snap == snap {
			if !snap.Uncommitted {
				r.last.Store(b)
			}
			return b
		}
	}
	nb := build(snap)
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[string]*built{}
	if old := set.Load(); old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[db] = nb
	set.Store(&m)
	if !snap.Uncommitted {
		r.last.Store(nb)
	}
	return nb
}

// find calls f on the current snapshots, the most recent first, until it
// reports a hit.
func find[T any](f func(b *built) (T, bool)) (T, bool) {
	last := registry.last.Load()
	if last != nil {
		if v, ok := f(last); ok {
			return v, true
		}
	}
	for _, set := range []*atomic.Pointer[map[string]*built]{&registry.all, &registry.private} {
		if m := set.Load(); m != nil {
			for _, b := range *m {
				if b == last {
					continue
				}
				if v, ok := f(b); ok {
					return v, true
				}
			}
		}
	}
	var zero T
	return zero, false
}

var (
	registerOnce sync.Once
	registerErr  error
	startTime    = time.Now()
	xactCounter  atomic.Int64
)

// Function describes one SQL function the catalog registers in SQLite
// under the same name PostgreSQL uses; the translator calls it by that
// name and types its result with ResultOID.
type Function struct {
	Name      string
	MinArgs   int
	MaxArgs   int
	ResultOID uint32
	// Volatile functions (txid_current) are registered non-deterministic.
	Volatile bool
	fn       func(a []driver.Value) (driver.Value, error)
}

// Functions lists the registered functions.
func Functions() []Function { return functions }

// LookupFunction finds a registered function by its PostgreSQL name.
func LookupFunction(name string) (Function, bool) {
	for _, f := range functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

func init() {
	if err := RegisterFunctions(); err != nil {
		panic(err)
	}
}

// RegisterFunctions registers the catalog's SQL functions with the
// modernc.org/sqlite driver, process-wide, once; connections opened
// afterwards have them. The package's init calls it, so importing the
// package is enough; it returns the init's error, if any, when called
// again (a name another package registered first). SQLite names functions without overloading, so
// functions PostgreSQL overloads by arity are registered variadic and
// check their argument count.
func RegisterFunctions() error {
	registerOnce.Do(func() {
		for _, f := range functions {
			f := f
			n := int32(-1)
			if f.MinArgs == f.MaxArgs {
				n = int32(f.MinArgs)
			}
			impl := func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
				if len(a) < f.MinArgs || len(a) > f.MaxArgs {
					return nil, pgerr.New(pgerr.UndefinedFunction, "function %s with %d arguments does not exist", f.Name, len(a))
				}
				return f.fn(a)
			}
			var err error
			if f.Volatile {
				err = sqlite.RegisterScalarFunction(f.Name, n, impl)
			} else {
				err = sqlite.RegisterDeterministicScalarFunction(f.Name, n, impl)
			}
			if err != nil {
				registerErr = err
				return
			}
		}
	})
	return registerErr
}

// Argument helpers. SQLite hands integers as int64, text as string.

func argOID(v driver.Value) (uint32, bool) {
	switch x := v.(type) {
	case int64:
		return uint32(x), true
	case float64:
		return uint32(x), true
	case string:
		n, err := strconv.ParseUint(strings.TrimSpace(x), 10, 32)
		if err == nil {
			return uint32(n), true
		}
		if o, ok := regclassIn(x); ok {
			return o, true
		}
	case []byte:
		return argOID(string(x))
	}
	return 0, false
}

func argText(v driver.Value) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	}
	return "", false
}

func argInt(v driver.Value) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		return int64(x), true
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}

func argBool(v driver.Value) bool {
	switch x := v.(type) {
	case int64:
		return x != 0
	case string:
		return x == "t" || x == "true" || x == "1"
	}
	return false
}

func boolValue(b bool) driver.Value {
	if b {
		return int64(1)
	}
	return int64(0)
}

// orNull returns s, or NULL when ok is false.
func orNull(s string, ok bool) (driver.Value, error) {
	if !ok {
		return nil, nil
	}
	return s, nil
}

// oidFunc makes a function of one oid argument that is NULL on NULL.
func oidFunc(f func(oid uint32) (driver.Value, error)) func(a []driver.Value) (driver.Value, error) {
	return func(a []driver.Value) (driver.Value, error) {
		o, ok := argOID(a[0])
		if !ok {
			return nil, nil
		}
		return f(o)
	}
}

func constant(v driver.Value) func(a []driver.Value) (driver.Value, error) {
	return func(a []driver.Value) (driver.Value, error) {
		for _, x := range a {
			if x == nil && v != nil {
				return nil, nil // strict: NULL in, NULL out
			}
		}
		return v, nil
	}
}

func size(f func(b *built, oid uint32) (int64, bool)) func(a []driver.Value) (driver.Value, error) {
	return oidFunc(func(oid uint32) (driver.Value, error) {
		n, ok := find(func(b *built) (int64, bool) { return f(b, oid) })
		if !ok {
			return nil, nil
		}
		return n, nil
	})
}

var functions = []Function{
	{Name: "format_type", MinArgs: 2, MaxArgs: 2, ResultOID: OIDText, fn: func(a []driver.Value) (driver.Value, error) {
		o, ok := argOID(a[0])
		if !ok {
			return nil, nil
		}
		mod, hasMod := argInt(a[1])
		if !hasMod {
			mod = -1
		}
		return FormatType(o, int32(mod), hasMod), nil
	}},
	{Name: "pg_get_userbyid", MinArgs: 1, MaxArgs: 1, ResultOID: OIDName, fn: oidFunc(func(oid uint32) (driver.Value, error) {
		if n, ok := find(func(b *built) (string, bool) { n, ok := b.roles[oid]; return n, ok }); ok {
			return n, nil
		}
		if oid == roleBootstrap {
			return "postgres", nil
		}
		return "unknown (OID=" + strconv.FormatUint(uint64(oid), 10) + ")", nil
	})},
	{Name: "pg_table_is_visible", MinArgs: 1, MaxArgs: 1, ResultOID: OIDBool, fn: constant(int64(1))},
	{Name: "pg_type_is_visible", MinArgs: 1, MaxArgs: 1, ResultOID: OIDBool, fn: constant(int64(1))},
	{Name: "pg_function_is_visible", MinArgs: 1, MaxArgs: 1, ResultOID: OIDBool, fn: constant(int64(1))},
	{Name: "pg_get_indexdef", MinArgs: 1, MaxArgs: 3, ResultOID: OIDText, fn: func(a []driver.Value) (driver.Value, error) {
		o, ok := argOID(a[0])
		if !ok {
			return nil, nil
		}
		col, pretty := int64(0), false
		if len(a) == 3 {
			col, _ = argInt(a[1])
			pretty = argBool(a[2])
		}
		d, ok := find(func(b *built) (indexDef, bool) { d, ok := b.indexDefs[o]; return d, ok })
		if !ok {
			return nil, nil
		}
		switch {
		case col > 0 && int(col) <= len(d.columns):
			return quoteIdent(d.columns[col-1]), nil
		case col > 0:
			return "", nil
		case pretty:
			return d.pretty, nil
		}
		return d.plain, nil
	}},
	{Name: "pg_get_constraintdef", MinArgs: 1, MaxArgs: 2, ResultOID: OIDText, fn: func(a []driver.Value) (driver.Value, error) {
		o, ok := argOID(a[0])
		if !ok {
			return nil, nil
		}
		d, ok := find(func(b *built) ([2]string, bool) { d, ok := b.conDefs[o]; return d, ok })
		if !ok {
			return nil, nil
		}
		if len(a) == 2 && argBool(a[1]) {
			return d[1], nil
		}
		return d[0], nil
	}},
	// pg_get_expr: the catalog stores expressions (adbin, conbin) as the
	// text PostgreSQL prints for them, so it returns its argument.
	{Name: "pg_get_expr", MinArgs: 2, MaxArgs: 3, ResultOID: OIDText, fn: func(a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		return orNull(s, ok)
	}},
	{Name: "obj_description", MinArgs: 1, MaxArgs: 2, ResultOID: OIDText, fn: func(a []driver.Value) (driver.Value, error) {
		o, ok := argOID(a[0])
		if !ok {
			return nil, nil
		}
		class := uint32(classPgClass)
		if len(a) == 2 {
			name, ok := argText(a[1])
			if !ok {
				return nil, nil
			}
			class = map[string]uint32{"pg_class": classPgClass, "pg_namespace": classPgNamespace, "pg_constraint": classPgConstraint,
				"pg_extension": classPgExtension, "pg_proc": classPgProc, "pg_type": classPgType}[name]
		}
		s, ok := find(func(b *built) (string, bool) { s, ok := b.comments[descKey{o, class, 0}]; return s, ok })
		return orNull(s, ok)
	}},
	{Name: "col_description", MinArgs: 2, MaxArgs: 2, ResultOID: OIDText, fn: func(a []driver.Value) (driver.Value, error) {
		o, ok1 := argOID(a[0])
		n, ok2 := argInt(a[1])
		if !ok1 || !ok2 {
			return nil, nil
		}
		s, ok := find(func(b *built) (string, bool) { s, ok := b.comments[descKey{o, classPgClass, int32(n)}]; return s, ok })
		return orNull(s, ok)
	}},
	{Name: "shobj_description", MinArgs: 2, MaxArgs: 2, ResultOID: OIDText, fn: constant(nil)},
	{Name: "pg_encoding_to_char", MinArgs: 1, MaxArgs: 1, ResultOID: OIDName, fn: func(a []driver.Value) (driver.Value, error) {
		n, ok := argInt(a[0])
		if !ok {
			return nil, nil
		}
		if n >= 0 && int(n) < len(encodings) {
			return encodings[n], nil
		}
		return "", nil
	}},
	{Name: "pg_size_pretty", MinArgs: 1, MaxArgs: 1, ResultOID: OIDText, fn: func(a []driver.Value) (driver.Value, error) {
		n, ok := argInt(a[0])
		if !ok {
			return nil, nil
		}
		return SizePretty(n), nil
	}},
	{Name: "pg_table_size", MinArgs: 1, MaxArgs: 1, ResultOID: OIDInt8, fn: size(func(b *built, o uint32) (int64, bool) { n, ok := b.sizes[o]; return n, ok })},
	{Name: "pg_relation_size", MinArgs: 1, MaxArgs: 2, ResultOID: OIDInt8, fn: size(func(b *built, o uint32) (int64, bool) { n, ok := b.sizes[o]; return n, ok })},
	{Name: "pg_total_relation_size", MinArgs: 1, MaxArgs: 1, ResultOID: OIDInt8, fn: size(func(b *built, o uint32) (int64, bool) {
		n, ok := b.sizes[o]
		return n + b.idxSizes[o], ok
	})},
	{Name: "pg_indexes_size", MinArgs: 1, MaxArgs: 1, ResultOID: OIDInt8, fn: size(func(b *built, o uint32) (int64, bool) {
		_, ok := b.sizes[o]
		return b.idxSizes[o], ok
	})},
	// pg_database_size(name or oid): the sizes the Snapshot gives, summed.
	{Name: "pg_database_size", MinArgs: 1, MaxArgs: 1, ResultOID: OIDInt8, fn: func(a []driver.Value) (driver.Value, error) {
		if a[0] == nil {
			return nil, nil
		}
		name, _ := argText(a[0])
		n, ok := find(func(b *built) (int64, bool) {
			if name != b.db && name != strconv.Itoa(databaseOID) {
				return 0, false
			}
			var sum int64
			for _, s := range b.sizes {
				sum += s
			}
			return sum, true
		})
		if !ok {
			return nil, nil
		}
		return n, nil
	}},
	{Name: "pg_get_function_sqlbody", MinArgs: 1, MaxArgs: 1, ResultOID: OIDText, fn: constant(nil)},
	{Name: "has_table_privilege", MinArgs: 2, MaxArgs: 3, ResultOID: OIDBool, fn: constant(int64(1))},
	{Name: "has_schema_privilege", MinArgs: 2, MaxArgs: 3, ResultOID: OIDBool, fn: constant(int64(1))},
	{Name: "has_database_privilege", MinArgs: 2, MaxArgs: 3, ResultOID: OIDBool, fn: constant(int64(1))},
	{Name: "has_column_privilege", MinArgs: 3, MaxArgs: 4, ResultOID: OIDBool, fn: constant(int64(1))},
	{Name: "has_sequence_privilege", MinArgs: 2, MaxArgs: 3, ResultOID: OIDBool, fn: constant(int64(1))},
	{Name: "has_function_privilege", MinArgs: 2, MaxArgs: 3, ResultOID: OIDBool, fn: constant(int64(1))},
	{Name: "pg_has_role", MinArgs: 2, MaxArgs: 3, ResultOID: OIDBool, fn: constant(int64(1))},
	{Name: "pg_get_function_result", MinArgs: 1, MaxArgs: 1, ResultOID: OIDText, fn: oidFunc(func(o uint32) (driver.Value, error) {
		p, ok := procs[o]
		return orNull(p.result, ok)
	})},
	{Name: "pg_get_function_arguments", MinArgs: 1, MaxArgs: 1, ResultOID: OIDText, fn: oidFunc(func(o uint32) (driver.Value, error) {
		p, ok := procs[o]
		return orNull(p.arguments, ok)
	})},
	{Name: "pg_get_function_identity_arguments", MinArgs: 1, MaxArgs: 1, ResultOID: OIDText, fn: oidFunc(func(o uint32) (driver.Value, error) {
		p, ok := procs[o]
		return orNull(p.identity, ok)
	})},
	{Name: "pg_relation_is_publishable", MinArgs: 1, MaxArgs: 1, ResultOID: OIDBool, fn: oidFunc(func(o uint32) (driver.Value, error) {
		k, _ := find(func(b *built) (byte, bool) { k, ok := b.relKind[o]; return k, ok })
		return boolValue(k == 'r'), nil
	})},
	{Name: "pg_get_statisticsobjdef_columns", MinArgs: 1, MaxArgs: 1, ResultOID: OIDText, fn: constant(nil)},
	{Name: "pg_get_partkeydef", MinArgs: 1, MaxArgs: 1, ResultOID: OIDText, fn: constant(nil)},
	{Name: "pg_get_viewdef", MinArgs: 1, MaxArgs: 2, ResultOID: OIDText, fn: constant(nil)},
	{Name: "pg_get_triggerdef", MinArgs: 1, MaxArgs: 2, ResultOID: OIDText, fn: constant(nil)},
	{Name: "pg_get_ruledef", MinArgs: 1, MaxArgs: 2, ResultOID: OIDText, fn: constant(nil)},
	{Name: "pg_get_serial_sequence", MinArgs: 2, MaxArgs: 2, ResultOID: OIDText, fn: func(a []driver.Value) (driver.Value, error) {
		t, ok1 := argText(a[0])
		c, ok2 := argText(a[1])
		if !ok1 || !ok2 {
			return nil, nil
		}
		t = strings.TrimPrefix(strings.Trim(t, `"`), "public.")
		name := t + "_" + c + "_seq"
		_, ok := find(func(b *built) (uint32, bool) { o, ok := b.relOIDs[name]; return o, ok && b.relKind[o] == 'S' })
		return orNull("public."+quoteIdent(name), ok)
	}},
	{Name: "array_to_string", MinArgs: 2, MaxArgs: 3, ResultOID: OIDText, fn: func(a []driver.Value) (driver.Value, error) {
		s, ok1 := argText(a[0])
		sep, ok2 := argText(a[1])
		if !ok1 || !ok2 {
			return nil, nil
		}
		elems, ok := arrayOrVector(s)
		if !ok {
			return nil, pgerr.New(pgerr.InvalidTextRepresentation, "malformed array literal: %q", s)
		}
		null, hasNull := "", false
		if len(a) == 3 {
			null, hasNull = argText(a[2])
		}
		var out []string
		for _, e := range elems {
			switch {
			case e != nil:
				out = append(out, *e)
			case hasNull:
				out = append(out, null)
			}
		}
		return strings.Join(out, sep), nil
	}},
	{Name: "current_schemas", MinArgs: 1, MaxArgs: 1, ResultOID: OIDNameArray, fn: func(a []driver.Value) (driver.Value, error) {
		if a[0] == nil {
			return nil, nil
		}
		if argBool(a[0]) {
			return "{pg_catalog,public}", nil
		}
		return "{public}", nil
	}},
	{Name: "array_position", MinArgs: 2, MaxArgs: 3, ResultOID: OIDInt4, fn: func(a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		if !ok {
			return nil, nil
		}
		elems, ok := arrayOrVector(s)
		if !ok {
			return nil, pgerr.New(pgerr.InvalidTextRepresentation, "malformed array literal: %q", s)
		}
		want, wantOK := argText(a[1])
		start := int64(1)
		if len(a) == 3 {
			start, _ = argInt(a[2])
		}
		for i, e := range elems {
			if int64(i+1) < start {
				continue
			}
			if (e == nil && !wantOK) || (e != nil && wantOK && *e == want) {
				return int64(i + 1), nil
			}
		}
		return nil, nil
	}},
	{Name: "array_upper", MinArgs: 2, MaxArgs: 2, ResultOID: OIDInt4, fn: arrayDim(func(n int) int64 { return int64(n) })},
	{Name: "array_length", MinArgs: 2, MaxArgs: 2, ResultOID: OIDInt4, fn: arrayDim(func(n int) int64 { return int64(n) })},
	{Name: "array_lower", MinArgs: 2, MaxArgs: 2, ResultOID: OIDInt4, fn: arrayDim(func(int) int64 { return 1 })},
	{Name: "cardinality", MinArgs: 1, MaxArgs: 1, ResultOID: OIDInt4, fn: func(a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		if !ok {
			return nil, nil
		}
		elems, _ := arrayOrVector(s)
		return int64(len(elems)), nil
	}},
	// pg_array_elem(x) is one element of an array's text form, quoted as
	// needed; NULL gives NULL (the bare word). With it the translator
	// builds ARRAY(SELECT x …) as
	// (SELECT '{' || coalesce(group_concat(pg_array_elem(x), ','), '') || '}' FROM (…)).
	{Name: "pg_array_elem", MinArgs: 1, MaxArgs: 1, ResultOID: OIDText, fn: func(a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		if !ok {
			return "NULL", nil
		}
		return arrayElem(s), nil
	}},
	// pg_array_contains(array, x) is x = ANY(array): 1, 0, or NULL as
	// PostgreSQL's three-valued ANY gives.
	{Name: "pg_array_contains", MinArgs: 2, MaxArgs: 2, ResultOID: OIDBool, fn: func(a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		x, xok := argText(a[1])
		if !ok || !xok {
			return nil, nil
		}
		elems, ok := arrayOrVector(s)
		if !ok {
			return nil, pgerr.New(pgerr.InvalidTextRepresentation, "malformed array literal: %q", s)
		}
		sawNull := false
		for _, e := range elems {
			if e == nil {
				sawNull = true
			} else if *e == x {
				return int64(1), nil
			}
		}
		if sawNull {
			return nil, nil
		}
		return int64(0), nil
	}},
	// pg_array_get(array, i) is array[i] (1-based; NULL out of range).
	{Name: "pg_array_get", MinArgs: 2, MaxArgs: 2, ResultOID: OIDText, fn: func(a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		i, iok := argInt(a[1])
		if !ok || !iok {
			return nil, nil
		}
		elems, _ := arrayOrVector(s)
		if strings.IndexByte(strings.TrimSpace(s), '{') != 0 {
			i++ // int2vector/oidvector subscripts start at 0
		}
		if i < 1 || int(i) > len(elems) || elems[i-1] == nil {
			return nil, nil
		}
		return *elems[i-1], nil
	}},
	// pg_array_json(array) is the array as a JSON array of strings (NULL
	// elements null), so that unnest(array) in FROM can become
	// json_each(pg_array_json(array)) — a set-returning function cannot be
	// a scalar SQLite function.
	{Name: "pg_array_json", MinArgs: 1, MaxArgs: 1, ResultOID: OIDText, fn: func(a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		if !ok {
			return nil, nil
		}
		elems, ok := arrayOrVector(s)
		if !ok {
			return nil, pgerr.New(pgerr.InvalidTextRepresentation, "malformed array literal: %q", s)
		}
		var b strings.Builder
		b.WriteByte('[')
		for i, e := range elems {
			if i > 0 {
				b.WriteByte(',')
			}
			if e == nil {
				b.WriteString("null")
			} else {
				j, _ := json.Marshal(*e) // a string always marshals
				b.Write(j)
			}
		}
		b.WriteByte(']')
		return b.String(), nil
	}},
	// pg_partition_ancestors(rel) is the set of rel and its ancestors;
	// with no partitioning that is the one row rel, so the scalar form
	// serves psql's "confrelid IN (SELECT pg_partition_ancestors(X) UNION
	// ALL VALUES (X))".
	{Name: "pg_partition_ancestors", MinArgs: 1, MaxArgs: 1, ResultOID: OIDRegclass, fn: oidFunc(func(o uint32) (driver.Value, error) {
		return int64(o), nil
	})},
	{Name: "quote_ident", MinArgs: 1, MaxArgs: 1, ResultOID: OIDText, fn: func(a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		if !ok {
			return nil, nil
		}
		return quoteIdent(s), nil
	}},
	{Name: "pg_is_other_temp_schema", MinArgs: 1, MaxArgs: 1, ResultOID: OIDBool, fn: constant(int64(0))},
	{Name: "pg_my_temp_schema", MinArgs: 0, MaxArgs: 0, ResultOID: OIDOid, fn: constant(int64(0))},
	{Name: "txid_current", MinArgs: 0, MaxArgs: 0, ResultOID: OIDInt8, Volatile: true, fn: func([]driver.Value) (driver.Value, error) {
		return 1000 + xactCounter.Add(1), nil
	}},
	{Name: "pg_current_xact_id", MinArgs: 0, MaxArgs: 0, ResultOID: OIDXid8, Volatile: true, fn: func([]driver.Value) (driver.Value, error) {
		return 1000 + xactCounter.Add(1), nil
	}},
	{Name: "pg_postmaster_start_time", MinArgs: 0, MaxArgs: 0, ResultOID: OIDTimestamptz, fn: func([]driver.Value) (driver.Value, error) {
		t := startTime
		if l := registry.last.Load(); l != nil && !l.snap.StartTime.IsZero() {
			t = l.snap.StartTime
		}
		return t.UTC().Format("2006-01-02 15:04:05.999999") + "+00", nil
	}},
	// Casts to and from the oid alias types. x::regclass of a string is
	// pg_regclass_in(x), which raises 42P01 for an unknown name as
	// PostgreSQL does; to_regclass(x) gives NULL instead. oid::regclass
	// printed (or cast to text) is pg_regclass_out(oid).
	{Name: "pg_regclass_in", MinArgs: 1, MaxArgs: 1, ResultOID: OIDRegclass, fn: func(a []driver.Value) (driver.Value, error) {
		if a[0] == nil {
			return nil, nil
		}
		if n, ok := a[0].(int64); ok {
			return n, nil
		}
		s, _ := argText(a[0])
		if n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32); err == nil {
			return int64(n), nil
		}
		if o, ok := regclassIn(s); ok {
			return int64(o), nil
		}
		return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", s)
	}},
	{Name: "to_regclass", MinArgs: 1, MaxArgs: 1, ResultOID: OIDRegclass, fn: func(a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		if !ok {
			return nil, nil
		}
		if o, ok := regclassIn(s); ok {
			return int64(o), nil
		}
		return nil, nil
	}},
	{Name: "pg_regclass_out", MinArgs: 1, MaxArgs: 1, ResultOID: OIDText, fn: oidFunc(func(o uint32) (driver.Value, error) {
		if o == 0 {
			return "-", nil
		}
		if n, ok := find(func(b *built) (string, bool) { n, ok := b.relNames[o]; return n, ok }); ok {
			return quoteIdent(n), nil
		}
		if n, ok := relOIDNames[o]; ok {
			return n, nil
		}
		return strconv.FormatUint(uint64(o), 10), nil
	})},
	{Name: "pg_regtype_out", MinArgs: 1, MaxArgs: 1, ResultOID: OIDText, fn: oidFunc(func(o uint32) (driver.Value, error) {
		if o == 0 {
			return "-", nil
		}
		if _, ok := typesByOID[o]; !ok {
			return strconv.FormatUint(uint64(o), 10), nil
		}
		return FormatType(o, -1, false), nil
	})},
	{Name: "pg_regnamespace_out", MinArgs: 1, MaxArgs: 1, ResultOID: OIDText, fn: oidFunc(func(o uint32) (driver.Value, error) {
		if n, ok := namespaces[o]; ok {
			return n, nil
		}
		return strconv.FormatUint(uint64(o), 10), nil
	})},
	{Name: "pg_regrole_out", MinArgs: 1, MaxArgs: 1, ResultOID: OIDText, fn: oidFunc(func(o uint32) (driver.Value, error) {
		if n, ok := find(func(b *built) (string, bool) { n, ok := b.roles[o]; return n, ok }); ok {
			return quoteIdent(n), nil
		}
		return strconv.FormatUint(uint64(o), 10), nil
	})},
}

var namespaces = map[uint32]string{nsPgCatalog: "pg_catalog", nsToast: "pg_toast", nsPublic: "public", nsInformationSchema: "information_schema"}

func arrayDim(f func(n int) int64) func(a []driver.Value) (driver.Value, error) {
	return func(a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		d, dok := argInt(a[1])
		if !ok || !dok {
			return nil, nil
		}
		elems, ok := arrayOrVector(s)
		if !ok {
			return nil, pgerr.New(pgerr.InvalidTextRepresentation, "malformed array literal: %q", s)
		}
		if d != 1 || len(elems) == 0 {
			return nil, nil
		}
		return f(len(elems)), nil
	}
}

// regclassIn resolves a relation name ("t", "public.t", "pg_catalog.pg_class",
// "\"T\"") to its oid.
func regclassIn(s string) (uint32, bool) {
	s = strings.TrimSpace(s)
	schema := ""
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			inQuote = !inQuote
		case s[i] == '.' && !inQuote:
			schema, s = strings.ToLower(strings.Trim(s[:i], `"`)), s[i+1:]
			i = len(s)
		}
	}
	if strings.HasPrefix(s, `"`) && strings.HasSuffix(s, `"`) && len(s) >= 2 {
		s = strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	} else {
		s = strings.ToLower(s)
	}
	if schema == "" || schema == "public" {
		if o, ok := find(func(b *built) (uint32, bool) { o, ok := b.relOIDs[s]; return o, ok }); ok {
			return o, true
		}
	}
	if schema == "" || schema == "pg_catalog" || schema == "information_schema" {
		if schema == "" {
			schema = "pg_catalog"
		}
		if r, ok := relByName[schema+"."+s]; ok {
			return r.OID, true
		}
	}
	return 0, false
}

// SizePretty is PostgreSQL 15's pg_size_pretty(bigint).
func SizePretty(size int64) string {
	units := []struct {
		name  string
		limit int64
		round bool
		bits  uint
	}{{"bytes", 10 * 1024, false, 0}, {"kB", 20*1024 - 1, true, 10}, {"MB", 20*1024 - 1, true, 20},
		{"GB", 20*1024 - 1, true, 30}, {"TB", 20*1024 - 1, true, 40}, {"PB", 20*1024 - 1, true, 50}}
	abs := func(x int64) int64 {
		if x < 0 {
			return -x
		}
		return x
	}
	for i, u := range units {
		if i == len(units)-1 || abs(size) < u.limit {
			if u.round {
				if size < 0 {
					size = (size - 1) / 2
				} else {
					size = (size + 1) / 2
				}
			}
			return strconv.FormatInt(size, 10) + " " + u.name
		}
		next := units[i+1]
		bits := next.bits - u.bits
		if next.round {
			bits--
		}
		if u.round {
			bits++
		}
		size /= int64(1) << bits
	}
	return ""
}

// encodings are PostgreSQL's encoding names by number (pg_wchar.h).
var encodings = []string{"SQL_ASCII", "EUC_JP", "EUC_CN", "EUC_KR", "EUC_TW", "EUC_JIS_2004", "UTF8", "MULE_INTERNAL",
	"LATIN1", "LATIN2", "LATIN3", "LATIN4", "LATIN5", "LATIN6", "LATIN7", "LATIN8", "LATIN9", "LATIN10",
	"WIN1256", "WIN1258", "WIN866", "WIN874", "KOI8R", "WIN1251", "WIN1252", "ISO_8859_5", "ISO_8859_6",
	"ISO_8859_7", "ISO_8859_8", "WIN1250", "WIN1253", "WIN1254", "WIN1255", "WIN1257", "KOI8U", "SJIS",
	"BIG5", "GBK", "UHC", "GB18030", "JOHAB", "SHIFT_JIS_2004"}

// quoteIdent is PostgreSQL's quote_ident: the name unchanged when it is a
// lower-case identifier and not a reserved (or type/column-name)
// keyword, else double-quoted.
func quoteIdent(s string) string {
	safe := s != "" && (s[0] >= 'a' && s[0] <= 'z' || s[0] == '_')
	for i := 0; safe && i < len(s); i++ {
		c := s[i]
		safe = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	if safe && !keywords[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
