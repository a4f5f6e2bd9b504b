package session

import (
	"math"
	"strconv"
	"strings"

	"github.com/replisql/replisql/pgsql"
)

// Numeric display scale.
//
// PostgreSQL prints a numeric(p,s) value with exactly s digits after the
// point ("1.50"). SQLite's NUMERIC affinity keeps such a value as an
// INTEGER or REAL (1.5), so the scale is restored on the way out: a
// result column whose type is numeric with a type modifier (a column of a
// numeric(p,s) table column, or a cast to numeric(p,s)) has its integer
// and real values printed with the modifier's scale, as the canonical
// decimal text the wire layer encodes in both formats. Values were
// already rounded to that scale when they were stored or cast.

// numericScales returns, per result column, the scale to print numeric
// values with, or -1; nil when no column needs it.
func numericScales(cols []pgsql.Column) []int {
	var out []int
	for i, c := range cols {
		if c.TypeOID != pgsql.OIDNumeric || c.TypeMod < 4 {
			continue
		}
		if out == nil {
			out = make([]int, len(cols))
			for j := range out {
				out[j] = -1
			}
		}
		out[i] = int((c.TypeMod - 4) & 0xffff)
	}
	return out
}

// applyNumericScales rewrites the integer and real values of row in
// place for the columns that have a scale.
func applyNumericScales(row []any, scales []int) {
	for i, s := range scales {
		if s < 0 || i >= len(row) {
			continue
		}
		switch x := row[i].(type) {
		case int64:
			row[i] = formatScaledInt(x, s)
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				continue
			}
			row[i] = formatScaledFloat(x, s)
		}
	}
}

func formatScaledInt(x int64, scale int) string {
	s := strconv.FormatInt(x, 10)
	if scale == 0 {
		return s
	}
	return s + "." + strings.Repeat("0", scale)
}

// formatScaledFloat prints f with scale digits after the point, from its
// 15 significant digits (what a double holds reliably, as the wire
// layer's float-to-numeric does).
func formatScaledFloat(f float64, scale int) string {
	if r, err := strconv.ParseFloat(strconv.FormatFloat(f, 'e', 14, 64), 64); err == nil {
		f = r
	}
	s := strconv.FormatFloat(f, 'f', scale, 64)
	if strings.Trim(s, "-0.") == "" && strings.HasPrefix(s, "-") {
		s = s[1:] // numeric has no negative zero
	}
	return s
}
