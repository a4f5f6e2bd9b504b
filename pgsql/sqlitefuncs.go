package pgsql

import (
	"crypto/md5"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"modernc.org/sqlite"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// SQLSTATEs that pgerr does not name.
const (
	codeInvalidTableDefinition pgerr.Code = "42P16"
	codeInvalidSchemaName      pgerr.Code = "3F000"
	codeInvalidRegex           pgerr.Code = "2201B"
)

// VersionString is what version() returns.
var VersionString = "PostgreSQL 15.18 (RepliSQL) on x86_64-pc-linux-gnu, compiled by Go, 64-bit"

var registerOnce sync.Once
var registerErr error

func init() {
	if err := RegisterFunctions(); err != nil {
		panic(err)
	}
}

// RegisterFunctions installs the SQLite functions that translated SQL
// calls (pg_cast, pg_div, pg_like, pg_regexp, …) in the modernc.org/sqlite
// driver, process-wide. It is idempotent; the package's init calls it.
// Every function is deterministic: session values are bound parameters,
// never functions.
func RegisterFunctions() error {
	registerOnce.Do(func() {
		for _, m := range []map[string]sqliteFunc{sqliteFuncs, datetimeFuncs, textFuncs, builtinFuncs, settingsFuncs, formatFuncs, jsonBuildFuncs} {
			for name, f := range m {
				if err := sqlite.RegisterDeterministicScalarFunction(name, f.n, f.fn); err != nil {
					registerErr = err
					return
				}
			}
		}
		registerErr = registerStatAggregates()
	})
	return registerErr
}

type sqliteFunc struct {
	n  int32
	fn func(ctx *sqlite.FunctionContext, args []driver.Value) (driver.Value, error)
}

func argInt(v driver.Value) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

func argText(v driver.Value) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case []byte:
		return string(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return formatFloat(x), true
	}
	return "", false
}

func toF(v driver.Value) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

var sqliteFuncs = map[string]sqliteFunc{
	// pg_cast(value, source OID, target OID, typmod, explicit)
	"pg_cast": {5, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		return convertValue(a[0], uint32(argInt(a[1])), pgType{uint32(argInt(a[2])), int32(argInt(a[3]))}, argInt(a[4]) != 0)
	}},
	// pg_intchk(value, OID): the result of integer arithmetic; SQLite
	// turns int64 overflow into REAL.
	"pg_intchk": {2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		lo, hi, name := intRange(uint32(argInt(a[1])))
		switch x := a[0].(type) {
		case int64:
			if x < lo || x > hi {
				return nil, pgerr.New(pgerr.NumericValueOutOfRange, "%s out of range", name)
			}
			return x, nil
		case float64:
			if x != math.Trunc(x) || x < float64(lo) || x >= -float64(lo) {
				return nil, pgerr.New(pgerr.NumericValueOutOfRange, "%s out of range", name)
			}
			return int64(x), nil
		}
		return a[0], nil
	}},
	"pg_div": {-1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) { return divMod(a, false) }},
	"pg_mod": {-1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) { return divMod(a, true) }},
	// pg_like(s, pattern, case-insensitive[, escape])
	"pg_like": {-1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		s, ok1 := argText(a[0])
		p, ok2 := argText(a[1])
		if !ok1 || !ok2 {
			return nil, nil
		}
		if argInt(a[2]) != 0 {
			s, p = strings.ToLower(s), strings.ToLower(p)
		}
		esc := '\\'
		if len(a) > 3 {
			e, ok := argText(a[3])
			if !ok {
				return nil, nil
			}
			switch utf8.RuneCountInString(e) {
			case 0:
				esc = -1
			case 1:
				esc, _ = utf8.DecodeRuneInString(e)
			default:
				return nil, pgerr.New(pgerr.InvalidEscapeSequence, "invalid escape string")
			}
		}
		m, err := likeMatch(s, p, esc)
		if err != nil {
			return nil, err
		}
		return boolInt(m), nil
	}},
	"pg_regexp": {3, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		s, ok1 := argText(a[0])
		p, ok2 := argText(a[1])
		if !ok1 || !ok2 {
			return nil, nil
		}
		re, err := compileRegexp(p, argInt(a[2]) != 0)
		if err != nil {
			return nil, err
		}
		return boolInt(re.MatchString(s)), nil
	}},
	"pg_greatest": {-1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) { return extreme(a, 1), nil }},
	"pg_least":    {-1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) { return extreme(a, -1), nil }},
	// pg_raise(SQLSTATE, message) fails the statement with that error.
	"pg_raise": {2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		code, _ := argText(a[0])
		msg, _ := argText(a[1])
		return nil, pgerr.New(pgerr.Code(code), "%s", msg)
	}},
	// pg_now() marks a DEFAULT now() in the schema. INSERT translation
	// replaces it with the transaction timestamp; evaluating it means a
	// write bypassed translation, which would break deterministic replay.
	"pg_now": {0, func(_ *sqlite.FunctionContext, _ []driver.Value) (driver.Value, error) {
		return nil, pgerr.New(pgerr.FeatureNotSupported, "DEFAULT now() evaluated outside a translated INSERT")
	}},
	// pg_notnull(value, column, table) raises 23502 for NULL.
	"pg_notnull": {3, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		if a[0] == nil {
			c, _ := argText(a[1])
			t, _ := argText(a[2])
			return nil, &pgerr.Error{Code: pgerr.NotNullViolation, Message: "null value in column \"" + c + "\" of relation \"" + t + "\" violates not-null constraint", Column: c, Table: t}
		}
		return a[0], nil
	}},
	"pg_nextval": {1, func(_ *sqlite.FunctionContext, _ []driver.Value) (driver.Value, error) {
		return nil, pgerr.New(pgerr.FeatureNotSupported, "DEFAULT nextval() evaluated outside a translated INSERT")
	}},
	"pg_gen_random_uuid": {0, func(_ *sqlite.FunctionContext, _ []driver.Value) (driver.Value, error) {
		return nil, pgerr.New(pgerr.FeatureNotSupported, "DEFAULT gen_random_uuid() evaluated outside a translated INSERT")
	}},
	// pg_uuid(seed, callsite[, row]) and pg_random(seed, callsite[, row])
	// derive a version 4 uuid and a float in [0, 1) from their arguments
	// only: the seed is a session value bound per execution.
	"pg_uuid": {-1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		h := seedHash(a)
		h[6] = h[6]&0x0f | 0x40
		h[8] = h[8]&0x3f | 0x80
		x := hex.EncodeToString(h[:16])
		return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32], nil
	}},
	"pg_random": {-1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		h := seedHash(a)
		return float64(binary.BigEndian.Uint64(h[:8])>>11) / (1 << 53), nil
	}},
	"pg_version": {0, func(_ *sqlite.FunctionContext, _ []driver.Value) (driver.Value, error) { return VersionString, nil }},
	"pg_octet_length": {1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		switch x := a[0].(type) {
		case nil:
			return nil, nil
		case []byte:
			return int64(len(x)), nil
		}
		s, _ := argText(a[0])
		return int64(len(s)), nil
	}},
	"pg_left": {2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		if !ok || a[1] == nil {
			return nil, nil
		}
		r := []rune(s)
		n := int(argInt(a[1]))
		if n < 0 {
			n = max(len(r)+n, 0)
		}
		return string(r[:min(n, len(r))]), nil
	}},
	"pg_right": {2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		if !ok || a[1] == nil {
			return nil, nil
		}
		r := []rune(s)
		n := int(argInt(a[1]))
		if n < 0 {
			n = max(len(r)+n, 0)
		}
		n = min(n, len(r))
		return string(r[len(r)-n:]), nil
	}},
	"pg_repeat": {2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		if !ok || a[1] == nil {
			return nil, nil
		}
		n := int(argInt(a[1]))
		if n <= 0 {
			return "", nil
		}
		if len(s)*n > 1<<28 {
			return nil, pgerr.New(pgerr.ProgramLimitExceeded, "requested length too large")
		}
		return strings.Repeat(s, n), nil
	}},
	"pg_lpad": {-1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) { return pad(a, true) }},
	"pg_rpad": {-1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) { return pad(a, false) }},
	"pg_md5": {1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		var b []byte
		switch x := a[0].(type) {
		case nil:
			return nil, nil
		case []byte:
			b = x
		default:
			s, _ := argText(x)
			b = []byte(s)
		}
		h := md5.Sum(b)
		return hex.EncodeToString(h[:]), nil
	}},
	"pg_round": {-1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		return roundLike(a, math.Round)
	}},
	"pg_trunc": {-1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		return roundLike(a, math.Trunc)
	}},
	"pg_ceil": {1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		return roundLike(a, math.Ceil)
	}},
	"pg_floor": {1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		return roundLike(a, math.Floor)
	}},
}

func seedHash(a []driver.Value) [32]byte {
	var buf []byte
	for _, v := range a {
		buf = binary.BigEndian.AppendUint64(buf, uint64(argInt(v)))
		if s, ok := v.(string); ok {
			buf = append(buf, s...)
		}
	}
	return sha256.Sum256(buf)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// divMod implements / and % (and mod()) with PostgreSQL's semantics:
// division by zero raises 22012, integer division truncates, int8
// overflow raises 22003. The optional third argument is 1 when the
// operands are numeric or float (never integer division).
func divMod(a []driver.Value, mod bool) (driver.Value, error) {
	if len(a) < 2 || a[0] == nil || a[1] == nil {
		return nil, nil
	}
	floatMode := len(a) > 2 && argInt(a[2]) == 1
	x, xi := a[0].(int64)
	y, yi := a[1].(int64)
	if xi && yi && !floatMode {
		if y == 0 {
			return nil, pgerr.New(pgerr.DivisionByZero, "division by zero")
		}
		if mod {
			if y == -1 {
				return int64(0), nil
			}
			return x % y, nil
		}
		if x == math.MinInt64 && y == -1 {
			return nil, pgerr.New(pgerr.NumericValueOutOfRange, "bigint out of range")
		}
		return x / y, nil
	}
	fx, ok1 := toF(a[0])
	fy, ok2 := toF(a[1])
	if !ok1 || !ok2 {
		return nil, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type numeric")
	}
	if fy == 0 {
		return nil, pgerr.New(pgerr.DivisionByZero, "division by zero")
	}
	if mod {
		return math.Mod(fx, fy), nil
	}
	return fx / fy, nil
}

func extreme(a []driver.Value, sign int) driver.Value {
	var best driver.Value
	for _, v := range a {
		if v == nil {
			continue
		}
		if best == nil || compareValues(v, best)*sign > 0 {
			best = v
		}
	}
	return best
}

// compareValues orders SQLite values: numbers < text < blobs, as SQLite.
func compareValues(a, b driver.Value) int {
	fa, na := a.(float64)
	ia, ina := a.(int64)
	fb, nb := b.(float64)
	ib, inb := b.(int64)
	if ina {
		fa, na = float64(ia), true
	}
	if inb {
		fb, nb = float64(ib), true
	}
	if ina && inb {
		switch {
		case ia < ib:
			return -1
		case ia > ib:
			return 1
		}
		return 0
	}
	if na && nb {
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	if na {
		return -1
	}
	if nb {
		return 1
	}
	sa, _ := argText(a)
	sb, _ := argText(b)
	return strings.Compare(sa, sb)
}

func pad(a []driver.Value, left bool) (driver.Value, error) {
	s, ok := argText(a[0])
	if !ok || a[1] == nil {
		return nil, nil
	}
	fill := " "
	if len(a) > 2 {
		if a[2] == nil {
			return nil, nil
		}
		fill, _ = argText(a[2])
	}
	n := int(argInt(a[1]))
	r := []rune(s)
	if n <= len(r) {
		if n < 0 {
			n = 0
		}
		return string(r[:n]), nil
	}
	if fill == "" {
		return s, nil
	}
	fr := []rune(fill)
	var p []rune
	for len(p) < n-len(r) {
		p = append(p, fr[len(p)%len(fr)])
	}
	if left {
		return string(p) + s, nil
	}
	return s + string(p), nil
}

func roundLike(a []driver.Value, f func(float64) float64) (driver.Value, error) {
	if a[0] == nil {
		return nil, nil
	}
	digits := int64(0)
	if len(a) > 1 {
		if a[1] == nil {
			return nil, nil
		}
		digits = argInt(a[1])
	}
	if i, ok := a[0].(int64); ok && digits >= 0 {
		return i, nil
	}
	x, ok := toF(a[0])
	if !ok {
		return nil, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type numeric")
	}
	p := math.Pow(10, float64(digits))
	r := f(x*p) / p
	if digits <= 0 && math.Abs(r) < 1<<62 {
		return int64(r), nil
	}
	return r, nil
}

// likeMatch implements LIKE with escape character esc (-1: none).
func likeMatch(s, p string, esc rune) (bool, error) {
	// Iterative matching with backtracking on the last %.
	si, pi := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			c, w := utf8.DecodeRuneInString(p[pi:])
			switch c {
			case '%':
				starP, starS = pi+w, si
				pi += w
				continue
			case '_':
				_, sw := utf8.DecodeRuneInString(s[si:])
				si += sw
				pi += w
				continue
			case esc:
				if pi+w >= len(p) {
					return false, pgerr.New(pgerr.InvalidEscapeSequence, "LIKE pattern must not end with escape character")
				}
				ec, ew := utf8.DecodeRuneInString(p[pi+w:])
				sc, sw := utf8.DecodeRuneInString(s[si:])
				if ec == sc {
					si += sw
					pi += w + ew
					continue
				}
			default:
				sc, sw := utf8.DecodeRuneInString(s[si:])
				if c == sc {
					si += sw
					pi += w
					continue
				}
			}
		}
		if starP < 0 {
			return false, nil
		}
		_, sw := utf8.DecodeRuneInString(s[starS:])
		starS += sw
		si, pi = starS, starP
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p), nil
}

var regexps sync.Map // pattern+flag → *regexp.Regexp
var regexpCount int64
var regexpMu sync.Mutex

func compileRegexp(p string, ci bool) (*regexp.Regexp, error) {
	key := p
	if ci {
		key = "i\x00" + p
	}
	if v, ok := regexps.Load(key); ok {
		return v.(*regexp.Regexp), nil
	}
	src := p
	if ci {
		src = "(?i)" + p
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, pgerr.New(codeInvalidRegex, "invalid regular expression: %s", err.Error())
	}
	regexpMu.Lock()
	regexpCount++
	if regexpCount > 1024 {
		regexps.Clear()
		regexpCount = 0
	}
	regexpMu.Unlock()
	regexps.Store(key, re)
	return re, nil
}

var sqlstateRE = regexp.MustCompile(`^(?s)(.*?) \(SQLSTATE ([0-9A-Z]{5})\)(?:: (.*))?$`)

// TranslateError turns an error from SQLite while running a plan into a
// *pgerr.Error where the SQLSTATE is known: errors raised by the SQL
// layer's functions (22012, 22003, 22P02, …) and SQLite constraint
// failures (23505, 23502, 23514, 23503). Other errors are returned as
// they are.
func TranslateError(err error) error {
	if err == nil {
		return nil
	}
	if pgerr.As(err) != nil {
		return err
	}
	msg := err.Error()
	var se *sqlite.Error
	if errors.As(err, &se) {
		msg = se.Error()
	}
	// modernc prefixes "SQL logic error: " and appends " (1)".
	body := msg
	if i := strings.Index(body, ": "); i >= 0 && strings.HasPrefix(body, "SQL logic error") {
		body = body[i+2:]
	}
	body = strings.TrimSuffix(body, " (1)")
	if m := sqlstateRE.FindStringSubmatch(body); m != nil {
		return &pgerr.Error{Code: pgerr.Code(m[2]), Message: m[1], Detail: m[3], Cause: err}
	}
	switch {
	case strings.Contains(msg, "UNIQUE constraint failed"), strings.Contains(msg, "PRIMARY KEY constraint failed"):
		return &pgerr.Error{Code: pgerr.UniqueViolation, Message: "duplicate key value violates unique constraint", Detail: constraintDetail(msg), Cause: err}
	case strings.Contains(msg, "NOT NULL constraint failed"):
		return &pgerr.Error{Code: pgerr.NotNullViolation, Message: "null value violates not-null constraint", Detail: constraintDetail(msg), Cause: err}
	case strings.Contains(msg, "CHECK constraint failed"):
		return &pgerr.Error{Code: pgerr.CheckViolation, Message: "new row violates check constraint", Detail: constraintDetail(msg), Cause: err}
	case strings.Contains(msg, "FOREIGN KEY constraint failed"):
		return &pgerr.Error{Code: pgerr.ForeignKeyViolation, Message: "insert or update on table violates foreign key constraint", Cause: err}
	case strings.Contains(msg, "datatype mismatch"):
		return &pgerr.Error{Code: pgerr.DatatypeMismatch, Message: "datatype mismatch", Cause: err}
	case strings.Contains(msg, "integer overflow"):
		return &pgerr.Error{Code: pgerr.NumericValueOutOfRange, Message: "bigint out of range", Cause: err}
	case strings.Contains(msg, "no such table"):
		return &pgerr.Error{Code: pgerr.UndefinedTable, Message: "relation does not exist", Detail: body, Cause: err}
	case strings.Contains(msg, "no such column"):
		return &pgerr.Error{Code: pgerr.UndefinedColumn, Message: "column does not exist", Detail: body, Cause: err}
	}
	return err
}

func constraintDetail(msg string) string {
	if i := strings.Index(msg, "constraint failed: "); i >= 0 {
		d := msg[i+len("constraint failed: "):]
		d = strings.TrimRightFunc(strings.TrimSuffix(strings.TrimSpace(d), ")"), func(r rune) bool { return unicode.IsDigit(r) || r == '(' || r == ' ' })
		return "Failing column: " + d + "."
	}
	return ""
}
