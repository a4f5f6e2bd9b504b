package pgsql

import (
	"math/big"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// PostgreSQL keeps a CHECK constraint as an analyzed expression tree and
// prints it back with pg_get_constraintdef, which shows what the parser
// added: the implicit casts on an operator's or a function's arguments
// ('' compared with a text column is ''::text, 0 compared with a numeric
// one 0::numeric, a varchar column compared with anything is v::text), IN
// as = ANY (ARRAY[…]), BETWEEN as two comparisons. checkText reproduces
// that print (the pretty form psql asks for: only the parentheses
// precedence needs) from the raw parse tree and the columns' types, for
// the constructs CHECK constraints are made of. Anything else is printed
// by pg_query's deparser, as written.

// pgText is one printed sub-expression.
type pgText struct {
	s    string
	t    pgType // tUnknown for an untyped literal
	kind pgKind
	op   string  // pgOp: the operator; pgBool: AND, OR or NOT
	lit  *string // an untyped string literal's value
}

type pgKind int

const (
	pgSimple  pgKind = iota // a column, constant, function call or cast of one
	pgOp                    // a binary operator
	pgPrefix                // a prefix operator
	pgBool                  // AND, OR, NOT
	pgTest                  // IS [NOT] NULL, IS TRUE…, IS DISTINCT FROM
	pgArrayOp               // = ANY (…), <> ALL (…)
	pgOther                 // printed by pg_query: parenthesized wherever it is an operand
)

// checkText returns the text pg_get_constraintdef(oid, true) prints for
// CHECK (n) on a table with the columns of sc, without "CHECK (" and ")".
func (t *translator) checkText(n *pg_query.Node, sc *scope) string {
	e := t.pgExpr(n, sc)
	return e.s
}

// paren reports whether child, an operand of parent, needs parentheses
// (ruleutils.c's isSimpleNode under PRETTYFLAG_PAREN). left tells whether
// child is a binary operator's left operand.
func paren(child *pgText, parent pgKind, parentOp string, left bool) bool {
	switch child.kind {
	case pgSimple:
		return false
	case pgOp:
		if parent == pgOp {
			lo, hi := strings.Contains("+-", child.op), strings.Contains("*/%", child.op)
			plo, phi := strings.Contains("+-", parentOp), strings.Contains("*/%", parentOp)
			if len(child.op) != 1 || len(parentOp) != 1 || !(lo || hi) || !(plo || phi) {
				return true
			}
			if hi && plo {
				return false
			}
			if lo && phi {
				return true
			}
			return !left
		}
		return parent != pgBool && parent != pgSimple
	case pgPrefix, pgTest:
		return parent != pgBool && parent != pgSimple
	case pgArrayOp:
		return parent != pgSimple
	case pgBool:
		switch parent {
		case pgBool:
			return !(child.op == "AND" || child.op == "NOT") || parentOp == "NOT"
		case pgSimple:
			return false
		}
		return true
	}
	return true
}

// operand prints child as an operand of parent.
func operand(child *pgText, parent pgKind, parentOp string, left bool) string {
	if paren(child, parent, parentOp, left) {
		return "(" + child.s + ")"
	}
	return child.s
}

func (t *translator) pgExpr(n *pg_query.Node, sc *scope) *pgText {
	switch x := n.Node.(type) {
	case *pg_query.Node_ColumnRef:
		names := nameList(x.ColumnRef.Fields)
		if len(names) == 0 {
			break
		}
		e, err := t.expr(n, sc)
		if err != nil {
			break
		}
		return &pgText{s: pgQuoteIdent(names[len(names)-1]), t: e.t}
	case *pg_query.Node_AConst:
		return pgConst(x.AConst)
	case *pg_query.Node_TypeCast:
		typ, err := t.typeOf(x.TypeCast.TypeName)
		if err != nil {
			break
		}
		arg := t.pgExpr(x.TypeCast.Arg, sc)
		if arg.lit != nil {
			return constOf(*arg.lit, typ)
		}
		return castTo(arg, typ)
	case *pg_query.Node_BoolExpr:
		return t.pgBoolExpr(x.BoolExpr, sc)
	case *pg_query.Node_NullTest:
		arg := t.pgExpr(x.NullTest.Arg, sc)
		s := " IS NULL"
		if x.NullTest.Nulltesttype == pg_query.NullTestType_IS_NOT_NULL {
			s = " IS NOT NULL"
		}
		return &pgText{s: operand(arg, pgTest, "", true) + s, t: tBool, kind: pgTest}
	case *pg_query.Node_BooleanTest:
		arg := t.pgExpr(x.BooleanTest.Arg, sc)
		words := map[pg_query.BoolTestType]string{
			pg_query.BoolTestType_IS_TRUE: " IS TRUE", pg_query.BoolTestType_IS_NOT_TRUE: " IS NOT TRUE",
			pg_query.BoolTestType_IS_FALSE: " IS FALSE", pg_query.BoolTestType_IS_NOT_FALSE: " IS NOT FALSE",
			pg_query.BoolTestType_IS_UNKNOWN: " IS UNKNOWN", pg_query.BoolTestType_IS_NOT_UNKNOWN: " IS NOT UNKNOWN",
		}
		return &pgText{s: operand(coerceTo(arg, tBool), pgTest, "", true) + words[x.BooleanTest.Booltesttype], t: tBool, kind: pgTest}
	case *pg_query.Node_AExpr:
		if e := t.pgAExpr(x.AExpr, sc); e != nil {
			return e
		}
	case *pg_query.Node_FuncCall:
		if e := t.pgFuncCall(n, x.FuncCall, sc); e != nil {
			return e
		}
	case *pg_query.Node_CoalesceExpr:
		var args []string
		var typ pgType
		parts := make([]*pgText, len(x.CoalesceExpr.Args))
		for i, a := range x.CoalesceExpr.Args {
			parts[i] = t.pgExpr(a, sc)
			if typ.oid == 0 {
				typ = parts[i].t
			}
		}
		for _, p := range parts {
			args = append(args, coerceTo(p, typ).s)
		}
		return &pgText{s: "COALESCE(" + strings.Join(args, ", ") + ")", t: typ}
	}
	return t.pgRaw(n, sc)
}

// pgRaw prints n as pg_query deparses it.
func (t *translator) pgRaw(n *pg_query.Node, sc *scope) *pgText {
	s := "?"
	tree := &pg_query.ParseResult{Stmts: []*pg_query.RawStmt{{Stmt: &pg_query.Node{Node: &pg_query.Node_SelectStmt{
		SelectStmt: &pg_query.SelectStmt{TargetList: []*pg_query.Node{{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{Val: n}}}}},
	}}}}}
	if d, err := pg_query.Deparse(tree); err == nil {
		s = strings.TrimPrefix(d, "SELECT ")
	}
	typ := tUnknown
	if e, err := t.expr(n, sc); err == nil {
		typ = e.t
	}
	return &pgText{s: s, t: typ, kind: pgOther}
}

func pgConst(c *pg_query.A_Const) *pgText {
	if c.Isnull {
		return &pgText{s: "NULL", t: tUnknown}
	}
	switch v := c.Val.(type) {
	case *pg_query.A_Const_Ival:
		return intConst(int64(v.Ival.Ival))
	case *pg_query.A_Const_Fval:
		s := v.Fval.Fval
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			if i >= -1<<31 && i < 1<<31 {
				return intConst(i)
			}
			return &pgText{s: "'" + s + "'::bigint", t: tInt8}
		}
		return numericConst(s)
	case *pg_query.A_Const_Sval:
		s := v.Sval.Sval
		return &pgText{s: quoteString(s), t: tUnknown, lit: &s}
	case *pg_query.A_Const_Boolval:
		return &pgText{s: strconv.FormatBool(v.Boolval.Boolval), t: tBool}
	}
	return &pgText{s: "NULL", t: tUnknown}
}

func intConst(i int64) *pgText {
	s := strconv.FormatInt(i, 10)
	if i < 0 {
		return &pgText{s: "'" + s + "'::integer", t: tInt4}
	}
	return &pgText{s: s, t: tInt4}
}

// numericConst is a numeric literal as numeric_out prints it: bare when
// it has a fraction or exponent and no sign, else quoted with its type.
func numericConst(s string) *pgText {
	if strings.ContainsAny(s, "eE") {
		mant, exp, _ := strings.Cut(strings.ToLower(s), "e")
		scale := 0
		if _, frac, ok := strings.Cut(mant, "."); ok {
			scale = len(frac)
		}
		x, err := strconv.Atoi(exp)
		r, ok := new(big.Rat).SetString(s)
		if err == nil && ok {
			s = r.FloatString(max(0, scale-x))
		}
	}
	if s != "" && s[0] >= '0' && s[0] <= '9' && strings.ContainsAny(s, ".") {
		return &pgText{s: s, t: tNumeric}
	}
	return &pgText{s: "'" + s + "'::numeric", t: tNumeric}
}

// constOf prints an untyped literal read as type typ.
func constOf(v string, typ pgType) *pgText {
	switch typ.oid {
	case OIDInt4:
		if i, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32); err == nil {
			return intConst(i)
		}
	case OIDNumeric:
		if typ.mod < 0 {
			return numericConst(strings.TrimSpace(v))
		}
	case OIDBool:
		if b, err := toBool(v); err == nil {
			return &pgText{s: strconv.FormatBool(b == int64(1)), t: tBool}
		}
	}
	return &pgText{s: quoteString(v) + "::" + formatType(typ), t: typ}
}

// castTo prints e cast to typ, as an implicit cast shown on an operand
// or an explicit one.
func castTo(e *pgText, typ pgType) *pgText {
	if e.t == typ {
		return e
	}
	s := e.s
	if e.kind != pgSimple {
		s = "(" + s + ")"
	}
	return &pgText{s: s + "::" + formatType(typ), t: typ}
}

// coerceTo prints e as an operand of type typ: an untyped literal becomes
// a constant of typ, anything else of another type is shown cast (a
// type modifier alone makes no cast).
func coerceTo(e *pgText, typ pgType) *pgText {
	switch {
	case e.lit != nil:
		return constOf(*e.lit, typ)
	case e.t.oid == 0 || typ.oid == 0 || e.t.oid == typ.oid:
		return e
	}
	return castTo(e, typ)
}

// opTypes returns the input types of the operator PostgreSQL picks for
// l op r (the types its operands are coerced to), and its result type.
func opTypes(op string, l, r pgType) (lt, rt, res pgType) {
	strip := func(t pgType) pgType { return pgType{t.oid, -1} }
	if op == "||" {
		return tText, tText, tText
	}
	if strings.Contains(op, "~") {
		// LIKE and regular expressions: text (bpchar keeps its own).
		lt = tText
		if l.oid == OIDBpchar {
			lt = l
		}
		return lt, tText, tBool
	}
	switch {
	case l.oid == 0 && r.oid == 0:
		l, r = tText, tText
	case l.oid == 0:
		l = strip(r)
	case r.oid == 0:
		r = strip(l)
	}
	lt, rt = l, r
	cmp := strings.ContainsAny(op, "<>=")
	switch {
	case isTextType(l.oid) && isTextType(r.oid):
		if l.oid != r.oid || l.oid == OIDVarchar {
			lt, rt = tText, tText
		}
		if l.oid == OIDBpchar && r.oid == OIDBpchar {
			lt, rt = l, r
		}
	case isIntType(l.oid) && isIntType(r.oid):
		res = l
		if intRank(r.oid) > intRank(l.oid) {
			res = r
		}
	case isNumericType(l.oid) && isNumericType(r.oid):
		float := func(o uint32) bool { return o == OIDFloat4 || o == OIDFloat8 }
		switch {
		case float(l.oid) || float(r.oid):
			if !float(l.oid) {
				lt = tFloat8
			}
			if !float(r.oid) {
				rt = tFloat8
			}
			if lt.oid == OIDFloat4 && rt.oid == OIDFloat4 {
				res = tFloat4
			} else {
				res = tFloat8
			}
		default:
			if l.oid != OIDNumeric {
				lt = tNumeric
			}
			if r.oid != OIDNumeric {
				rt = tNumeric
			}
			res = tNumeric
		}
		lt, rt = strip(lt), strip(rt)
	}
	if l.oid != 0 && l.oid == r.oid && res.oid == 0 {
		res = strip(l)
	}
	if cmp {
		res = tBool
	}
	return lt, rt, res
}

func (t *translator) pgAExpr(a *pg_query.A_Expr, sc *scope) *pgText {
	op := ""
	if len(a.Name) > 0 {
		op = strNode(a.Name[len(a.Name)-1])
	}
	switch a.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP, pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
		if a.Lexpr == nil {
			r := t.pgExpr(a.Rexpr, sc)
			return &pgText{s: op + " " + operand(r, pgOp, "", false), t: r.t, kind: pgPrefix, op: op}
		}
		l, r := t.pgExpr(a.Lexpr, sc), t.pgExpr(a.Rexpr, sc)
		lt, rt, res := opTypes(op, l.t, r.t)
		return &pgText{s: operand(coerceTo(l, lt), pgOp, op, true) + " " + op + " " + operand(coerceTo(r, rt), pgOp, op, false),
			t: res, kind: pgOp, op: op}
	case pg_query.A_Expr_Kind_AEXPR_DISTINCT, pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		l, r := t.pgExpr(a.Lexpr, sc), t.pgExpr(a.Rexpr, sc)
		lt, rt, _ := opTypes("=", l.t, r.t)
		words := " IS DISTINCT FROM "
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT {
			words = " IS NOT DISTINCT FROM "
		}
		return &pgText{s: operand(coerceTo(l, lt), pgTest, "", true) + words + operand(coerceTo(r, rt), pgTest, "", false), t: tBool, kind: pgTest}
	case pg_query.A_Expr_Kind_AEXPR_IN:
		l := t.pgExpr(a.Lexpr, sc)
		elem := pgType{l.t.oid, -1}
		if elem.oid == 0 {
			elem = tText
		}
		var items []string
		for _, it := range a.Rexpr.GetList().GetItems() {
			items = append(items, coerceTo(t.pgExpr(it, sc), elem).s)
		}
		lt, rt, _ := opTypes("=", elem, elem)
		arr := "ARRAY[" + strings.Join(items, ", ") + "]"
		if rt != elem {
			arr += "::" + formatType(rt) + "[]"
		}
		quant := " = ANY ("
		if op == "<>" {
			quant = " <> ALL ("
		}
		return &pgText{s: operand(coerceTo(l, lt), pgArrayOp, "", true) + quant + arr + ")", t: tBool, kind: pgArrayOp}
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN:
		bounds := a.Rexpr.GetList().GetItems()
		if len(bounds) != 2 {
			return nil
		}
		lo := &pg_query.A_Expr{Kind: pg_query.A_Expr_Kind_AEXPR_OP, Name: []*pg_query.Node{pg_query.MakeStrNode(">=")}, Lexpr: a.Lexpr, Rexpr: bounds[0]}
		hi := &pg_query.A_Expr{Kind: pg_query.A_Expr_Kind_AEXPR_OP, Name: []*pg_query.Node{pg_query.MakeStrNode("<=")}, Lexpr: a.Lexpr, Rexpr: bounds[1]}
		join := " AND "
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN {
			lo.Name[0], hi.Name[0], join = pg_query.MakeStrNode("<"), pg_query.MakeStrNode(">"), " OR "
		}
		l, h := t.pgAExpr(lo, sc), t.pgAExpr(hi, sc)
		return &pgText{s: l.s + join + h.s, t: tBool, kind: pgBool, op: strings.TrimSpace(join)}
	}
	return nil
}

func (t *translator) pgBoolExpr(b *pg_query.BoolExpr, sc *scope) *pgText {
	switch b.Boolop {
	case pg_query.BoolExprType_NOT_EXPR:
		if len(b.Args) != 1 {
			break
		}
		arg := coerceTo(t.pgExpr(b.Args[0], sc), tBool)
		return &pgText{s: "NOT " + operand(arg, pgBool, "NOT", false), t: tBool, kind: pgBool, op: "NOT"}
	case pg_query.BoolExprType_AND_EXPR, pg_query.BoolExprType_OR_EXPR:
		op := "AND"
		if b.Boolop == pg_query.BoolExprType_OR_EXPR {
			op = "OR"
		}
		var parts []string
		for _, a := range b.Args {
			parts = append(parts, operand(coerceTo(t.pgExpr(a, sc), tBool), pgBool, op, false))
		}
		return &pgText{s: strings.Join(parts, " "+op+" "), t: tBool, kind: pgBool, op: op}
	}
	return &pgText{s: "?", t: tBool, kind: pgOther}
}

// pgFuncCall prints a plain function call. Character arguments are shown
// cast to text, as the functions CHECK constraints call take text (bpchar
// has its own length functions).
func (t *translator) pgFuncCall(n *pg_query.Node, f *pg_query.FuncCall, sc *scope) *pgText {
	if f.AggStar || f.AggDistinct || f.Over != nil || len(f.AggOrder) > 0 || f.AggFilter != nil || f.FuncVariadic {
		return nil
	}
	names := nameList(f.Funcname)
	name := names[len(names)-1]
	e, err := t.expr(n, sc)
	if err != nil {
		return nil
	}
	var args []string
	for _, a := range f.Args {
		p := t.pgExpr(a, sc)
		switch {
		case p.lit != nil, p.t.oid == OIDVarchar:
			p = coerceTo(p, tText)
		case p.t.oid == OIDBpchar && name != "length" && name != "char_length" && name != "character_length" && name != "octet_length":
			p = coerceTo(p, tText)
		}
		args = append(args, p.s)
	}
	return &pgText{s: pgQuoteIdent(name) + "(" + strings.Join(args, ", ") + ")", t: e.t}
}

// pgQuoteIdent quotes an identifier as PostgreSQL's quote_identifier
// does: unless it is lower-case letters, digits and underscores, not
// starting with a digit, and not a keyword other than an unreserved one.
func pgQuoteIdent(s string) string {
	safe := s != "" && (s[0] >= 'a' && s[0] <= 'z' || s[0] == '_')
	for i := 0; safe && i < len(s); i++ {
		c := s[i]
		safe = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	if safe {
		if r, err := pg_query.Scan(s); err == nil && len(r.Tokens) == 1 {
			k := r.Tokens[0].KeywordKind
			safe = k == pg_query.KeywordKind_NO_KEYWORD || k == pg_query.KeywordKind_UNRESERVED_KEYWORD
		}
	}
	if safe {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// formatType is PostgreSQL's format_type(oid, typmod): the name a cast to
// the type prints (bpchar without a length keeps its internal name).
func formatType(t pgType) string {
	if t.oid == OIDBpchar && t.mod < 0 {
		return "bpchar"
	}
	return pgDeclaredType(t)
}
