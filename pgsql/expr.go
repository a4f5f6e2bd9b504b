package pgsql

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// col is a column visible in a scope.
type col struct {
	name     string
	t        pgType
	tableOID uint32
	attnum   int16
}

// rel is a relation in a FROM clause (or the target of DML).
type rel struct {
	name  string // qualifier: alias or table name; "" when none
	cols  []col
	table *Table // nil for derived relations
	// merged names the columns a JOIN … USING merged into the left side:
	// an unqualified reference does not see them here.
	merged map[string]bool
	using  []string // the USING column order, with merged
	// colExpr gives columns that are expressions rather than stored
	// columns (an inlined LATERAL subquery, unnest's value).
	colExpr map[string]string
	// sqlQual overrides how columns are qualified in SQL: "-" emits
	// them unqualified (DML targets), "" uses name.
	sqlQual string
}

// scope is the set of relations expressions can reference; parent is
// the enclosing query's scope (correlated subqueries).
type scope struct {
	rels    []*rel
	parent  *scope
	outputs []*expr // the select list, for ORDER BY by output name
}

// expr is a translated expression.
type expr struct {
	sql      string
	t        pgType
	param    int  // >0 when the expression is the bare parameter $n
	unknown  bool // an untyped literal ('…' or NULL)
	null     bool
	lit      string // the text of an untyped string literal
	name     string // the result column name PostgreSQL would give
	strength int    // how good name is (PostgreSQL's FigureColname)
	tableOID uint32
	attnum   int16
	agg      bool  // contains an aggregate
	posHint  int32 // error position of a literal
	// unknownOrigin marks a select-list column typed text only because
	// it was an untyped literal.
	unknownOrigin bool
	ivl           *interval // a constant interval
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// literalSQL renders a converted value as a SQLite literal.
func literalSQL(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "NULL", nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		switch {
		case math.IsInf(x, 1):
			return "9e999", nil
		case math.IsInf(x, -1):
			return "-9e999", nil
		case math.IsNaN(x):
			return "", unsupported("NaN values are not supported")
		}
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		return s, nil
	case string:
		return quoteString(x), nil
	case []byte:
		return "X'" + hex.EncodeToString(x) + "'", nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	}
	return "", pgerr.New(pgerr.InternalError, "unexpected literal %T", v)
}

func strNode(n *pg_query.Node) string {
	if s := n.GetString_(); s != nil {
		return s.Sval
	}
	return ""
}

func nameList(nodes []*pg_query.Node) []string {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, strNode(n))
	}
	return out
}

// ---- type of a TypeName ----

// storedType resolves the type of a table column: arrays, which exist in
// expressions only in their text form (for the catalogs), cannot be
// stored.
func (t *translator) storedType(tn *pg_query.TypeName) (pgType, error) {
	if len(tn.ArrayBounds) > 0 {
		return tUnknown, unsupported("array types are not supported")
	}
	return t.typeOf(tn)
}

// typeOf resolves a TypeName to a type the SQL layer supports.
func (t *translator) typeOf(tn *pg_query.TypeName) (pgType, error) {
	names := nameList(tn.Names)
	if len(names) == 0 {
		return tUnknown, unsupported("type is not supported")
	}
	name := names[len(names)-1]
	if len(names) == 2 && names[0] != "pg_catalog" && names[0] != "public" {
		return tUnknown, t.errAt(tn.Location, pgerr.UndefinedObject, "type %q does not exist", strings.Join(names, "."))
	}
	if len(tn.ArrayBounds) > 0 {
		// One-dimensional arrays of the catalog's element types, kept in
		// their text form (textForm).
		if elem, ok := typesByName[name]; ok && len(tn.ArrayBounds) == 1 {
			if arr, ok := arrayOf[elem]; ok {
				return pgType{arr, -1}, nil
			}
		}
		return tUnknown, unsupported("array types are not supported")
	}
	oid, ok := typesByName[name]
	if !ok {
		switch name {
		case "serial", "serial4", "bigserial", "serial8", "smallserial", "serial2":
			return tUnknown, unsupported("type %s is only supported for a primary key column in CREATE TABLE", name)
		case "regclass", "regtype", "regproc", "regnamespace", "regoper", "regprocedure":
			return tUnknown, unsupported("type %s is not supported", name)
		}
		if _, known := unsupportedTypes[name]; known {
			return tUnknown, unsupported("type %s is not supported", name)
		}
		return tUnknown, t.errAt(tn.Location, pgerr.UndefinedObject, "type %q does not exist", name)
	}
	if oid == OIDTime || oid == OIDRegclass {
		return tUnknown, unsupported("type %s is not supported", typname(oid))
	}
	typ := pgType{oid, -1}
	if len(tn.Typmods) > 0 {
		var mods []int
		for _, m := range tn.Typmods {
			c := m.GetAConst()
			if c == nil || c.GetIval() == nil {
				return tUnknown, unsupported("type modifier is not supported")
			}
			mods = append(mods, int(c.GetIval().Ival))
		}
		switch oid {
		case OIDVarchar, OIDBpchar:
			if mods[0] < 1 {
				return tUnknown, t.errAt(tn.Location, pgerr.InvalidParameterValue, "length for type %s must be at least 1", typname(oid))
			}
			typ.mod = int32(mods[0] + 4)
		case OIDNumeric:
			s := 0
			if len(mods) > 1 {
				s = mods[1]
			}
			if mods[0] < 1 || mods[0] > 1000 {
				return tUnknown, t.errAt(tn.Location, pgerr.InvalidParameterValue, "NUMERIC precision %d must be between 1 and 1000", mods[0])
			}
			typ.mod = int32(mods[0]<<16|s) + 4
		case OIDTimestamp, OIDTimestamptz:
			// The precision is kept in the type (a column reports it) and
			// not enforced on values.
			if mods[0] < 0 {
				return tUnknown, t.errAt(tn.Location, pgerr.InvalidParameterValue, "TIMESTAMP(%d) precision must not be negative", mods[0])
			}
			typ.mod = int32(min(mods[0], 6))
		case OIDFloat8:
			if names[len(names)-1] == "float8" && len(names) == 2 && mods[0] <= 24 {
				typ = tFloat4
			}
		}
	} else if oid == OIDBpchar && len(names) == 2 && names[0] == "pg_catalog" {
		// char without length is char(1)
		typ.mod = 5
	}
	return typ, nil
}

var unsupportedTypes = map[string]struct{}{
	"money": {}, "inet": {}, "cidr": {}, "macaddr": {}, "macaddr8": {}, "bit": {}, "varbit": {},
	"point": {}, "line": {}, "lseg": {}, "box": {}, "path": {}, "polygon": {}, "circle": {},
	"tsvector": {}, "tsquery": {}, "xml": {}, "int4range": {}, "int8range": {}, "numrange": {},
	"tsrange": {}, "tstzrange": {}, "daterange": {}, "hstore": {}, "citext": {}, "timetz": {},
	"oidvector": {}, "int2vector": {}, "pg_lsn": {}, "txid_snapshot": {}, "record": {},
}

// ---- column resolution ----

func (t *translator) column(cr *pg_query.ColumnRef, sc *scope) (*expr, error) {
	var parts []string
	for _, f := range cr.Fields {
		if f.GetAStar() != nil {
			return nil, t.errAt(cr.Location, pgerr.SyntaxError, "* is not allowed here")
		}
		parts = append(parts, strNode(f))
	}
	var qual, name string
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		qual, name = parts[0], parts[1]
	case 3:
		if parts[0] != "public" {
			return nil, unsupported("cross-schema column references are not supported")
		}
		qual, name = parts[1], parts[2]
	default:
		return nil, t.errAt(cr.Location, pgerr.SyntaxError, "improper qualified name (too many dotted names): %s", strings.Join(parts, "."))
	}
	for s := sc; s != nil; s = s.parent {
		var found *expr
		for _, r := range s.rels {
			if qual != "" && r.name != qual {
				continue
			}
			for i := range r.cols {
				c := &r.cols[i]
				if c.name != name || (qual == "" && r.merged[name]) {
					continue
				}
				if found != nil {
					return nil, t.errAt(cr.Location, pgerr.AmbiguousColumn, "column reference %q is ambiguous", name)
				}
				found = &expr{sql: r.colSQL(name), t: c.t, name: name, strength: 2, tableOID: c.tableOID, attnum: c.attnum}
			}
			if qual != "" && found == nil {
				return nil, t.errAt(cr.Location, pgerr.UndefinedColumn, "column %s.%s does not exist", qual, name)
			}
		}
		if found != nil {
			return found, nil
		}
	}
	if qual != "" {
		return nil, t.errAt(cr.Location, pgerr.UndefinedTable, "missing FROM-clause entry for table %q", qual)
	}
	return nil, t.errAt(cr.Location, pgerr.UndefinedColumn, "column %q does not exist", name)
}

// ---- coercion ----

// coerce gives an untyped expression (literal, NULL, parameter of yet
// unknown type) the type typ, as PostgreSQL resolves unknown operands.
func (t *translator) coerce(e *expr, typ pgType) (*expr, error) {
	if typ.oid == 0 || typ.oid == OIDUnknown {
		return e, nil
	}
	if typ.oid == OIDInterval && (e.unknown || e.param > 0) && e.t.oid == 0 {
		return t.intervalConst(e)
	}
	switch {
	case e.param > 0 && e.t.oid == 0:
		t.setParam(e.param, typ)
		c := *e
		c.t = t.paramType(e.param)
		c.sql = paramSQL(e.param, c.t.oid)
		return &c, nil
	case e.null:
		c := *e
		c.t, c.unknown = typ, false
		return &c, nil
	case e.unknown:
		v, err := convertValue(e.lit, OIDUnknown, pgType{typ.oid, -1}, true)
		if err != nil {
			if pe := pgerr.As(err); pe != nil && pe.Position == 0 {
				pe.Position = e.posHint
			}
			return nil, err
		}
		sql, err := literalSQL(v)
		if err != nil {
			return nil, err
		}
		c := *e
		c.sql, c.t, c.unknown = sql, pgType{typ.oid, -1}, false
		return &c, nil
	}
	return e, nil
}

// resolveUnknown types a still-untyped expression as text, as PostgreSQL
// does for select-list literals.
func (t *translator) resolveUnknown(e *expr) *expr {
	if e.t.oid == 0 {
		c := *e
		c.t = tText
		c.unknown = false
		return &c
	}
	return e
}

// castSQL converts e to typ with a cast's semantics.
func (t *translator) castSQL(e *expr, typ pgType, explicit bool) (*expr, error) {
	if typ.oid == OIDInterval {
		return t.intervalConst(e)
	}
	if e.unknown && !e.null {
		v, err := convertValue(e.lit, OIDUnknown, typ, explicit)
		if err != nil {
			if pe := pgerr.As(err); pe != nil && pe.Position == 0 {
				pe.Position = e.posHint
			}
			return nil, err
		}
		sql, err := literalSQL(v)
		if err != nil {
			return nil, err
		}
		return &expr{sql: sql, t: typ}, nil
	}
	if e.null {
		return &expr{sql: "NULL", t: typ, null: true}, nil
	}
	if e.param > 0 && e.t.oid == 0 {
		t.setParam(e.param, typ)
		pt := t.paramType(e.param)
		e = &expr{sql: paramSQL(e.param, pt.oid), t: pt, param: e.param}
		if pt.oid == typ.oid && (typ.mod < 0 || (typ.oid != OIDVarchar && typ.oid != OIDBpchar && typ.oid != OIDNumeric)) {
			return &expr{sql: e.sql, t: typ, param: e.param}, nil
		}
	}
	src := e.t
	if src.oid == typ.oid && (typ.mod < 0 || src.mod == typ.mod) {
		return &expr{sql: e.sql, t: typ, agg: e.agg}, nil
	}
	if isIntType(src.oid) && isIntType(typ.oid) && intRank(src.oid) <= intRank(typ.oid) {
		return &expr{sql: e.sql, t: typ, agg: e.agg}, nil
	}
	if isTextType(src.oid) && (typ.oid == OIDText || (typ.oid == OIDVarchar && typ.mod < 0)) {
		if src.oid == OIDBpchar {
			return &expr{sql: unpad(e.sql), t: typ, agg: e.agg}, nil
		}
		return &expr{sql: e.sql, t: typ, agg: e.agg}, nil
	}
	if textForm[typ.oid] && isTextType(src.oid) {
		// An array or vector literal: its text form is the value.
		return &expr{sql: e.sql, t: typ, agg: e.agg}, nil
	}
	switch typ.oid {
	case OIDInt2, OIDInt4, OIDInt8, OIDFloat4, OIDFloat8, OIDNumeric, OIDBool, OIDText, OIDVarchar, OIDBpchar,
		OIDTimestamp, OIDTimestamptz, OIDDate, OIDBytea, OIDUUID, OIDJSON, OIDJSONB, OIDName, OIDOID, OIDChar:
	default:
		return nil, unsupported("cast to type %s is not supported", typname(typ.oid))
	}
	ex := 0
	if explicit {
		ex = 1
	}
	sql := "pg_cast(" + e.sql + ", " + strconv.Itoa(int(src.oid)) + ", " + strconv.Itoa(int(typ.oid)) + ", " +
		strconv.Itoa(int(typ.mod)) + ", " + strconv.Itoa(ex) + ")"
	return &expr{sql: sql, t: typ, agg: e.agg}, nil
}

func intRank(oid uint32) int {
	switch oid {
	case OIDInt2:
		return 1
	case OIDInt4:
		return 2
	case OIDInt8:
		return 3
	}
	return 0
}

func numRank(oid uint32) int {
	switch oid {
	case OIDInt2:
		return 1
	case OIDInt4:
		return 2
	case OIDInt8:
		return 3
	case OIDNumeric:
		return 4
	case OIDFloat4:
		return 5
	case OIDFloat8:
		return 6
	}
	return 0
}

// assignE converts e for storing into a column of type typ (INSERT
// values, UPDATE SET): PostgreSQL's assignment cast, with length checks.
func (t *translator) assignE(e *expr, typ pgType) (*expr, error) {
	if e.null {
		return &expr{sql: "NULL", t: typ, null: true}, nil
	}
	if e.unknown {
		v, err := convertValue(e.lit, OIDUnknown, typ, false)
		if err != nil {
			if pe := pgerr.As(err); pe != nil && pe.Position == 0 {
				pe.Position = e.posHint
			}
			return nil, err
		}
		sql, err := literalSQL(v)
		if err != nil {
			return nil, err
		}
		return &expr{sql: sql, t: typ}, nil
	}
	if e.param > 0 && e.t.oid == 0 {
		t.setParam(e.param, typ)
		pt := t.paramType(e.param)
		e = &expr{sql: paramSQL(e.param, pt.oid), t: pt, param: e.param}
	}
	src := e.t
	needs := false
	switch {
	case src.oid == typ.oid:
		needs = typ.mod >= 0 && src.mod != typ.mod
	case isIntType(src.oid) && isIntType(typ.oid):
		needs = intRank(src.oid) > intRank(typ.oid)
	case isNumericType(src.oid) && (typ.oid == OIDNumeric || typ.oid == OIDFloat8 || typ.oid == OIDFloat4):
		needs = typ.mod >= 0 || typ.oid == OIDFloat4
	case isTextType(src.oid) && typ.oid == OIDText:
		needs = false
	default:
		needs = true
	}
	if !needs {
		return &expr{sql: e.sql, t: typ, param: e.param}, nil
	}
	return t.castSQL(e, typ, false)
}

// ---- expressions ----

func (t *translator) expr(n *pg_query.Node, sc *scope) (*expr, error) {
	if n == nil {
		return nil, pgerr.New(pgerr.InternalError, "missing expression")
	}
	switch x := n.Node.(type) {
	case *pg_query.Node_ColumnRef:
		return t.column(x.ColumnRef, sc)
	case *pg_query.Node_ParamRef:
		p := int(x.ParamRef.Number)
		if err := t.useParam(p); err != nil {
			return nil, err
		}
		pt := t.paramType(p)
		return &expr{sql: paramSQL(p, pt.oid), t: pt, param: p, name: "?column?"}, nil
	case *pg_query.Node_AConst:
		return t.constant(x.AConst)
	case *pg_query.Node_TypeCast:
		return t.typeCast(x.TypeCast, sc)
	case *pg_query.Node_AExpr:
		return t.aExpr(x.AExpr, sc)
	case *pg_query.Node_BoolExpr:
		return t.boolExpr(x.BoolExpr, sc)
	case *pg_query.Node_NullTest:
		e, err := t.expr(x.NullTest.Arg, sc)
		if err != nil {
			return nil, err
		}
		op := " IS NULL"
		if x.NullTest.Nulltesttype == pg_query.NullTestType_IS_NOT_NULL {
			op = " IS NOT NULL"
		}
		return &expr{sql: "(" + e.sql + op + ")", t: tBool, name: "?column?", agg: e.agg}, nil
	case *pg_query.Node_BooleanTest:
		e, err := t.expr(x.BooleanTest.Arg, sc)
		if err != nil {
			return nil, err
		}
		if e, err = t.coerce(e, tBool); err != nil {
			return nil, err
		}
		var op string
		switch x.BooleanTest.Booltesttype {
		case pg_query.BoolTestType_IS_TRUE:
			op = " IS 1"
		case pg_query.BoolTestType_IS_NOT_TRUE:
			op = " IS NOT 1"
		case pg_query.BoolTestType_IS_FALSE:
			op = " IS 0"
		case pg_query.BoolTestType_IS_NOT_FALSE:
			op = " IS NOT 0"
		case pg_query.BoolTestType_IS_UNKNOWN:
			op = " IS NULL"
		default:
			op = " IS NOT NULL"
		}
		return &expr{sql: "(" + e.sql + op + ")", t: tBool, name: "?column?", agg: e.agg}, nil
	case *pg_query.Node_FuncCall:
		return t.funcCall(x.FuncCall, sc)
	case *pg_query.Node_SqlvalueFunction:
		return t.sqlValueFunction(x.SqlvalueFunction)
	case *pg_query.Node_CoalesceExpr:
		return t.variadic("coalesce", "coalesce", x.CoalesceExpr.Args, sc)
	case *pg_query.Node_MinMaxExpr:
		if x.MinMaxExpr.Op == pg_query.MinMaxOp_IS_GREATEST {
			return t.variadic("greatest", "pg_greatest", x.MinMaxExpr.Args, sc)
		}
		return t.variadic("least", "pg_least", x.MinMaxExpr.Args, sc)
	case *pg_query.Node_CaseExpr:
		return t.caseExpr(x.CaseExpr, sc)
	case *pg_query.Node_SubLink:
		return t.subLink(x.SubLink, sc)
	case *pg_query.Node_RowExpr:
		var parts []string
		agg := false
		for _, a := range x.RowExpr.Args {
			e, err := t.expr(a, sc)
			if err != nil {
				return nil, err
			}
			parts = append(parts, e.sql)
			agg = agg || e.agg
		}
		return &expr{sql: "(" + strings.Join(parts, ", ") + ")", t: tUnknown, name: "row", strength: 1, agg: agg}, nil
	case *pg_query.Node_CollateClause:
		cn := nameList(x.CollateClause.Collname)
		c := cn[len(cn)-1]
		if c != "default" && c != "C" && c != "POSIX" {
			return nil, unsupported("collation %q is not supported", c)
		}
		return t.expr(x.CollateClause.Arg, sc)
	case *pg_query.Node_SetToDefault:
		return nil, t.errAt(x.SetToDefault.Location, pgerr.SyntaxError, "DEFAULT is not allowed in this context")
	case *pg_query.Node_AArrayExpr:
		return nil, unsupported("arrays are not supported")
	case *pg_query.Node_AIndirection:
		ind := x.AIndirection
		if len(ind.Indirection) == 1 {
			if ix := ind.Indirection[0].GetAIndices(); ix != nil && !ix.IsSlice && ix.Uidx != nil {
				if fn, res, ok := t.catalogFn("pg_array_get", 2); ok {
					arr, err := t.expr(ind.Arg, sc)
					if err != nil {
						return nil, err
					}
					i, err := t.expr(ix.Uidx, sc)
					if err != nil {
						return nil, err
					}
					if i, err = t.coerce(i, tInt4); err != nil {
						return nil, err
					}
					return &expr{sql: fn + "(" + arr.sql + ", " + i.sql + ")", t: pgType{res, -1}, name: arr.name, strength: arr.strength, agg: arr.agg || i.agg}, nil
				}
			}
		}
		return nil, unsupported("array subscripts and field selection are not supported")
	case *pg_query.Node_GroupingFunc:
		return nil, unsupported("GROUPING is not supported")
	}
	return nil, unsupported("expression %s is not supported", nodeName(n))
}

func nodeName(n *pg_query.Node) string {
	m := n.ProtoReflect()
	f := m.WhichOneof(m.Descriptor().Oneofs().Get(0))
	if f == nil {
		return "?"
	}
	return string(f.Name())
}

func (t *translator) constant(c *pg_query.A_Const) (*expr, error) {
	if c.Isnull {
		return &expr{sql: "NULL", unknown: true, null: true, name: "?column?", posHint: t.pos(c.Location)}, nil
	}
	switch v := c.Val.(type) {
	case *pg_query.A_Const_Ival:
		return &expr{sql: strconv.FormatInt(int64(v.Ival.Ival), 10), t: tInt4, name: "?column?"}, nil
	case *pg_query.A_Const_Fval:
		s := v.Fval.Fval
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				if n == int64(int32(n)) {
					// -2147483648: the grammar folds the minus into a
					// constant that fits integer (make_const).
					return &expr{sql: strconv.FormatInt(n, 10), t: tInt4, name: "?column?"}, nil
				}
				return &expr{sql: strconv.FormatInt(n, 10), t: tInt8, name: "?column?"}, nil
			}
			// Beyond int8: numeric. SQLite reads it as REAL.
			return &expr{sql: s + ".0", t: tNumeric, name: "?column?"}, nil
		}
		if strings.HasPrefix(s, ".") {
			s = "0" + s
		}
		return &expr{sql: s, t: tNumeric, name: "?column?"}, nil
	case *pg_query.A_Const_Sval:
		return &expr{sql: quoteString(v.Sval.Sval), unknown: true, lit: v.Sval.Sval, name: "?column?", posHint: t.pos(c.Location)}, nil
	case *pg_query.A_Const_Boolval:
		if v.Boolval.Boolval {
			return &expr{sql: "1", t: tBool, name: "bool", strength: 1}, nil
		}
		return &expr{sql: "0", t: tBool, name: "bool", strength: 1}, nil
	case *pg_query.A_Const_Bsval:
		return nil, unsupported("bit string literals are not supported")
	}
	return nil, unsupported("constant is not supported")
}

func (t *translator) typeCast(tc *pg_query.TypeCast, sc *scope) (*expr, error) {
	if e, ok, err := t.regCast(tc, sc); ok || err != nil {
		return e, err
	}
	typ, err := t.typeOf(tc.TypeName)
	if err != nil {
		return nil, err
	}
	e, err := t.expr(tc.Arg, sc)
	if err != nil {
		return nil, err
	}
	out, err := t.castSQL(e, typ, true)
	if err != nil {
		return nil, err
	}
	out.name, out.strength = e.name, e.strength
	if e.strength <= 1 {
		out.name, out.strength = typname(typ.oid), 1
		for elem, arr := range arrayOf {
			if arr == typ.oid {
				out.name = typname(elem) // PostgreSQL names int4[] casts "int4"
			}
		}
	}
	// A cast keeps the column identity only in name.
	out.agg = e.agg
	return out, nil
}

func (t *translator) boolExpr(b *pg_query.BoolExpr, sc *scope) (*expr, error) {
	var parts []string
	agg := false
	for _, a := range b.Args {
		e, err := t.expr(a, sc)
		if err != nil {
			return nil, err
		}
		if e, err = t.coerce(e, tBool); err != nil {
			return nil, err
		}
		parts = append(parts, e.sql)
		agg = agg || e.agg
	}
	switch b.Boolop {
	case pg_query.BoolExprType_AND_EXPR:
		return &expr{sql: "(" + strings.Join(parts, " AND ") + ")", t: tBool, name: "?column?", agg: agg}, nil
	case pg_query.BoolExprType_OR_EXPR:
		return &expr{sql: "(" + strings.Join(parts, " OR ") + ")", t: tBool, name: "?column?", agg: agg}, nil
	}
	return &expr{sql: "(NOT " + parts[0] + ")", t: tBool, name: "?column?", agg: agg}, nil
}

// binaryOperands translates both sides and resolves untyped ones against
// the other side.
func (t *translator) binaryOperands(l, r *pg_query.Node, sc *scope) (*expr, *expr, error) {
	le, err := t.expr(l, sc)
	if err != nil {
		return nil, nil, err
	}
	re, err := t.expr(r, sc)
	if err != nil {
		return nil, nil, err
	}
	return t.unify(le, re)
}

func (t *translator) unify(le, re *expr) (*expr, *expr, error) {
	var err error
	lu, ru := le.t.oid == 0, re.t.oid == 0
	switch {
	case lu && !ru:
		le, err = t.coerce(le, re.t)
	case ru && !lu:
		re, err = t.coerce(re, le.t)
	case lu && ru:
		if le, err = t.coerce(le, tText); err == nil {
			re, err = t.coerce(re, tText)
		}
	}
	return le, re, err
}

func promote(a, b pgType) pgType {
	if numRank(a.oid) >= numRank(b.oid) {
		return pgType{a.oid, -1}
	}
	return pgType{b.oid, -1}
}

func (t *translator) aExpr(a *pg_query.A_Expr, sc *scope) (*expr, error) {
	op := ""
	if len(a.Name) > 0 {
		op = strNode(a.Name[len(a.Name)-1])
	}
	switch a.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		if a.Lexpr == nil {
			return t.unaryOp(op, a.Rexpr, sc)
		}
		return t.binaryOp(op, a, sc)
	case pg_query.A_Expr_Kind_AEXPR_DISTINCT, pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		le, re, err := t.binaryOperands(a.Lexpr, a.Rexpr, sc)
		if err != nil {
			return nil, err
		}
		o := " IS NOT "
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT {
			o = " IS "
		}
		return &expr{sql: "(" + le.sql + o + re.sql + ")", t: tBool, name: "?column?", agg: le.agg || re.agg}, nil
	case pg_query.A_Expr_Kind_AEXPR_NULLIF:
		le, re, err := t.binaryOperands(a.Lexpr, a.Rexpr, sc)
		if err != nil {
			return nil, err
		}
		return &expr{sql: "nullif(" + le.sql + ", " + re.sql + ")", t: le.t, name: "nullif", strength: 2, agg: le.agg || re.agg}, nil
	case pg_query.A_Expr_Kind_AEXPR_IN:
		return t.inList(a, op == "<>", sc)
	case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
		pattern, escape := a.Rexpr, ""
		if fc := a.Rexpr.GetFuncCall(); fc != nil && len(fc.Args) == 2 {
			if n := nameList(fc.Funcname); n[len(n)-1] == "like_escape" {
				pattern = fc.Args[0]
				ee, err := t.expr(fc.Args[1], sc)
				if err != nil {
					return nil, err
				}
				if ee, err = t.coerce(ee, tText); err != nil {
					return nil, err
				}
				escape = ", " + ee.sql
			}
		}
		le, re, err := t.binaryOperands(a.Lexpr, pattern, sc)
		if err != nil {
			return nil, err
		}
		ci := "0"
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_ILIKE {
			ci = "1"
		}
		sql := "pg_like(" + t.textSQL(le) + ", " + t.textSQL(re) + ", " + ci + escape + ")"
		if op == "!~~" || op == "!~~*" {
			sql = "(NOT " + sql + ")"
		}
		return &expr{sql: sql, t: tBool, name: "?column?", agg: le.agg || re.agg}, nil
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN:
		le, err := t.expr(a.Lexpr, sc)
		if err != nil {
			return nil, err
		}
		bounds := a.Rexpr.GetList().GetItems()
		lo, err := t.expr(bounds[0], sc)
		if err != nil {
			return nil, err
		}
		hi, err := t.expr(bounds[1], sc)
		if err != nil {
			return nil, err
		}
		if le, lo, err = t.unify(le, lo); err != nil {
			return nil, err
		}
		if le, hi, err = t.unify(le, hi); err != nil {
			return nil, err
		}
		o := " BETWEEN "
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN {
			o = " NOT BETWEEN "
		}
		return &expr{sql: "(" + le.sql + o + lo.sql + " AND " + hi.sql + ")", t: tBool, name: "?column?", agg: le.agg || lo.agg || hi.agg}, nil
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY, pg_query.A_Expr_Kind_AEXPR_OP_ALL:
		arr := a.Rexpr.GetAArrayExpr()
		if arr == nil && a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ANY && op == "=" {
			if fn, res, ok := t.catalogFn("pg_array_contains", 2); ok {
				le, err := t.expr(a.Lexpr, sc)
				if err != nil {
					return nil, err
				}
				re, err := t.expr(a.Rexpr, sc)
				if err != nil {
					return nil, err
				}
				le = t.resolveUnknown(le)
				return &expr{sql: fn + "(" + re.sql + ", " + le.sql + ")", t: pgType{res, -1}, name: "?column?", agg: le.agg || re.agg}, nil
			}
		}
		if arr == nil {
			return nil, unsupported("%s with an array value is not supported", map[bool]string{true: "ANY", false: "ALL"}[a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ANY])
		}
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ANY && op == "=" {
			return t.inItems(a.Lexpr, arr.Elements, false, sc)
		}
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ALL && (op == "<>" || op == "!=") {
			return t.inItems(a.Lexpr, arr.Elements, true, sc)
		}
		return nil, unsupported("operator %s with ANY/ALL is not supported", op)
	case pg_query.A_Expr_Kind_AEXPR_SIMILAR:
		return nil, unsupported("SIMILAR TO is not supported")
	}
	return nil, unsupported("BETWEEN SYMMETRIC is not supported")
}

func (t *translator) inList(a *pg_query.A_Expr, not bool, sc *scope) (*expr, error) {
	return t.inItems(a.Lexpr, a.Rexpr.GetList().GetItems(), not, sc)
}

func (t *translator) inItems(l *pg_query.Node, items []*pg_query.Node, not bool, sc *scope) (*expr, error) {
	le, err := t.expr(l, sc)
	if err != nil {
		return nil, err
	}
	var es []*expr
	for _, it := range items {
		e, err := t.expr(it, sc)
		if err != nil {
			return nil, err
		}
		es = append(es, e)
	}
	if le.t.oid == 0 {
		for _, e := range es {
			if e.t.oid != 0 {
				if le, err = t.coerce(le, e.t); err != nil {
					return nil, err
				}
				break
			}
		}
	}
	parts := make([]string, len(es))
	agg := le.agg
	lsql := le.sql
	if le.t.oid == OIDBpchar {
		lsql = unpad(lsql)
	}
	for i, e := range es {
		if _, e, err = t.unify(le, e); err != nil {
			return nil, err
		}
		parts[i] = e.sql
		if le.t.oid == OIDBpchar || e.t.oid == OIDBpchar {
			parts[i] = unpad(e.sql)
		}
		agg = agg || e.agg
	}
	le = &expr{sql: lsql, t: le.t, agg: le.agg}
	o := " IN ("
	if not {
		o = " NOT IN ("
	}
	return &expr{sql: "(" + le.sql + o + strings.Join(parts, ", ") + "))", t: tBool, name: "?column?", agg: agg}, nil
}

func (t *translator) unaryOp(op string, arg *pg_query.Node, sc *scope) (*expr, error) {
	e, err := t.expr(arg, sc)
	if err != nil {
		return nil, err
	}
	if e.t.oid == 0 {
		if e, err = t.coerce(e, tNumeric); err != nil {
			return nil, err
		}
	}
	switch op {
	case "-":
		if isIntType(e.t.oid) {
			return &expr{sql: "pg_intchk(-" + e.sql + ", " + strconv.Itoa(int(e.t.oid)) + ")", t: e.t, name: "?column?", agg: e.agg}, nil
		}
		return &expr{sql: "(-" + e.sql + ")", t: e.t, name: "?column?", agg: e.agg}, nil
	case "+":
		return e, nil
	case "@":
		return &expr{sql: "abs(" + e.sql + ")", t: e.t, name: "?column?", agg: e.agg}, nil
	case "|/":
		return &expr{sql: "sqrt(" + e.sql + ")", t: tFloat8, name: "?column?", agg: e.agg}, nil
	case "~":
		return &expr{sql: "(~" + e.sql + ")", t: e.t, name: "?column?", agg: e.agg}, nil
	}
	return nil, unsupported("prefix operator %s is not supported", op)
}

func (t *translator) binaryOp(op string, a *pg_query.A_Expr, sc *scope) (*expr, error) {
	le, err := t.expr(a.Lexpr, sc)
	if err != nil {
		return nil, err
	}
	re, err := t.expr(a.Rexpr, sc)
	if err != nil {
		return nil, err
	}
	agg := le.agg || re.agg
	switch op {
	case "=", "<>", "!=", "<", ">", "<=", ">=":
		// date against timestamp compares as timestamps.
		switch {
		case le.t.oid == OIDDate && re.t.oid == OIDTimestamp:
			if le, err = t.castSQL(le, tTimestamp, false); err != nil {
				return nil, err
			}
		case le.t.oid == OIDTimestamp && re.t.oid == OIDDate:
			if re, err = t.castSQL(re, tTimestamp, false); err != nil {
				return nil, err
			}
		}
		if le, re, err = t.unify(le, re); err != nil {
			return nil, err
		}
		if op == "!=" {
			op = "<>"
		}
		ls, rs := le.sql, re.sql
		if le.t.oid == OIDBpchar || re.t.oid == OIDBpchar {
			ls, rs = unpad(ls), unpad(rs)
		}
		return &expr{sql: "(" + ls + " " + op + " " + rs + ")", t: tBool, name: "?column?", agg: agg}, nil
	case "+", "-", "*", "/", "%":
		if isDateTime(le.t.oid) || isDateTime(re.t.oid) {
			if op == "+" || op == "-" {
				return t.dateArith(op, le, re, a.Location)
			}
			return nil, unsupported("operator %s on date/time values is not supported", op)
		}
		// An untyped literal next to a typed operand takes its type;
		// two untyped operands are numeric.
		if le.t.oid == 0 && re.t.oid == 0 {
			if le, err = t.coerce(le, tInt4); err != nil {
				return nil, err
			}
		}
		if le, re, err = t.unify(le, re); err != nil {
			return nil, err
		}
		if !isNumericType(le.t.oid) || !isNumericType(re.t.oid) {
			return nil, t.errAt(a.Location, pgerr.UndefinedFunction, "operator does not exist: %s %s %s", typname(le.t.oid), op, typname(re.t.oid))
		}
		rt := promote(le.t, re.t)
		if (le.t.oid == OIDFloat4) != (re.t.oid == OIDFloat4) {
			// real with any other number resolves to double precision.
			rt = tFloat8
		}
		switch op {
		case "/", "%":
			fn := "pg_div("
			if op == "%" {
				fn = "pg_mod("
			}
			mode := "0"
			if !isIntType(rt.oid) {
				mode = "1"
			}
			return &expr{sql: fn + le.sql + ", " + re.sql + ", " + mode + ")", t: rt, name: "?column?", agg: agg}, nil
		}
		sql := "(" + le.sql + " " + op + " " + re.sql + ")"
		if isIntType(rt.oid) {
			sql = "pg_intchk(" + le.sql + " " + op + " " + re.sql + ", " + strconv.Itoa(int(rt.oid)) + ")"
		}
		return &expr{sql: sql, t: rt, name: "?column?", agg: agg}, nil
	case "||":
		if le.t.oid == 0 {
			if le, err = t.coerce(le, tText); err != nil {
				return nil, err
			}
		}
		if re.t.oid == 0 {
			if re, err = t.coerce(re, tText); err != nil {
				return nil, err
			}
		}
		if le.t.oid == OIDJSONB && re.t.oid == OIDJSONB {
			return &expr{sql: "pg_jsonb_concat(" + le.sql + ", " + re.sql + ")", t: tJSONB, name: "?column?", agg: agg}, nil
		}
		if le.t.oid == OIDBytea && re.t.oid == OIDBytea {
			return &expr{sql: "CAST(" + le.sql + " || " + re.sql + " AS BLOB)", t: tBytea, name: "?column?", agg: agg}, nil
		}
		if textForm[le.t.oid] && le.t == re.t {
			// Arrays kept in their text form ('{a,b}'): concatenation,
			// where an empty or NULL array adds nothing.
			l, r := le.sql, re.sql
			return &expr{sql: "(CASE WHEN " + l + " IS NULL OR " + l + " = '{}' THEN " + r + " WHEN " + r + " IS NULL OR " + r + " = '{}' THEN " + l +
				" ELSE substr(" + l + ", 1, length(" + l + ") - 1) || ',' || substr(" + r + ", 2) END)", t: le.t, name: "?column?", agg: agg}, nil
		}
		ls, rs := t.textSQL(le), t.textSQL(re)
		return &expr{sql: "(" + ls + " || " + rs + ")", t: tText, name: "?column?", agg: agg}, nil
	case "~", "!~", "~*", "!~*":
		if le, err = t.coerce(le, tText); err != nil {
			return nil, err
		}
		if re, err = t.coerce(re, tText); err != nil {
			return nil, err
		}
		ci := "0"
		if strings.HasSuffix(op, "*") {
			ci = "1"
		}
		sql := "pg_regexp(" + le.sql + ", " + re.sql + ", " + ci + ")"
		if strings.HasPrefix(op, "!") {
			sql = "(NOT " + sql + ")"
		}
		return &expr{sql: sql, t: tBool, name: "?column?", agg: agg}, nil
	case "~~", "!~~", "~~*", "!~~*":
		if le, re, err = t.unify(le, re); err != nil {
			return nil, err
		}
		ci := "0"
		if strings.HasSuffix(op, "*") {
			ci = "1"
		}
		sql := "pg_like(" + le.sql + ", " + re.sql + ", " + ci + ")"
		if strings.HasPrefix(op, "!") {
			sql = "(NOT " + sql + ")"
		}
		return &expr{sql: sql, t: tBool, name: "?column?", agg: agg}, nil
	case "->", "->>":
		if le.t.oid == 0 {
			if le, err = t.coerce(le, tJSONB); err != nil {
				return nil, err
			}
		}
		if le.t.oid != OIDJSON && le.t.oid != OIDJSONB {
			return nil, t.errAt(a.Location, pgerr.UndefinedFunction, "operator does not exist: %s %s %s", typname(le.t.oid), op, typname(re.t.oid))
		}
		if re.t.oid == 0 {
			if re, err = t.coerce(re, tText); err != nil {
				return nil, err
			}
		}
		if !isTextType(re.t.oid) && !isIntType(re.t.oid) {
			return nil, unsupported("operator %s with a %s key is not supported", op, typname(re.t.oid))
		}
		key := re.sql
		if isTextType(re.t.oid) {
			// SQLite reads a text key as a path when it starts with $.
			key = "('$.\"' || replace(" + re.sql + ", '\"', '\\\"') || '\"')"
		}
		if op == "->" {
			return &expr{sql: "pg_cast(" + le.sql + " -> " + key + ", 0, " + strconv.Itoa(int(le.t.oid)) + ", -1, 1)", t: pgType{le.t.oid, -1}, name: "?column?", agg: agg}, nil
		}
		return &expr{sql: "pg_cast(" + le.sql + " ->> " + key + ", 0, 25, -1, 1)", t: tText, name: "?column?", agg: agg}, nil
	case "&", "|", "<<", ">>":
		if le, re, err = t.unify(le, re); err != nil {
			return nil, err
		}
		if !isIntType(le.t.oid) || !isIntType(re.t.oid) {
			return nil, unsupported("operator %s is not supported for these types", op)
		}
		return &expr{sql: "(" + le.sql + " " + op + " " + re.sql + ")", t: promote(le.t, re.t), name: "?column?", agg: agg}, nil
	case "#":
		// Bitwise exclusive or.
		if le, re, err = t.unify(le, re); err != nil {
			return nil, err
		}
		if !isIntType(le.t.oid) || !isIntType(re.t.oid) {
			return nil, unsupported("operator %s is not supported for these types", op)
		}
		return &expr{sql: "((" + le.sql + " | " + re.sql + ") - (" + le.sql + " & " + re.sql + "))", t: promote(le.t, re.t), name: "?column?", agg: agg}, nil
	case "^":
		// Exponentiation: numeric ^ numeric is numeric; anything else
		// resolves to double precision ^ double precision.
		rt := tFloat8
		if le.t.oid == OIDNumeric || re.t.oid == OIDNumeric {
			rt = tNumeric
		}
		if le, err = t.coerce(le, rt); err != nil {
			return nil, err
		}
		if re, err = t.coerce(re, rt); err != nil {
			return nil, err
		}
		return &expr{sql: "power(" + le.sql + ", " + re.sql + ")", t: rt, name: "?column?", agg: agg}, nil
	}
	return nil, unsupported("operator %s is not supported", op)
}

func isDateTime(oid uint32) bool {
	return oid == OIDDate || oid == OIDTimestamp || oid == OIDTimestamptz || oid == OIDInterval || oid == OIDTime
}

// textSQL renders e as PostgreSQL's text form where SQLite's differs
// (booleans, bytea).
func (t *translator) textSQL(e *expr) string {
	switch e.t.oid {
	case OIDBool, OIDBytea, OIDFloat4, OIDFloat8:
		return "pg_cast(" + e.sql + ", " + strconv.Itoa(int(e.t.oid)) + ", 25, -1, 1)"
	case OIDBpchar:
		return unpad(e.sql)
	}
	return e.sql
}

// condition checks the type of a WHERE or HAVING clause: PostgreSQL
// requires boolean (an untyped literal is read as one), where SQLite
// would take any value's truth.
func (t *translator) condition(e *expr, clause string) (*expr, error) {
	if e.t.oid != 0 && e.t.oid != OIDBool && !t.catalog {
		return nil, pgerr.New(pgerr.DatatypeMismatch, "argument of %s must be type boolean, not type %s", clause, typeDisplayName(e.t.oid))
	}
	return t.coerce(e, tBool)
}

// typeDisplayName is format_type's name of a type without modifier.
func typeDisplayName(oid uint32) string {
	if ti, ok := typesByOID[oid]; ok {
		return declaredType(pgType{ti.oid, -1})
	}
	return typname(oid)
}

// unpad drops char(n)'s padding: PostgreSQL ignores trailing blanks of
// character values in comparisons, length() and casts to text.
func unpad(sql string) string { return "rtrim(" + sql + ", ' ')" }

func (t *translator) variadic(name, fn string, args []*pg_query.Node, sc *scope) (*expr, error) {
	var es []*expr
	var typ pgType
	agg := false
	for _, a := range args {
		e, err := t.expr(a, sc)
		if err != nil {
			return nil, err
		}
		if typ.oid == 0 && e.t.oid != 0 {
			typ = e.t
		} else if e.t.oid != 0 && isNumericType(e.t.oid) && isNumericType(typ.oid) {
			typ = promote(typ, e.t)
		}
		es = append(es, e)
		agg = agg || e.agg
	}
	if typ.oid == 0 {
		typ = tText
	}
	parts := make([]string, len(es))
	for i, e := range es {
		c, err := t.coerce(e, typ)
		if err != nil {
			return nil, err
		}
		parts[i] = c.sql
	}
	sql := fn + "(" + strings.Join(parts, ", ") + ")"
	if fn == "coalesce" && len(parts) == 1 {
		sql = parts[0]
	}
	return &expr{sql: sql, t: pgType{typ.oid, -1}, name: name, strength: 2, agg: agg}, nil
}

func (t *translator) caseExpr(c *pg_query.CaseExpr, sc *scope) (*expr, error) {
	var b strings.Builder
	b.WriteString("CASE")
	agg := false
	var arg *expr
	if c.Arg != nil {
		e, err := t.expr(c.Arg, sc)
		if err != nil {
			return nil, err
		}
		arg = e
		agg = e.agg
	}
	type when struct{ cond, res *expr }
	var whens []when
	var typ pgType
	for _, w := range c.Args {
		cw := w.GetCaseWhen()
		cond, err := t.expr(cw.Expr, sc)
		if err != nil {
			return nil, err
		}
		if arg != nil {
			if _, cond, err = t.unify(arg, cond); err != nil {
				return nil, err
			}
		} else if cond, err = t.coerce(cond, tBool); err != nil {
			return nil, err
		}
		res, err := t.expr(cw.Result, sc)
		if err != nil {
			return nil, err
		}
		if typ.oid == 0 && res.t.oid != 0 {
			typ = res.t
		} else if res.t.oid != 0 && isNumericType(res.t.oid) && isNumericType(typ.oid) {
			typ = promote(typ, res.t)
		}
		whens = append(whens, when{cond, res})
		agg = agg || cond.agg || res.agg
	}
	var def *expr
	if c.Defresult != nil {
		e, err := t.expr(c.Defresult, sc)
		if err != nil {
			return nil, err
		}
		if typ.oid == 0 && e.t.oid != 0 {
			typ = e.t
		}
		def = e
		agg = agg || e.agg
	}
	if typ.oid == 0 {
		typ = tText
	}
	if arg != nil {
		b.WriteString(" " + arg.sql)
	}
	for _, w := range whens {
		res, err := t.coerce(w.res, typ)
		if err != nil {
			return nil, err
		}
		b.WriteString(" WHEN " + w.cond.sql + " THEN " + res.sql)
	}
	if def != nil {
		res, err := t.coerce(def, typ)
		if err != nil {
			return nil, err
		}
		b.WriteString(" ELSE " + res.sql)
	}
	b.WriteString(" END")
	return &expr{sql: b.String(), t: pgType{typ.oid, -1}, name: "case", strength: 1, agg: agg}, nil
}

func (t *translator) subLink(s *pg_query.SubLink, sc *scope) (*expr, error) {
	sel := s.Subselect.GetSelectStmt()
	if sel == nil {
		return nil, unsupported("subquery is not supported")
	}
	q, err := t.selectStmt(sel, sc, nil)
	if err != nil {
		return nil, err
	}
	switch s.SubLinkType {
	case pg_query.SubLinkType_EXISTS_SUBLINK:
		return &expr{sql: "EXISTS (" + q.sql + ")", t: tBool, name: "exists", strength: 2}, nil
	case pg_query.SubLinkType_EXPR_SUBLINK:
		if len(q.cols) != 1 {
			return nil, pgerr.New(pgerr.SyntaxError, "subquery must return only one column")
		}
		c := q.cols[0]
		return &expr{sql: "(" + q.sql + ")", t: c.t, name: c.name, strength: c.strength}, nil
	case pg_query.SubLinkType_ANY_SUBLINK, pg_query.SubLinkType_ALL_SUBLINK:
		op := "="
		if len(s.OperName) > 0 {
			op = strNode(s.OperName[len(s.OperName)-1])
		}
		le, err := t.expr(s.Testexpr, sc)
		if err != nil {
			return nil, err
		}
		if len(q.cols) == 1 {
			if le, err = t.coerce(le, q.cols[0].t); err != nil {
				return nil, err
			}
		}
		switch {
		case s.SubLinkType == pg_query.SubLinkType_ANY_SUBLINK && op == "=":
			return &expr{sql: "(" + le.sql + " IN (" + q.sql + "))", t: tBool, name: "?column?", agg: le.agg}, nil
		case s.SubLinkType == pg_query.SubLinkType_ALL_SUBLINK && (op == "<>" || op == "!="):
			return &expr{sql: "(" + le.sql + " NOT IN (" + q.sql + "))", t: tBool, name: "?column?", agg: le.agg}, nil
		}
		return nil, unsupported("%s with a subquery and operator %s is not supported", map[bool]string{true: "ANY", false: "ALL"}[s.SubLinkType == pg_query.SubLinkType_ANY_SUBLINK], op)
	case pg_query.SubLinkType_ARRAY_SUBLINK:
		fn, _, ok := t.catalogFn("pg_array_elem", 1)
		if !ok || len(q.cols) != 1 {
			return nil, unsupported("ARRAY(subquery) is not supported")
		}
		c := q.cols[0]
		at := arrayOIDs[c.t.oid]
		if at == 0 {
			at = 1009
		}
		return &expr{sql: "(SELECT '{' || coalesce(group_concat(" + fn + "(" + quoteIdent(c.name) + "), ','), '') || '}' FROM (" + q.sql + "))",
			t: pgType{at, -1}, name: "array", strength: 2}, nil
	}
	return nil, unsupported("subquery type is not supported")
}

func (t *translator) sqlValueFunction(f *pg_query.SQLValueFunction) (*expr, error) {
	switch f.Op {
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
		s, err := t.extra(ValueTxnTimestamp)
		if err != nil {
			return nil, err
		}
		return &expr{sql: s, t: tTimestamptz, name: "current_timestamp", strength: 2}, nil
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		s, err := t.extra(ValueTxnTimestamp)
		if err != nil {
			return nil, err
		}
		return &expr{sql: "pg_cast(" + s + ", 1184, 1114, -1, 1)", t: tTimestamp, name: "localtimestamp", strength: 2}, nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		s, err := t.extra(ValueTxnTimestamp)
		if err != nil {
			return nil, err
		}
		return &expr{sql: "substr(" + s + ", 1, 10)", t: tDate, name: "current_date", strength: 2}, nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER, pg_query.SQLValueFunctionOp_SVFOP_USER,
		pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE, pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER:
		s, err := t.extra(ValueCurrentUser)
		if err != nil {
			return nil, err
		}
		name := map[pg_query.SQLValueFunctionOp]string{
			pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER: "current_user",
			pg_query.SQLValueFunctionOp_SVFOP_USER:         "current_user",
			pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE: "current_role",
			pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER: "session_user",
		}[f.Op]
		return &expr{sql: s, t: tName, name: name, strength: 2}, nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
		s, err := t.extra(ValueDatabase)
		if err != nil {
			return nil, err
		}
		return &expr{sql: s, t: tName, name: "current_catalog", strength: 2}, nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
		return &expr{sql: "'public'", t: tName, name: "current_schema", strength: 2}, nil
	}
	return nil, unsupported("time without date (CURRENT_TIME, LOCALTIME) is not supported")
}

// colSQL renders a reference to column name of r.
func (r *rel) colSQL(name string) string {
	if e, ok := r.colExpr[name]; ok {
		return e
	}
	switch {
	case r.sqlQual == "-" || (r.sqlQual == "" && r.name == ""):
		return quoteIdent(name)
	case r.sqlQual != "":
		return r.sqlQual + "." + quoteIdent(name)
	}
	return quoteIdent(r.name) + "." + quoteIdent(name)
}

// paramSQL references $n. Parameters of types with a normalized stored
// form (timestamps, dates, booleans, bytea, uuid) go through pg_cast, so
// whatever text form the client sent ('2024-01-02T03:04:05Z', 'TRUE',
// '\\x0102', upper-case uuids) compares and stores like the stored values.
func paramSQL(n int, oid uint32) string {
	s := "?" + strconv.Itoa(n)
	switch oid {
	case OIDBool, OIDBytea, OIDDate, OIDTimestamp, OIDTimestamptz, OIDUUID, OIDJSON, OIDJSONB:
		return "pg_cast(" + s + ", 0, " + strconv.Itoa(int(oid)) + ", -1, 1)"
	}
	return s
}

// intervalConst makes an interval constant of an untyped literal;
// intervals are supported as constants only.
func (t *translator) intervalConst(e *expr) (*expr, error) {
	if e.ivl != nil {
		return e, nil
	}
	if e.null {
		return &expr{sql: "NULL", t: tInterval, null: true}, nil
	}
	if !e.unknown || e.t.oid != 0 {
		return nil, unsupported("interval values other than constants are not supported")
	}
	iv, err := parseInterval(e.lit)
	if err != nil {
		return nil, err
	}
	return &expr{sql: quoteString(iv.String()), t: tInterval, ivl: &iv, name: "interval", strength: 1}, nil
}

// dateArith translates + and - where a date/time operand is involved.
func (t *translator) dateArith(op string, le, re *expr, loc int32) (*expr, error) {
	var err error
	agg := le.agg || re.agg
	// An untyped literal next to a timestamp is an interval (for + and
	// -), next to an interval a timestamp.
	if isDateTime(le.t.oid) && le.t.oid != OIDInterval && re.t.oid == 0 {
		if re.unknown && !re.null {
			if re, err = t.intervalConst(re); err != nil {
				if op == "-" {
					// ts - 'ts literal' would be an interval result.
					return nil, unsupported("subtracting timestamps (an interval result) is not supported")
				}
				return nil, err
			}
		} else if le.t.oid == OIDDate {
			if re, err = t.coerce(re, tInt4); err != nil {
				return nil, err
			}
		} else {
			return nil, unsupported("interval parameters are not supported")
		}
	}
	if le.t.oid == 0 && re.t.oid == OIDInterval {
		if le, err = t.coerce(le, tTimestamptz); err != nil {
			return nil, err
		}
	}
	ts, iv, sign := le, re, int64(1)
	if le.t.oid == OIDInterval && op == "+" {
		ts, iv = re, le
	}
	if op == "-" {
		sign = -1
	}
	switch {
	case iv.t.oid == OIDInterval && iv.ivl != nil && (ts.t.oid == OIDTimestamptz || ts.t.oid == OIDTimestamp || ts.t.oid == OIDDate) && !(op == "-" && ts == re):
		rt := ts.t
		src := ts.t.oid
		if src == OIDDate {
			rt = tTimestamp
		}
		sql := "pg_ts_add(" + ts.sql + ", " + strconv.FormatInt(sign*iv.ivl.months, 10) + ", " + strconv.FormatInt(sign*iv.ivl.days, 10) + ", " +
			strconv.FormatInt(sign*iv.ivl.micros, 10) + ", " + strconv.Itoa(int(rt.oid)) + ")"
		return &expr{sql: sql, t: pgType{rt.oid, -1}, name: "?column?", agg: agg}, nil
	case le.t.oid == OIDDate && isIntType(re.t.oid):
		r := re.sql
		if op == "-" {
			r = "-(" + r + ")"
		}
		return &expr{sql: "pg_date_add(" + le.sql + ", " + r + ")", t: tDate, name: "?column?", agg: agg}, nil
	case op == "+" && isIntType(le.t.oid) && re.t.oid == OIDDate:
		return &expr{sql: "pg_date_add(" + re.sql + ", " + le.sql + ")", t: tDate, name: "?column?", agg: agg}, nil
	case op == "-" && le.t.oid == OIDDate && (re.t.oid == OIDDate || re.unknown):
		if re, err = t.coerce(re, tDate); err != nil {
			return nil, err
		}
		return &expr{sql: "pg_date_diff(" + le.sql + ", " + re.sql + ")", t: tInt4, name: "?column?", agg: agg}, nil
	}
	if le.t.oid == OIDInterval || re.t.oid == OIDInterval || (isDateTime(le.t.oid) && isDateTime(re.t.oid)) {
		return nil, unsupported("this date/time arithmetic (an interval result or operand) is not supported")
	}
	return nil, t.errAt(loc, pgerr.UndefinedFunction, "operator does not exist: %s %s %s", typname(le.t.oid), op, typname(re.t.oid))
}

// catalogFn looks a function up in the catalog emulation, if any.
func (t *translator) catalogFn(name string, nargs int) (string, uint32, bool) {
	if cf, ok := t.schema.(CatalogFunctions); ok {
		fn, res, ok := cf.CatalogFunction(name, nargs)
		t.catalog = t.catalog || ok
		return fn, res, ok
	}
	return "", 0, false
}

var regTypes = map[string]uint32{"regclass": OIDRegclass, "regtype": 2206, "regnamespace": 4089, "regrole": 4096, "regproc": 24}

// regCast translates casts to the reg* types through the catalog's
// functions: 'name'::regclass is pg_regclass_in('name') (a digits literal
// is the oid itself), an expression cast prints as pg_regclass_out(x).
func (t *translator) regCast(tc *pg_query.TypeCast, sc *scope) (*expr, bool, error) {
	names := nameList(tc.TypeName.Names)
	tn := names[len(names)-1]
	oid, ok := regTypes[tn]
	if !ok || len(tc.TypeName.ArrayBounds) > 0 {
		return nil, false, nil
	}
	if _, ok := t.schema.(CatalogFunctions); !ok {
		return nil, false, nil
	}
	e, err := t.expr(tc.Arg, sc)
	if err != nil {
		return nil, true, err
	}
	if e.unknown && !e.null {
		if _, err := strconv.ParseUint(strings.TrimSpace(e.lit), 10, 32); err == nil {
			return &expr{sql: strings.TrimSpace(e.lit), t: pgType{oid, -1}, name: tn, strength: 1}, true, nil
		}
		fn, _, ok := t.catalogFn("pg_"+tn+"_in", 1)
		if !ok {
			return nil, true, unsupported("type %s is not supported", tn)
		}
		return &expr{sql: fn + "(" + e.sql + ")", t: pgType{oid, -1}, name: tn, strength: 1}, true, nil
	}
	if e.t.oid == oid {
		return e, true, nil
	}
	fn, _, ok := t.catalogFn("pg_"+tn+"_out", 1)
	if !ok {
		return nil, true, unsupported("type %s is not supported", tn)
	}
	name, strength := e.name, e.strength
	if strength <= 1 {
		name, strength = tn, 1
	}
	return &expr{sql: fn + "(" + e.sql + ")", t: pgType{oid, -1}, name: name, strength: strength, agg: e.agg}, true, nil
}

// arrayOIDs maps element types to their array types.
var arrayOIDs = map[uint32]uint32{OIDBool: 1000, OIDBytea: 1001, OIDName: 1003, OIDInt2: 1005, OIDInt4: 1007,
	OIDText: 1009, OIDBpchar: 1014, OIDVarchar: 1015, OIDInt8: 1016, OIDFloat4: 1021, OIDFloat8: 1022, OIDOID: 1028,
	OIDNumeric: 1231, OIDTimestamptz: 1185, OIDDate: 1182, OIDTimestamp: 1115, OIDUUID: 2951, OIDJSONB: 3807}
