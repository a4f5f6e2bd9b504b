package pgwire

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// numeric's external binary form (numeric_send):
//
//	int16  ndigits   number of base-10000 digits that follow
//	int16  weight    weight of the first digit: value = sum d[i] * 10000^(weight-i)
//	uint16 sign      0x0000 positive, 0x4000 negative, 0xC000 NaN,
//	                 0xD000 +Infinity, 0xF000 -Infinity
//	uint16 dscale    number of decimal digits after the point to display
//	int16  digits[ndigits], each 0..9999, no leading or trailing zero digits
//
// Zero has ndigits 0, weight 0, sign positive and its dscale.
const (
	numericPos  = 0x0000
	numericNeg  = 0x4000
	numericNaN  = 0xC000
	numericPInf = 0xD000
	numericNInf = 0xF000

	numericMaxDscale      = 0x3FFF // NUMERIC_DSCALE_MAX
	numericMaxWeight      = math.MaxInt16
	numericMaxExponent    = 1000 // PostgreSQL 15 rejects larger exponents
	numericMaxRecvNDigits = 1000 + 2000
)

// decimalText is a parsed decimal number: the digits of intPart and
// fracPart (ASCII, taken from the input) times 10^exp.
type decimalText[T string | []byte] struct {
	special  uint16 // numericNaN, numericPInf, numericNInf, or 0
	neg      bool
	intPart  T
	fracPart T
	exp      int
}

// nDigits is the number of digits of D = intPart ++ fracPart.
func (d *decimalText[T]) nDigits() int { return len(d.intPart) + len(d.fracPart) }

// digit returns digit i of D ('0'..'9'), or '0' outside D.
func (d *decimalText[T]) digit(i int) byte {
	if i < 0 {
		return '0'
	}
	if i < len(d.intPart) {
		return d.intPart[i]
	}
	i -= len(d.intPart)
	if i < len(d.fracPart) {
		return d.fracPart[i]
	}
	return '0'
}

// point is the position in D of the decimal point: digits before it are
// the integer part.
func (d *decimalText[T]) point() int { return len(d.intPart) + d.exp }

func (d *decimalText[T]) dscale() int {
	s := len(d.fracPart) - d.exp
	if s < 0 {
		return 0
	}
	return s
}

func equalFoldASCII[T string | []byte](s T, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// parseDecimal is numeric_in's syntax: blanks, NaN, [+-]Infinity/inf, or
// [+-]digits[.digits][e[+-]digits] with at least one digit, blanks.
func parseDecimal[T string | []byte](s T) (decimalText[T], error) {
	var d decimalText[T]
	s = trimSpace(s)
	switch {
	case equalFoldASCII(s, "nan"):
		d.special = numericNaN
		return d, nil
	case equalFoldASCII(s, "infinity"), equalFoldASCII(s, "+infinity"), equalFoldASCII(s, "inf"), equalFoldASCII(s, "+inf"):
		d.special = numericPInf
		return d, nil
	case equalFoldASCII(s, "-infinity"), equalFoldASCII(s, "-inf"):
		d.special = numericNInf
		return d, nil
	}
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	d.intPart = s[start:i]
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		d.fracPart = s[start:i]
	}
	if d.nDigits() == 0 {
		return d, errInvalid
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		start = i
		e := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if e <= numericMaxExponent {
				e = e*10 + int(s[i]-'0')
			}
			i++
		}
		if i == start || e > numericMaxExponent {
			return d, errInvalid
		}
		if eneg {
			e = -e
		}
		d.exp = e
	}
	if i != len(s) {
		return d, errInvalid
	}
	// Bounds: at most NUMERIC_WEIGHT_MAX+1 base-10000 digits before the
	// point and NUMERIC_DSCALE_MAX digits after it.
	first := 0
	for first < d.nDigits() && d.digit(first) == '0' {
		first++
	}
	if d.point()-first > (numericMaxWeight+1)*4 || d.dscale() > numericMaxDscale {
		return d, errOutOfRange
	}
	return d, nil
}

// appendNumericCanonical parses numeric text input and appends
// numeric_out's output for it: no exponent, dscale digits after the point.
func appendNumericCanonical[T string | []byte](buf []byte, s T) ([]byte, error) {
	d, err := parseDecimal(s)
	if err != nil {
		return buf, err
	}
	switch d.special {
	case numericNaN:
		return append(buf, "NaN"...), nil
	case numericPInf:
		return append(buf, "Infinity"...), nil
	case numericNInf:
		return append(buf, "-Infinity"...), nil
	}
	n, p, dscale := d.nDigits(), d.point(), d.dscale()
	first := 0
	for first < n && d.digit(first) == '0' {
		first++
	}
	if d.neg && first < n {
		buf = append(buf, '-')
	}
	if first >= p || first == n { // no nonzero digit before the point
		buf = append(buf, '0')
	} else {
		for i := first; i < p; i++ {
			buf = append(buf, d.digit(i))
		}
	}
	if dscale > 0 {
		buf = append(buf, '.')
		for j := 0; j < dscale; j++ {
			buf = append(buf, d.digit(p+j))
		}
	}
	return buf, nil
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

var pow10i16 = [4]int{1, 10, 100, 1000}

// appendNumericBinary parses numeric text and appends numeric_send's
// encoding of it.
func appendNumericBinary[T string | []byte](buf []byte, s T) ([]byte, error) {
	d, err := parseDecimal(s)
	if err != nil {
		return buf, err
	}
	if d.special != 0 {
		return appendNumericSpecialHeader(buf, d.special), nil
	}
	n, p, dscale := d.nDigits(), d.point(), d.dscale()
	first, last := 0, n-1
	for first < n && d.digit(first) == '0' {
		first++
	}
	if first == n {
		return appendNumericHeader(buf, 0, 0, numericPos, dscale), nil
	}
	for d.digit(last) == '0' {
		last--
	}
	// Digit i of D has decimal exponent p-1-i.
	weight := floorDiv(p-1-first, 4)
	lastWeight := floorDiv(p-1-last, 4)
	ndigits := weight - lastWeight + 1
	sign := uint16(numericPos)
	if d.neg {
		sign = numericNeg
	}
	buf = appendNumericHeader(buf, ndigits, weight, sign, dscale)
	start := len(buf)
	buf = append(buf, make([]byte, 2*ndigits)...)
	digits := buf[start:]
	for i := first; i <= last; i++ {
		c := d.digit(i)
		if c == '0' {
			continue
		}
		e := p - 1 - i
		w := floorDiv(e, 4)
		idx := 2 * (weight - w)
		g := int(binary.BigEndian.Uint16(digits[idx:])) + int(c-'0')*pow10i16[e-4*w]
		binary.BigEndian.PutUint16(digits[idx:], uint16(g))
	}
	return buf, nil
}

func appendNumericHeader(buf []byte, ndigits, weight int, sign uint16, dscale int) []byte {
	buf = binary.BigEndian.AppendUint16(buf, uint16(ndigits))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	return binary.BigEndian.AppendUint16(buf, uint16(dscale))
}

func appendNumericBinaryInt(buf []byte, n int64) []byte {
	var scratch [24]byte
	out, _ := appendNumericBinary(buf, strconv.AppendInt(scratch[:0], n, 10))
	return out
}

func appendNumericSpecial(buf []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return appendNumericSpecialHeader(buf, numericNaN)
	case f > 0:
		return appendNumericSpecialHeader(buf, numericPInf)
	}
	return appendNumericSpecialHeader(buf, numericNInf)
}

// appendNumericSpecialHeader encodes NaN and the infinities as
// numeric_send does: it sends the header's low bits as dscale, which are
// 0x20 for the infinities.
func appendNumericSpecialHeader(buf []byte, sign uint16) []byte {
	dscale := 0
	if sign != numericNaN {
		dscale = 0x20
	}
	return appendNumericHeader(buf, 0, 0, sign, dscale)
}

// appendNumericFloat prints a float64 stored in a numeric column as
// numeric text, without exponent, rounded to 15 significant digits as
// PostgreSQL's float8-to-numeric cast does (DBL_DIG): SQLite computes
// numeric arithmetic in doubles, and 0.1 + 0.2 must print 0.3.
func appendNumericFloat(buf []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	case f == 0:
		return append(buf, '0')
	}
	var tmp [32]byte
	if r, err := strconv.ParseFloat(string(strconv.AppendFloat(tmp[:0], f, 'e', 14, 64)), 64); err == nil {
		f = r
	}
	return strconv.AppendFloat(buf, f, 'f', -1, 64)
}

func errNumericRecv(what string) error {
	return pgerr.New(pgerr.InvalidBinaryRepresentation, "invalid %s in external \"numeric\" value", what)
}

// appendNumericFromBinary is numeric_recv followed by numeric_out: it
// validates the binary form, truncates digits hidden by dscale, and
// appends the text.
func appendNumericFromBinary(buf []byte, b []byte) ([]byte, error) {
	if len(b) < 8 {
		return buf, errBinary(OIDNumeric)
	}
	ndigits := int(binary.BigEndian.Uint16(b))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := int(binary.BigEndian.Uint16(b[6:]))
	if ndigits > numericMaxRecvNDigits {
		return buf, errNumericRecv("length")
	}
	if len(b) != 8+2*ndigits {
		return buf, errBinary(OIDNumeric)
	}
	switch sign {
	case numericPos, numericNeg:
	case numericNaN:
		return append(buf, "NaN"...), nil
	case numericPInf:
		return append(buf, "Infinity"...), nil
	case numericNInf:
		return append(buf, "-Infinity"...), nil
	default:
		return buf, errNumericRecv("sign")
	}
	if dscale > numericMaxDscale {
		return buf, errNumericRecv("scale")
	}
	digits := b[8:]
	for i := 0; i < ndigits; i++ {
		if binary.BigEndian.Uint16(digits[2*i:]) >= 10000 {
			return buf, errNumericRecv("digit")
		}
	}
	group := func(w int) int { // the base-10000 digit of weight w
		i := weight - w
		if i < 0 || i >= ndigits {
			return 0
		}
		return int(binary.BigEndian.Uint16(digits[2*i:]))
	}
	start := len(buf)
	if sign == numericNeg {
		buf = append(buf, '-')
	}
	nonzero := false
	// Integer part: weights from max(weight, 0) down to 0, skipping
	// leading zero groups; bounded by the digits present.
	top := weight
	if top >= ndigits+weight { // no nonzero group at weight >= 0 beyond the digits
		top = ndigits + weight - 1
	}
	if top < 0 {
		buf = append(buf, '0')
	} else {
		started := false
		for w := top; w >= 0; w-- {
			g := group(w)
			if !started {
				if g == 0 && w > 0 {
					continue
				}
				buf = strconv.AppendInt(buf, int64(g), 10)
				started = true
			} else {
				buf = append(buf, byte('0'+g/1000), byte('0'+g/100%10), byte('0'+g/10%10), byte('0'+g%10))
			}
			if g != 0 {
				nonzero = true
			}
		}
	}
	if dscale > 0 {
		buf = append(buf, '.')
		for j := 0; j < dscale; j++ {
			g := group(-1 - j/4)
			c := byte('0' + g/pow10i16[3-j%4]%10)
			if c != '0' {
				nonzero = true
			}
			buf = append(buf, c)
		}
	}
	if sign == numericNeg && !nonzero {
		// -0 (possibly after truncation to dscale) is 0.
		copy(buf[start:], buf[start+1:])
		buf = buf[:len(buf)-1]
	}
	return buf, nil
}
