package pgsql

import (
	"database/sql/driver"
	"math"
	"math/big"
	"strconv"
	"strings"

	"modernc.org/sqlite"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// stddev, stddev_samp, stddev_pop, variance, var_samp and var_pop as
// PostgreSQL computes them.
//
// Of float4 and float8 the result is float8, by the Youngs-Cramer
// algorithm of PostgreSQL's float8_accum. Of integers and numeric it is
// numeric, computed exactly as numeric_stddev_internal does: with the
// exact sums N, Σx and Σx², the variance (NΣx² − (Σx)²) / (N(N−1)) (or
// N² for the population) rounded to select_div_scale's scale, and the
// standard deviation the square root of that, rounded to the same scale.
// A numeric value's display scale is the column's declared scale when it
// has one, else the digits of the value as stored.
//
// The SQLite aggregates take (x, scale): scale -1 selects float8
// arithmetic, else it is the least display scale of numeric inputs.

// registerStatAggregates installs the aggregates.
func registerStatAggregates() error {
	for _, name := range []string{"pg_stddev_samp", "pg_stddev_pop", "pg_var_samp", "pg_var_pop"} {
		sqrt := strings.HasPrefix(name, "pg_stddev")
		sample := strings.HasSuffix(name, "_samp")
		err := sqlite.RegisterFunction(name, &sqlite.FunctionImpl{
			NArgs:         2,
			Deterministic: true,
			MakeAggregate: func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) {
				return &statAgg{sqrt: sqrt, sample: sample, scale: -2}, nil
			},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// statAgg is one evaluation of a variance or standard deviation.
type statAgg struct {
	sqrt, sample bool
	scale        int // -1: float8; ≥0 the display scale of the sums; -2 before the first row

	// float8
	n, sx, sxx float64
	// numeric: sums of x·10^scale and x²·10^(2·scale)
	count      int64
	sum, sumSq big.Int
}

var _ sqlite.AggregateFunction = (*statAgg)(nil)

func (a *statAgg) Step(_ *sqlite.FunctionContext, args []driver.Value) error {
	if args[0] == nil {
		return nil
	}
	if argInt(args[1]) < 0 {
		a.scale = -1
		x, ok := toF(args[0])
		if !ok {
			s, _ := argText(args[0])
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type double precision: \"%s\"", s)
			}
			x = f
		}
		a.floatStep(x)
		return nil
	}
	m, sc, err := exactDecimal(args[0])
	if err != nil {
		return err
	}
	if min := int(argInt(args[1])); sc < min {
		m.Mul(m, pow10(min-sc))
		sc = min
	}
	if a.scale < 0 {
		a.scale = 0
	}
	if sc > a.scale {
		a.sum.Mul(&a.sum, pow10(sc-a.scale))
		a.sumSq.Mul(&a.sumSq, pow10(2*(sc-a.scale)))
		a.scale = sc
	} else if sc < a.scale {
		m.Mul(m, pow10(a.scale-sc))
	}
	a.count++
	a.sum.Add(&a.sum, m)
	a.sumSq.Add(&a.sumSq, new(big.Int).Mul(m, m))
	return nil
}

// floatStep is float8_accum.
func (a *statAgg) floatStep(x float64) {
	a.n++
	a.sx += x
	if a.n > 1 {
		tmp := x*a.n - a.sx
		a.sxx += tmp * tmp / (a.n * (a.n - 1))
	} else if math.IsNaN(x) || math.IsInf(x, 0) {
		a.sxx = math.NaN()
	}
}

func (a *statAgg) WindowInverse(*sqlite.FunctionContext, []driver.Value) error {
	return unsupported("moving window frames of variance and standard deviation are not supported")
}

func (a *statAgg) WindowValue(*sqlite.FunctionContext) (driver.Value, error) {
	if a.scale == -1 {
		if a.n == 0 || a.sample && a.n <= 1 {
			return nil, nil
		}
		d := a.n
		if a.sample {
			d = a.n - 1
		}
		v := a.sxx / d
		if a.sqrt {
			v = math.Sqrt(v)
		}
		return v, nil
	}
	n := a.count
	if n == 0 || a.sample && n <= 1 {
		return nil, nil
	}
	return numericVariance(n, &a.sum, &a.sumSq, a.scale, a.sample, a.sqrt), nil
}

func (a *statAgg) Final(*sqlite.FunctionContext) {}

// numericVariance is numeric_stddev_internal: sum and sumSq are Σx and
// Σx² scaled by 10^scale and 10^(2·scale).
func numericVariance(n int64, sum, sumSq *big.Int, scale int, sample, sqrt bool) string {
	bn := big.NewInt(n)
	// numerator = N·Σx² − (Σx)², at scale 2·scale.
	num := new(big.Int).Mul(bn, sumSq)
	num.Sub(num, new(big.Int).Mul(sum, sum))
	if num.Sign() <= 0 {
		return "0"
	}
	den := new(big.Int)
	if sample {
		den.Mul(bn, big.NewInt(n-1))
	} else {
		den.Mul(bn, bn)
	}
	rscale := selectDivScale(num, 2*scale, den, 0)
	// variance = num / (den·10^(2·scale)), rounded half away from zero
	// to rscale digits.
	q := new(big.Int).Mul(num, pow10(rscale))
	d := new(big.Int).Mul(den, pow10(2*scale))
	v := roundDiv(q, d)
	if sqrt {
		// sqrt(v / 10^r) · 10^(r+1) = sqrt(v · 10^(r+2)), then round
		// away the last digit.
		s := new(big.Int).Sqrt(new(big.Int).Mul(v, pow10(rscale+2)))
		v = roundDiv(s, big.NewInt(10))
	}
	return decimalString(v, rscale)
}

// selectDivScale is PostgreSQL's select_div_scale for var1 / var2 where
// var1 = m1 / 10^s1 and var2 = m2 / 10^s2 (positive): enough digits for
// NUMERIC_MIN_SIG_DIGITS (16) significant digits, and at least either
// operand's display scale.
func selectDivScale(m1 *big.Int, s1 int, m2 *big.Int, s2 int) int {
	w1, f1 := nbaseLead(m1, s1)
	w2, f2 := nbaseLead(m2, s2)
	qweight := w1 - w2
	if f1 <= f2 {
		qweight--
	}
	rscale := 16 - qweight*4
	rscale = max(rscale, s1, s2, 0)
	return min(rscale, 1000)
}

// nbaseLead is the weight and value of the first non-zero base-10000
// digit of m / 10^s (m > 0), as PostgreSQL's NumericVar holds it.
func nbaseLead(m *big.Int, s int) (weight int, first int64) {
	// Align the scale to a multiple of 4 digits.
	pad := (4 - s%4) % 4
	v := new(big.Int).Mul(m, pow10(pad))
	groups := (s + pad) / 4 // base-10000 digits after the point
	digits := len(v.String())
	n := (digits + 3) / 4 // base-10000 digits of v
	weight = n - 1 - groups
	first = new(big.Int).Quo(v, pow10(4*(n-1))).Int64()
	return weight, first
}

// exactDecimal reads a numeric value as m / 10^scale.
func exactDecimal(v driver.Value) (*big.Int, int, error) {
	var s string
	switch x := v.(type) {
	case int64:
		return big.NewInt(x), 0, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, 0, unsupported("NaN and infinite numeric values are not supported")
		}
		s = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		s, _ = argText(v)
	}
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil && strings.ContainsAny(s, "eE") {
		s = strconv.FormatFloat(f, 'f', -1, 64)
	}
	intPart, frac, _ := strings.Cut(s, ".")
	m, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok {
		return nil, 0, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type numeric: \"%s\"", s)
	}
	return m, len(frac), nil
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// roundDiv is a / b (both ≥ 0) rounded half up.
func roundDiv(a, b *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(a, b, new(big.Int))
	if r.Mul(r, big.NewInt(2)).Cmp(b) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

// decimalString prints m / 10^scale with exactly scale digits after the
// point.
func decimalString(m *big.Int, scale int) string {
	s := m.String()
	if scale == 0 {
		return s
	}
	if len(s) <= scale {
		s = strings.Repeat("0", scale-len(s)+1) + s
	}
	return s[:len(s)-scale] + "." + s[len(s)-scale:]
}
