package pgsql

import (
	"strconv"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// Result-type rules for functions.
const (
	resText    = iota // text
	resArg0           // type of the first argument
	resInt4           // int4
	resInt8           // int8
	resFloat8         // float8
	resNumeric        // numeric
	resBool           // bool
	resSumType        // sum(): int8 for int2/int4, numeric for int8/numeric, float8 for floats
	resAvgType        // avg(): numeric, float8 for floats
	resNumArg0        // numeric for ints, else arg type (round, trunc)
	resBytea          // bytea
	resDate           // date
	resStats          // stddev(), variance(): float8 for floats, else numeric
)

type funcDef struct {
	sqlite  string // SQLite function name
	minArgs int
	maxArgs int // -1: any
	result  int
	agg     bool
	argType pgType // type untyped arguments get; tUnknown: text
}

var funcDefs = map[string]funcDef{
	"count":              {"count", 0, 1, resInt8, true, tUnknown},
	"sum":                {"sum", 1, 1, resSumType, true, tNumeric},
	"avg":                {"avg", 1, 1, resAvgType, true, tNumeric},
	"min":                {"min", 1, 1, resArg0, true, tUnknown},
	"max":                {"max", 1, 1, resArg0, true, tUnknown},
	"string_agg":         {"string_agg", 2, 2, resText, true, tText},
	"stddev":             {"pg_stddev_samp", 1, 1, resStats, true, tNumeric},
	"stddev_samp":        {"pg_stddev_samp", 1, 1, resStats, true, tNumeric},
	"stddev_pop":         {"pg_stddev_pop", 1, 1, resStats, true, tNumeric},
	"variance":           {"pg_var_samp", 1, 1, resStats, true, tNumeric},
	"var_samp":           {"pg_var_samp", 1, 1, resStats, true, tNumeric},
	"var_pop":            {"pg_var_pop", 1, 1, resStats, true, tNumeric},
	"bool_and":           {"min", 1, 1, resBool, true, tBool},
	"bool_or":            {"max", 1, 1, resBool, true, tBool},
	"every":              {"min", 1, 1, resBool, true, tBool},
	"length":             {"length", 1, 1, resInt4, false, tText},
	"char_length":        {"length", 1, 1, resInt4, false, tText},
	"character_length":   {"length", 1, 1, resInt4, false, tText},
	"octet_length":       {"pg_octet_length", 1, 1, resInt4, false, tText},
	"lower":              {"lower", 1, 1, resText, false, tText},
	"upper":              {"upper", 1, 1, resText, false, tText},
	"substr":             {"substr", 2, 3, resText, false, tText},
	"substring":          {"substr", 2, 3, resText, false, tText},
	"replace":            {"replace", 3, 3, resText, false, tText},
	"btrim":              {"trim", 1, 2, resText, false, tText},
	"ltrim":              {"ltrim", 1, 2, resText, false, tText},
	"rtrim":              {"rtrim", 1, 2, resText, false, tText},
	"strpos":             {"instr", 2, 2, resInt4, false, tText},
	"position":           {"instr", 2, 2, resInt4, false, tText},
	"concat":             {"concat", 1, -1, resText, false, tText},
	"concat_ws":          {"concat_ws", 2, -1, resText, false, tText},
	"left":               {"pg_left", 2, 2, resText, false, tText},
	"right":              {"pg_right", 2, 2, resText, false, tText},
	"repeat":             {"pg_repeat", 2, 2, resText, false, tText},
	"lpad":               {"pg_lpad", 2, 3, resText, false, tText},
	"rpad":               {"pg_rpad", 2, 3, resText, false, tText},
	"md5":                {"pg_md5", 1, 1, resText, false, tText},
	"split_part":         {"pg_split_part", 3, 3, resText, false, tText},
	"initcap":            {"pg_initcap", 1, 1, resText, false, tText},
	"reverse":            {"pg_reverse", 1, 1, resText, false, tText},
	"starts_with":        {"pg_starts_with", 2, 2, resBool, false, tText},
	"translate":          {"pg_translate", 3, 3, resText, false, tText},
	"chr":                {"pg_chr", 1, 1, resText, false, tInt4},
	"ascii":              {"pg_ascii", 1, 1, resInt4, false, tText},
	"to_hex":             {"pg_to_hex", 1, 1, resText, false, tInt8},
	"encode":             {"pg_encode", 2, 2, resText, false, tText},
	"decode":             {"pg_decode", 2, 2, resBytea, false, tText},
	"regexp_replace":     {"pg_regexp_replace", 3, 4, resText, false, tText},
	"abs":                {"abs", 1, 1, resArg0, false, tNumeric},
	"round":              {"pg_round", 1, 2, resNumArg0, false, tNumeric},
	"trunc":              {"pg_trunc", 1, 2, resNumArg0, false, tNumeric},
	"ceil":               {"pg_ceil", 1, 1, resNumArg0, false, tNumeric},
	"ceiling":            {"pg_ceil", 1, 1, resNumArg0, false, tNumeric},
	"floor":              {"pg_floor", 1, 1, resNumArg0, false, tNumeric},
	"mod":                {"pg_mod", 2, 2, resArg0, false, tNumeric},
	"sqrt":               {"sqrt", 1, 1, resFloat8, false, tFloat8},
	"power":              {"power", 2, 2, resFloat8, false, tFloat8},
	"pow":                {"power", 2, 2, resFloat8, false, tFloat8},
	"exp":                {"exp", 1, 1, resFloat8, false, tFloat8},
	"ln":                 {"ln", 1, 1, resFloat8, false, tFloat8},
	"sign":               {"sign", 1, 1, resArg0, false, tNumeric},
	"div":                {"pg_div", 2, 2, resNumeric, false, tNumeric},
	"quote_literal":      {"pg_quote_literal", 1, 1, resText, false, tText},
	"quote_nullable":     {"pg_quote_nullable", 1, 1, resText, false, tText},
	"jsonb_typeof":       {"pg_json_typeof", 1, 1, resText, false, tJSONB},
	"json_typeof":        {"pg_json_typeof", 1, 1, resText, false, tJSON},
	"jsonb_array_length": {"pg_json_array_length", 1, 1, resInt4, false, tJSONB},
	"json_array_length":  {"pg_json_array_length", 1, 1, resInt4, false, tJSON},
	"make_date":          {"pg_make_date", 3, 3, resDate, false, tInt4},
	"row_number":         {"row_number", 0, 0, resInt8, false, tUnknown},
	"rank":               {"rank", 0, 0, resInt8, false, tUnknown},
	"dense_rank":         {"dense_rank", 0, 0, resInt8, false, tUnknown},
	"ntile":              {"ntile", 1, 1, resInt4, false, tInt4},
	"lag":                {"lag", 1, 3, resArg0, false, tUnknown},
	"lead":               {"lead", 1, 3, resArg0, false, tUnknown},
	"first_value":        {"first_value", 1, 1, resArg0, false, tUnknown},
	"last_value":         {"last_value", 1, 1, resArg0, false, tUnknown},
}

// ownFunctions are implemented by the translator (session values,
// sequences, random, date parts) and never taken from the catalog.
var ownFunctions = map[string]bool{"now": true, "transaction_timestamp": true, "statement_timestamp": true,
	"clock_timestamp": true, "current_database": true, "pg_backend_pid": true, "current_schema": true, "version": true,
	"current_user": true, "session_user": true, "random": true, "gen_random_uuid": true, "uuid_generate_v4": true,
	"nextval": true, "currval": true, "setval": true, "lastval": true, "pg_typeof": true, "generate_series": true,
	"date_trunc": true, "date_part": true, "extract": true, "current_setting": true, "set_config": true,
	"format": true, "string_to_array": true, "json_build_object": true, "json_build_array": true}

var windowOnly = map[string]bool{"row_number": true, "rank": true, "dense_rank": true, "ntile": true,
	"lag": true, "lead": true, "first_value": true, "last_value": true}

func (t *translator) funcCall(f *pg_query.FuncCall, sc *scope) (*expr, error) {
	names := nameList(f.Funcname)
	name := names[len(names)-1]
	if len(names) > 1 && names[0] != "pg_catalog" && names[0] != "public" {
		return nil, t.errAt(f.Location, pgerr.UndefinedFunction, "function %s does not exist", strings.Join(names, "."))
	}
	if f.AggWithinGroup {
		return nil, unsupported("WITHIN GROUP is not supported")
	}
	if f.FuncVariadic {
		return nil, unsupported("VARIADIC is not supported")
	}
	// The catalog's functions (pg_get_userbyid, array_to_string, …),
	// unless the translator implements the name itself.
	if cf, ok := t.schema.(CatalogFunctions); ok && !ownFunctions[name] && funcDefs[name].sqlite == "" {
		if fn, res, ok := cf.CatalogFunction(name, len(f.Args)); ok {
			t.catalog = true
			args, agg, err := t.resolvedArgs(f.Args, sc)
			if err != nil {
				return nil, err
			}
			parts := make([]string, len(args))
			for i, e := range args {
				parts[i] = e.sql
			}
			return &expr{sql: fn + "(" + strings.Join(parts, ", ") + ")", t: pgType{res, -1}, name: name, strength: 2, agg: agg}, nil
		}
	}
	// Session values and constants.
	switch name {
	case "now", "transaction_timestamp", "statement_timestamp", "clock_timestamp":
		if len(f.Args) != 0 {
			break
		}
		v := map[string]SessionValue{"now": ValueTxnTimestamp, "transaction_timestamp": ValueTxnTimestamp,
			"statement_timestamp": ValueStatementTimestamp, "clock_timestamp": ValueClockTimestamp}[name]
		s, err := t.extra(v)
		if err != nil {
			if t.ddl && v == ValueTxnTimestamp {
				return &expr{sql: "pg_now()", t: tTimestamptz, name: name, strength: 2}, nil
			}
			return nil, err
		}
		return &expr{sql: s, t: tTimestamptz, name: name, strength: 2}, nil
	case "current_database":
		s, err := t.extra(ValueDatabase)
		if err != nil {
			return nil, err
		}
		return &expr{sql: s, t: tName, name: name, strength: 2}, nil
	case "pg_backend_pid":
		s, err := t.extra(ValueBackendPID)
		if err != nil {
			return nil, err
		}
		return &expr{sql: s, t: tInt4, name: name, strength: 2}, nil
	case "replisql_last_commit_lsn":
		if len(f.Args) != 0 {
			break
		}
		s, err := t.extra(ValueLastCommitLSN)
		if err != nil {
			return nil, err
		}
		return &expr{sql: s, t: pgType{3220, -1}, name: name, strength: 2}, nil
	case "current_setting":
		return t.currentSetting(f, sc)
	case "format":
		return t.formatCall(f, sc)
	case "string_to_array":
		return t.stringToArray(f, sc)
	case "json_build_object", "json_build_array":
		return t.jsonBuild(name, f, sc)
	case "set_config":
		return nil, unsupported("set_config() is only supported as SELECT set_config(…) with constant arguments and nothing else in the statement")
	case "current_schema":
		return &expr{sql: "'public'", t: tName, name: name, strength: 2}, nil
	case "version":
		return &expr{sql: "pg_version()", t: tText, name: name, strength: 2}, nil
	case "current_user", "session_user":
		s, err := t.extra(ValueCurrentUser)
		if err != nil {
			return nil, err
		}
		return &expr{sql: s, t: tName, name: name, strength: 2}, nil
	case "random", "gen_random_uuid", "uuid_generate_v4":
		if len(f.Args) != 0 {
			break
		}
		if t.ddl {
			if name == "random" {
				return nil, unsupported("random() is not supported here")
			}
			return &expr{sql: "pg_gen_random_uuid()", t: tUUID, name: name, strength: 2}, nil
		}
		if !t.randomOK {
			return nil, unsupported("%s() is only supported in INSERT … VALUES, UPDATE … SET and SELECT without FROM", name)
		}
		fn, typ := "pg_uuid", tUUID
		if name == "random" {
			fn, typ = "pg_random", tFloat8
		}
		sql, err := t.randomSQL(fn, t.randomRow)
		if err != nil {
			return nil, err
		}
		return &expr{sql: sql, t: typ, name: name, strength: 2}, nil
	case "setseed":
		return nil, unsupported("setseed() is not supported")
	case "nextval", "currval", "setval", "lastval":
		return t.sequenceCall(name, f, sc)
	case "pg_typeof":
		if len(f.Args) == 1 {
			e, err := t.expr(f.Args[0], sc)
			if err != nil {
				return nil, err
			}
			e = t.resolveUnknown(e)
			sql := quoteString(declaredType(pgType{e.t.oid, -1}))
			if e.agg {
				// Keep the aggregate, so that the query still aggregates.
				sql = "(CASE WHEN (" + e.sql + ") IS NULL THEN " + sql + " ELSE " + sql + " END)"
			}
			return &expr{sql: sql, t: tRegtype, name: name, strength: 2, agg: e.agg}, nil
		}
	case "generate_series":
		return nil, unsupported("generate_series in the select list is not supported; use it in FROM")
	case "array_agg", "json_agg", "json_object_agg", "jsonb_object_agg", "unnest",
		"array_length", "array_upper", "array_lower", "array_position", "array_to_string", "cardinality":
		return nil, unsupported("%s is not supported: arrays are not supported", name)
	case "date_trunc", "date_part", "extract":
		return t.datePart(name, f, sc)
	case "jsonb_build_object", "jsonb_build_array", "jsonb_agg", "to_jsonb":
		return t.jsonbBuild(name, f, sc)
	case "to_char":
		if len(f.Args) == 2 {
			e, err := t.expr(f.Args[0], sc)
			if err != nil {
				return nil, err
			}
			switch e.t.oid {
			case OIDTimestamptz, OIDTimestamp, OIDDate:
				fe, err := t.expr(f.Args[1], sc)
				if err != nil {
					return nil, err
				}
				if fe, err = t.coerce(fe, tText); err != nil {
					return nil, err
				}
				return &expr{sql: "pg_to_char(" + e.sql + ", " + fe.sql + ", " + strconv.Itoa(int(e.t.oid)) + ")", t: tText, name: name, strength: 2, agg: e.agg || fe.agg}, nil
			}
		}
		return nil, unsupported("to_char of this type is not supported")
	case "to_timestamp", "to_date", "age",
		"make_timestamp", "make_interval", "justify_interval", "date_bin":
		return nil, unsupported("%s is not supported yet", name)
	}
	if strings.HasPrefix(name, "pg_") || strings.HasSuffix(name, "_description") || name == "format_type" ||
		name == "has_table_privilege" ||
		name == "current_schemas" {
		return nil, unsupported("function %s is not supported yet", name)
	}
	def, ok := funcDefs[name]
	if !ok {
		return nil, t.errAt(f.Location, pgerr.UndefinedFunction, "function %s does not exist", name)
	}
	if f.Over == nil && windowOnly[name] {
		return nil, t.errAt(f.Location, pgerr.SyntaxError, "window function %s requires an OVER clause", name)
	}
	var args []*expr
	agg := false
	if f.AggStar {
		if name != "count" {
			return nil, t.errAt(f.Location, pgerr.SyntaxError, "%s(*) specified, but %s is not an aggregate function", name, name)
		}
	} else {
		for _, a := range f.Args {
			e, err := t.expr(a, sc)
			if err != nil {
				return nil, err
			}
			args = append(args, e)
			agg = agg || e.agg
		}
	}
	if len(args) < def.minArgs || (def.maxArgs >= 0 && len(args) > def.maxArgs) || (name == "count" && !f.AggStar && len(args) != 1) {
		return nil, t.errAt(f.Location, pgerr.UndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	if def.agg && agg && f.Over == nil {
		return nil, t.errAt(f.Location, pgerr.GroupingError, "aggregate function calls cannot be nested")
	}
	parts := make([]string, len(args))
	for i, e := range args {
		at := def.argType
		if at.oid == 0 {
			at = tText
		}
		if i > 0 && (name == "substr" || name == "substring" || name == "left" || name == "right" || name == "repeat" ||
			name == "lpad" || name == "rpad" || name == "round" || name == "trunc" || name == "ntile" || name == "lag" || name == "lead") {
			if (name == "lpad" || name == "rpad") && i == 2 {
				at = tText
			} else if (name == "lag" || name == "lead") && i == 2 {
				at = args[0].t
			} else {
				at = tInt4
			}
		}
		if e.t.oid == 0 {
			c, err := t.coerce(e, at)
			if err != nil {
				return nil, err
			}
			args[i] = c
			e = c
		}
		parts[i] = e.sql
		if def.argType.oid == OIDText && (e.t.oid == OIDBool || e.t.oid == OIDBytea) && (name == "concat" || name == "concat_ws") {
			// concat() prints with the output function: booleans as t/f.
			parts[i] = t.outputSQL(e)
		}
		if def.argType.oid == OIDText && e.t.oid == OIDBpchar && name != "octet_length" {
			// Text functions see char(n) without its padding.
			parts[i] = unpad(e.sql)
		}
	}
	var rt pgType
	switch def.result {
	case resText:
		rt = tText
	case resInt4:
		rt = tInt4
	case resInt8:
		rt = tInt8
	case resFloat8:
		rt = tFloat8
	case resNumeric:
		rt = tNumeric
	case resBool:
		rt = tBool
	case resBytea:
		rt = tBytea
	case resDate:
		rt = tDate
	case resArg0:
		rt = pgType{args[0].t.oid, -1}
	case resNumArg0:
		rt = pgType{args[0].t.oid, -1}
		if isIntType(rt.oid) {
			rt = tNumeric
		}
	case resSumType:
		switch a := args[0].t.oid; {
		case a == OIDInt2 || a == OIDInt4:
			rt = tInt8
		case a == OIDFloat4 || a == OIDFloat8:
			rt = pgType{a, -1}
		case a == OIDNumeric || a == OIDInt8:
			rt = tNumeric
		default:
			return nil, t.errAt(f.Location, pgerr.UndefinedFunction, "function sum(%s) does not exist", typname(a))
		}
	case resStats:
		// The SQLite aggregate's second argument: -1 for float8
		// arithmetic, else numeric's least display scale (stats.go).
		scale := "-1"
		switch a := args[0].t; {
		case a.oid == OIDFloat4 || a.oid == OIDFloat8:
			rt = tFloat8
		case a.oid == OIDNumeric && a.mod >= 4:
			rt, scale = tNumeric, strconv.Itoa(int((a.mod-4)&0xffff))
		case isNumericType(a.oid):
			rt, scale = tNumeric, "0"
		default:
			return nil, t.errAt(f.Location, pgerr.UndefinedFunction, "function %s(%s) does not exist", name, typname(a.oid))
		}
		if f.AggDistinct {
			return nil, unsupported("%s(DISTINCT …) is not supported", name)
		}
		parts = append(parts, scale)
	case resAvgType:
		switch a := args[0].t.oid; {
		case a == OIDFloat4 || a == OIDFloat8:
			rt = tFloat8
		case isNumericType(a):
			rt = tNumeric
		default:
			return nil, t.errAt(f.Location, pgerr.UndefinedFunction, "function avg(%s) does not exist", typname(a))
		}
	}
	fn := def.sqlite
	switch {
	case name == "sign" && isIntType(args[0].t.oid):
		// sign(integer) resolves to sign(double precision).
		rt = tFloat8
	case name == "round" && (args[0].t.oid == OIDFloat8 || args[0].t.oid == OIDFloat4) && len(args) == 1:
		// round(double precision) is rint(): halves go to the even neighbour.
		fn = "pg_rint"
	case name == "to_hex" && (args[0].t.oid == OIDInt4 || args[0].t.oid == OIDInt2 || args[0].unknown):
		// to_hex(integer) prints the 32-bit two's complement.
		parts[0] = "(" + parts[0] + ") & 4294967295"
	case (name == "substr" || name == "substring") && args[0].t.oid == OIDBytea:
		rt = tBytea
	case name == "div" && !(isIntType(args[0].t.oid) && isIntType(args[1].t.oid)):
		// div(numeric, numeric) truncates the quotient.
		fn = "pg_trunc(pg_div"
		parts = append(parts, "1)")
	case name == "string_agg" && f.AggDistinct:
		// SQLite's DISTINCT aggregates take one argument.
		return nil, unsupported("string_agg(DISTINCT …) is not supported")
	}
	var b strings.Builder
	b.WriteString(fn + "(")
	if f.AggDistinct {
		b.WriteString("DISTINCT ")
	}
	if f.AggStar {
		b.WriteString("*")
	}
	b.WriteString(strings.Join(parts, ", "))
	if len(f.AggOrder) > 0 {
		ob, err := t.orderBy(f.AggOrder, sc, nil)
		if err != nil {
			return nil, err
		}
		b.WriteString(" ORDER BY " + ob)
	}
	b.WriteString(")")
	if f.AggFilter != nil {
		if !def.agg {
			return nil, t.errAt(f.Location, pgerr.SyntaxError, "FILTER specified, but %s is not an aggregate function", name)
		}
		fe, err := t.expr(f.AggFilter, sc)
		if err != nil {
			return nil, err
		}
		if fe, err = t.coerce(fe, tBool); err != nil {
			return nil, err
		}
		b.WriteString(" FILTER (WHERE " + fe.sql + ")")
	}
	sql := b.String()
	if name == "sum" && rt.oid == OIDNumeric {
		// SQLite's sum() raises on int64 overflow, which PostgreSQL's
		// numeric sum does not; total() would lose precision. Keep sum().
		_ = sql
	}
	if f.Over != nil {
		w, err := t.window(f.Over, sc)
		if err != nil {
			return nil, err
		}
		sql += " OVER " + w
		return &expr{sql: sql, t: rt, name: name, strength: 2, agg: agg}, nil
	}
	return &expr{sql: sql, t: rt, name: name, strength: 2, agg: def.agg || agg}, nil
}

// frameNonDefault is PostgreSQL's FRAMEOPTION_NONDEFAULT: a frame clause
// was given.
const frameNonDefault = 0x00001

func (t *translator) window(w *pg_query.WindowDef, sc *scope) (string, error) {
	if w.Name != "" || w.Refname != "" {
		return "", unsupported("named windows are not supported")
	}
	if w.FrameOptions&frameNonDefault != 0 {
		return "", unsupported("window frame clauses are not supported")
	}
	var parts []string
	if len(w.PartitionClause) > 0 {
		var ps []string
		for _, p := range w.PartitionClause {
			e, err := t.expr(p, sc)
			if err != nil {
				return "", err
			}
			ps = append(ps, e.sql)
		}
		parts = append(parts, "PARTITION BY "+strings.Join(ps, ", "))
	}
	if len(w.OrderClause) > 0 {
		ob, err := t.orderBy(w.OrderClause, sc, nil)
		if err != nil {
			return "", err
		}
		parts = append(parts, "ORDER BY "+ob)
	}
	return "(" + strings.Join(parts, " ") + ")", nil
}

var _ = strconv.Itoa

// datePart translates date_trunc(field, ts), date_part(field, ts) and
// extract(field FROM ts); the field must be a constant.
func (t *translator) datePart(name string, f *pg_query.FuncCall, sc *scope) (*expr, error) {
	if len(f.Args) != 2 {
		return nil, t.errAt(f.Location, pgerr.UndefinedFunction, "function %s with %d arguments does not exist", name, len(f.Args))
	}
	field := strings.ToLower(constString(f.Args[0]))
	if field == "" {
		return nil, unsupported("%s with a non-constant field is not supported", name)
	}
	e, err := t.expr(f.Args[1], sc)
	if err != nil {
		return nil, err
	}
	if e.t.oid == 0 {
		if e, err = t.coerce(e, tTimestamptz); err != nil {
			return nil, err
		}
	}
	switch e.t.oid {
	case OIDTimestamptz, OIDTimestamp, OIDDate:
	default:
		return nil, unsupported("%s of %s is not supported", name, typname(e.t.oid))
	}
	oid := strconv.Itoa(int(e.t.oid))
	switch name {
	case "date_trunc":
		if _, err := truncTime(field, time.Unix(0, 0).UTC()); err != nil {
			return nil, err
		}
		rt := e.t
		if rt.oid == OIDDate {
			rt = tTimestamptz
		}
		return &expr{sql: "pg_date_trunc(" + quoteString(field) + ", " + e.sql + ", " + oid + ")", t: pgType{rt.oid, -1}, name: name, strength: 2, agg: e.agg}, nil
	}
	if _, err := extractField(field, time.Unix(0, 0).UTC()); err != nil {
		return nil, err
	}
	rt := tNumeric
	if name == "date_part" {
		rt = tFloat8
	}
	return &expr{sql: "pg_extract(" + quoteString(field) + ", " + e.sql + ", " + oid + ")", t: rt, name: name, strength: 2, agg: e.agg}, nil
}

// jsonValueSQL renders e as a SQLite JSON value with PostgreSQL's
// to_jsonb mapping: booleans true/false, json values embedded, numbers as
// numbers, everything else as its text.
func (t *translator) jsonValueSQL(e *expr) string {
	switch {
	case e.t.oid == OIDBool:
		return "json(CASE WHEN " + e.sql + " IS NULL THEN 'null' WHEN " + e.sql + " THEN 'true' ELSE 'false' END)"
	case e.t.oid == OIDJSON || e.t.oid == OIDJSONB:
		return "json(" + e.sql + ")"
	case isNumericType(e.t.oid):
		return e.sql
	}
	return t.textSQL(e)
}

func (t *translator) jsonbBuild(name string, f *pg_query.FuncCall, sc *scope) (*expr, error) {
	args, agg, err := t.resolvedArgs(f.Args, sc)
	if err != nil {
		return nil, err
	}
	var parts []string
	for i, e := range args {
		if name == "jsonb_build_object" && i%2 == 0 {
			parts = append(parts, t.textSQL(e))
			continue
		}
		parts = append(parts, t.jsonValueSQL(e))
	}
	var sql string
	switch name {
	case "jsonb_build_object":
		if len(parts)%2 != 0 {
			return nil, t.errAt(f.Location, pgerr.InvalidParameterValue, "argument list must have even number of elements")
		}
		sql = "json_object(" + strings.Join(parts, ", ") + ")"
	case "jsonb_build_array":
		sql = "json_array(" + strings.Join(parts, ", ") + ")"
	case "to_jsonb":
		if len(parts) != 1 {
			return nil, t.errAt(f.Location, pgerr.UndefinedFunction, "function to_jsonb with %d arguments does not exist", len(parts))
		}
		sql = "json_quote(" + parts[0] + ")"
	case "jsonb_agg":
		if len(parts) != 1 || f.AggDistinct || f.AggFilter != nil || f.Over != nil {
			return nil, unsupported("this use of jsonb_agg is not supported")
		}
		if agg {
			return nil, t.errAt(f.Location, pgerr.GroupingError, "aggregate function calls cannot be nested")
		}
		ob := ""
		if len(f.AggOrder) > 0 {
			o, err := t.orderBy(f.AggOrder, sc, nil)
			if err != nil {
				return nil, err
			}
			ob = " ORDER BY " + o
		}
		// PostgreSQL's jsonb_agg of no rows is NULL, SQLite's '[]'.
		sql = "(CASE WHEN count(*) = 0 THEN NULL ELSE json_group_array(" + parts[0] + ob + ") END)"
		agg = true
	}
	return &expr{sql: "pg_cast(" + sql + ", 0, 3802, -1, 1)", t: tJSONB, name: name, strength: 2, agg: agg}, nil
}

// resolvedArgs translates a call's arguments, with literals of unknown
// type resolved (to text), and reports whether any is an aggregate.
func (t *translator) resolvedArgs(args []*pg_query.Node, sc *scope) ([]*expr, bool, error) {
	out := make([]*expr, len(args))
	agg := false
	for i, a := range args {
		e, err := t.expr(a, sc)
		if err != nil {
			return nil, false, err
		}
		out[i] = t.resolveUnknown(e)
		agg = agg || e.agg
	}
	return out, agg, nil
}
