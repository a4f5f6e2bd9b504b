package pgsql

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// Sequences live in one SQLite table, so that nextval() is ordinary,
// replayable DML: a plan that calls nextval() first advances the sequence
// by the number of its call sites (UPDATE), then reads each call site's
// value from the table. This needs every call site to run once per
// execution: INSERT … VALUES rows, SELECT without FROM, COPY rows.
//
// The storage layer and the catalog SHOULD hide tables whose names start
// with "__replisql_".
const seqTable = `"__replisql_sequences"`

const seqTableDDL = `CREATE TABLE IF NOT EXISTS "__replisql_sequences" ("name" text NOT NULL PRIMARY KEY, "last" bigint NOT NULL, ` +
	`"increment" bigint NOT NULL, "minvalue" bigint NOT NULL, "maxvalue" bigint NOT NULL, "called" integer NOT NULL)`

// seqUse counts a statement's nextval() call sites of one sequence.
type seqUse struct {
	name string
	n    int
}

const seqMarker = "\x00S"

// nextvalSQL returns the value of one nextval(name) call site.
func (t *translator) nextvalSQL(name string) (string, error) {
	if !t.randomOK || t.randomRow != "" {
		return "", unsupported("nextval() is only supported in INSERT … VALUES, COPY and SELECT without FROM")
	}
	for _, u := range t.seqUses {
		if u.name == name {
			i := u.n
			u.n++
			return seqMarker + strconv.Itoa(i) + "\x00" + name + "\x00", nil
		}
	}
	t.seqUses = append(t.seqUses, &seqUse{name: name, n: 1})
	return seqMarker + "0\x00" + name + "\x00", nil
}

var seqMarkerRE = regexp.MustCompile("\x00S([0-9]+)\x00([^\x00]*)\x00")

// seqStatements returns the statements that advance the sequences used
// and rewrites the call-site markers in sqls.
func (t *translator) seqStatements(sqls []string) []string {
	if len(t.seqUses) == 0 {
		return sqls
	}
	uses := map[string]int{}
	var pre []string
	for _, u := range t.seqUses {
		uses[u.name] = u.n
		q := quoteString(u.name)
		step := "(CASE WHEN \"called\" THEN " + strconv.Itoa(u.n) + " ELSE " + strconv.Itoa(u.n-1) + " END) * \"increment\""
		pre = append(pre,
			"SELECT pg_raise('42P01', "+quoteString("relation \""+u.name+"\" does not exist")+") WHERE NOT EXISTS (SELECT 1 FROM "+seqTable+" WHERE \"name\" = "+q+")",
			"SELECT pg_raise('2200H', 'nextval: reached ' || (CASE WHEN \"increment\" > 0 THEN 'maximum' ELSE 'minimum' END) || ' value of sequence "+
				strings.ReplaceAll(`"`+u.name+`"`, "'", "''")+" (' || (CASE WHEN \"increment\" > 0 THEN \"maxvalue\" ELSE \"minvalue\" END) || ')') FROM "+seqTable+
				" WHERE \"name\" = "+q+" AND (\"last\" + "+step+" > \"maxvalue\" OR \"last\" + "+step+" < \"minvalue\")",
			"UPDATE "+seqTable+" SET \"last\" = \"last\" + "+step+", \"called\" = 1 WHERE \"name\" = "+q)
	}
	for i, s := range sqls {
		sqls[i] = seqMarkerRE.ReplaceAllStringFunc(s, func(m string) string {
			p := seqMarkerRE.FindStringSubmatch(m)
			k, _ := strconv.Atoi(p[1])
			back := uses[p[2]] - 1 - k
			return "(SELECT \"last\" - " + strconv.Itoa(back) + " * \"increment\" FROM " + seqTable + " WHERE \"name\" = " + quoteString(p[2]) + ")"
		})
	}
	return append(pre, sqls...)
}

// seqName reads the sequence argument of nextval/setval: a constant
// ('s' or 's'::regclass).
func seqName(n *pg_query.Node) (string, bool) {
	if tc := n.GetTypeCast(); tc != nil {
		n = tc.Arg
	}
	c := n.GetAConst()
	if c == nil || c.GetSval() == nil {
		return "", false
	}
	name := c.GetSval().Sval
	if i := strings.LastIndexByte(name, '.'); i >= 0 && strings.HasPrefix(name, "public.") {
		name = name[i+1:]
	}
	return strings.Trim(name, `"`), true
}

func (t *translator) sequenceCall(name string, f *pg_query.FuncCall, sc *scope) (*expr, error) {
	switch name {
	case "nextval":
		if len(f.Args) != 1 {
			break
		}
		seq, ok := seqName(f.Args[0])
		if !ok {
			return nil, unsupported("nextval() of a non-constant sequence name is not supported")
		}
		sql, err := t.nextvalSQL(seq)
		if err != nil {
			return nil, err
		}
		return &expr{sql: sql, t: tInt8, name: name, strength: 2}, nil
	case "setval":
		if len(f.Args) < 2 || len(f.Args) > 3 {
			break
		}
		if !t.randomOK || t.randomRow != "" {
			return nil, unsupported("setval() is only supported in SELECT without FROM")
		}
		seq, ok := seqName(f.Args[0])
		if !ok {
			return nil, unsupported("setval() of a non-constant sequence name is not supported")
		}
		v, err := t.expr(f.Args[1], sc)
		if err != nil {
			return nil, err
		}
		if v, err = t.coerce(v, tInt8); err != nil {
			return nil, err
		}
		called := "1"
		if len(f.Args) == 3 {
			c, err := t.expr(f.Args[2], sc)
			if err != nil {
				return nil, err
			}
			if c, err = t.coerce(c, tBool); err != nil {
				return nil, err
			}
			called = c.sql
		}
		q := quoteString(seq)
		t.seqPre = append(t.seqPre,
			"SELECT pg_raise('42P01', "+quoteString("relation \""+seq+"\" does not exist")+") WHERE NOT EXISTS (SELECT 1 FROM "+seqTable+" WHERE \"name\" = "+q+")",
			"SELECT pg_raise('22003', 'setval: value ' || "+v.sql+" || ' is out of bounds for sequence "+strings.ReplaceAll(`"`+seq+`"`, "'", "''")+
				" (' || \"minvalue\" || '..' || \"maxvalue\" || ')') FROM "+seqTable+" WHERE \"name\" = "+q+" AND ("+v.sql+" < \"minvalue\" OR "+v.sql+" > \"maxvalue\")",
			"UPDATE "+seqTable+" SET \"last\" = "+v.sql+", \"called\" = "+called+" WHERE \"name\" = "+q)
		return &expr{sql: v.sql, t: tInt8, name: name, strength: 2}, nil
	case "currval", "lastval":
		return nil, unsupported("%s() is not supported", name)
	}
	return nil, t.errAt(f.Location, pgerr.UndefinedFunction, "function %s with %d arguments does not exist", name, len(f.Args))
}

type seqOptions struct {
	start, inc, min, max int64
}

func sequenceOptions(opts []*pg_query.Node, maxFor int64) (seqOptions, error) {
	o := seqOptions{inc: 1}
	var start, min, max *int64
	for _, n := range opts {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		val := func() (int64, error) {
			if d.Arg == nil {
				return 0, pgerr.New(pgerr.SyntaxError, "option %q needs a value", d.Defname)
			}
			if i := d.Arg.GetInteger(); i != nil {
				return int64(i.Ival), nil
			}
			if f := d.Arg.GetFloat(); f != nil {
				return strconv.ParseInt(f.Fval, 10, 64)
			}
			return 0, pgerr.New(pgerr.SyntaxError, "option %q needs an integer", d.Defname)
		}
		switch d.Defname {
		case "increment":
			v, err := val()
			if err != nil {
				return o, err
			}
			if v == 0 {
				return o, pgerr.New(pgerr.InvalidParameterValue, "INCREMENT must not be zero")
			}
			o.inc = v
		case "start":
			v, err := val()
			if err != nil {
				return o, err
			}
			start = &v
		case "minvalue":
			if d.Arg != nil {
				v, err := val()
				if err != nil {
					return o, err
				}
				min = &v
			}
		case "maxvalue":
			if d.Arg != nil {
				v, err := val()
				if err != nil {
					return o, err
				}
				max = &v
			}
		case "cycle":
			if d.Arg == nil || constInt(d.Arg) != 0 {
				return o, unsupported("CYCLE sequences are not supported")
			}
		case "as":
			tn := d.Arg.GetTypeName()
			if tn != nil {
				switch nameList(tn.Names)[len(tn.Names)-1] {
				case "int2":
					maxFor = math.MaxInt16
				case "int4":
					maxFor = math.MaxInt32
				}
			}
		case "cache", "owned_by", "restart":
		default:
			return o, unsupported("sequence option %q is not supported", d.Defname)
		}
	}
	if o.inc > 0 {
		o.min, o.max = 1, maxFor
	} else {
		o.min, o.max = -maxFor-1, -1
	}
	if min != nil {
		o.min = *min
	}
	if max != nil {
		o.max = *max
	}
	o.start = o.min
	if o.inc < 0 {
		o.start = o.max
	}
	if start != nil {
		o.start = *start
	}
	if o.start < o.min || o.start > o.max {
		return o, pgerr.New(pgerr.InvalidParameterValue, "START value (%d) cannot be less than MINVALUE (%d) or greater than MAXVALUE (%d)", o.start, o.min, o.max)
	}
	return o, nil
}

// createSequenceSQL creates sequence name; the caller has checked names.
func createSequenceSQL(name string, o seqOptions, ifNotExists bool) []string {
	ins := "INSERT INTO "
	if ifNotExists {
		ins = "INSERT OR IGNORE INTO "
	}
	out := []string{seqTableDDL}
	if !ifNotExists {
		out = append(out, "SELECT pg_raise('42P07', "+quoteString("relation \""+name+"\" already exists")+") FROM "+seqTable+" WHERE \"name\" = "+quoteString(name))
	}
	return append(out, ins+seqTable+" VALUES ("+quoteString(name)+", "+strconv.FormatInt(o.start, 10)+", "+
		strconv.FormatInt(o.inc, 10)+", "+strconv.FormatInt(o.min, 10)+", "+strconv.FormatInt(o.max, 10)+", 0)")
}

func (t *translator) createSequence(s *pg_query.CreateSeqStmt) (*Plan, error) {
	rv := s.Sequence
	if rv.Schemaname != "" && rv.Schemaname != "public" {
		return nil, pgerr.New(codeInvalidSchemaName, "schema %q does not exist", rv.Schemaname)
	}
	if rv.Relpersistence == "t" {
		return nil, unsupported("temporary sequences are not supported")
	}
	if _, ok := t.schema.Table(rv.Relname); ok {
		return nil, pgerr.New(pgerr.DuplicateTable, "relation %q already exists", rv.Relname)
	}
	o, err := sequenceOptions(s.Options, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	t.schemaCh = true
	return t.finish(createSequenceSQL(rv.Relname, o, s.IfNotExists), nil)
}

func (t *translator) dropSequence(s *pg_query.DropStmt) (*Plan, error) {
	sqls := []string{seqTableDDL}
	for _, o := range s.Objects {
		names := nameList(o.GetList().GetItems())
		name := names[len(names)-1]
		if !s.MissingOk {
			sqls = append(sqls, "SELECT pg_raise('42P01', "+quoteString("sequence \""+name+"\" does not exist")+") WHERE NOT EXISTS (SELECT 1 FROM "+seqTable+" WHERE \"name\" = "+quoteString(name)+")")
		}
		sqls = append(sqls, "DELETE FROM "+seqTable+" WHERE \"name\" = "+quoteString(name))
	}
	t.schemaCh = true
	return t.finish(sqls, nil)
}

var nextvalDefaultRE = regexp.MustCompile(`pg_nextval\('((?:[^']|'')*)'\)`)

// ownedSequence returns the sequence a serial column's default draws from.
func ownedSequence(c *TableColumn) (string, bool) {
	m := nextvalDefaultRE.FindStringSubmatch(c.Default)
	if m == nil {
		return "", false
	}
	return strings.ReplaceAll(m[1], "''", "'"), true
}
