package pgwire

import (
	"encoding/binary"
	"math"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// Arrays are stored as their text literal ("{1,2,NULL}", "{{1,2},{3,4}}",
// "[0:1]={a,b}"). Their binary form (array_send) is:
//
//	int32  ndim (0 for an empty array, at most 6)
//	int32  flags: 1 if any element is NULL
//	uint32 element type OID
//	ndim × (int32 size, int32 lower bound)
//	elements in row-major order: int32 length (-1 for NULL), bytes
const maxArrayDims = 6

type arrayElem struct {
	s    []byte
	null bool
}

type arrayLiteral struct {
	dims    []int32
	lbounds []int32
	elems   []arrayElem
}

func errMalformedArray[T string | []byte](s T) error {
	return pgerr.New(pgerr.InvalidTextRepresentation, "malformed array literal: \"%s\"", s)
}

// parseArrayLiteral is array_in's syntax with ',' as the delimiter.
func parseArrayLiteral[T string | []byte](s T) (*arrayLiteral, error) {
	a := &arrayLiteral{}
	p := &scanner[T]{s: s}
	p.skipSpaces()
	var declDims, declLbounds []int32
	for p.peek() == '[' {
		p.i++
		sign := int64(1)
		readInt := func() (int64, bool) {
			sign = 1
			if p.peek() == '-' || p.peek() == '+' {
				if p.peek() == '-' {
					sign = -1
				}
				p.i++
			}
			v, n := p.digits(10)
			return sign * v, n > 0 && n <= 10
		}
		lo, ok := readInt()
		if !ok {
			return nil, errMalformedArray(s)
		}
		hi := lo
		if p.peek() == ':' {
			p.i++
			if hi, ok = readInt(); !ok {
				return nil, errMalformedArray(s)
			}
		} else {
			lo = 1
		}
		if p.peek() != ']' || hi < lo-1 || lo < math.MinInt32 || hi > math.MaxInt32 || len(declDims) == maxArrayDims {
			return nil, errMalformedArray(s)
		}
		p.i++
		declDims = append(declDims, int32(hi-lo+1))
		declLbounds = append(declLbounds, int32(lo))
	}
	if len(declDims) > 0 {
		p.skipSpaces()
		if p.peek() != '=' {
			return nil, errMalformedArray(s)
		}
		p.i++
		p.skipSpaces()
	}
	if p.peek() != '{' {
		return nil, errMalformedArray(s)
	}
	var counts [maxArrayDims]int32
	ndim := -1 // unknown until the first element or empty innermost
	depth := 0
	for {
		c := p.peek()
		switch {
		case c == '{':
			if depth == maxArrayDims || (ndim >= 0 && depth >= ndim) {
				return nil, errMalformedArray(s)
			}
			if depth > 0 {
				counts[depth-1]++
			}
			depth++
			counts[depth-1] = 0
			p.i++
		case c == '}':
			if depth == 0 {
				return nil, errMalformedArray(s)
			}
			if ndim < 0 {
				ndim = depth
			}
			if depth > ndim {
				return nil, errMalformedArray(s)
			}
			n := counts[depth-1]
			if len(a.dims) < ndim {
				a.dims = make([]int32, ndim)
				for i := range a.dims {
					a.dims[i] = -1
				}
			}
			if a.dims[depth-1] < 0 {
				a.dims[depth-1] = n
			} else if a.dims[depth-1] != n {
				return nil, errMalformedArray(s)
			}
			depth--
			p.i++
			if depth == 0 {
				p.skipSpaces()
				if !p.eof() {
					return nil, errMalformedArray(s)
				}
				goto done
			}
		case c == ',':
			p.i++
		case isSpace(c):
			p.i++
		case p.eof():
			return nil, errMalformedArray(s)
		default:
			if ndim >= 0 && depth != ndim {
				return nil, errMalformedArray(s)
			}
			ndim = depth
			e, ok := parseArrayElem(p)
			if !ok {
				return nil, errMalformedArray(s)
			}
			a.elems = append(a.elems, e)
			counts[depth-1]++
		}
	}
done:
	if len(a.elems) == 0 {
		// "{}" (or nested empties) is the empty array.
		a.dims, a.lbounds = nil, nil
		if len(declDims) > 0 {
			return nil, errMalformedArray(s)
		}
		return a, nil
	}
	a.lbounds = make([]int32, len(a.dims))
	for i := range a.lbounds {
		a.lbounds[i] = 1
	}
	if len(declDims) > 0 {
		if len(declDims) != len(a.dims) {
			return nil, errMalformedArray(s)
		}
		for i := range declDims {
			if declDims[i] != a.dims[i] {
				return nil, errMalformedArray(s)
			}
		}
		a.lbounds = declLbounds
	}
	return a, nil
}

// parseArrayElem reads one element: quoted with backslash escapes, or
// unquoted up to ',' or '}' with trailing blanks dropped.
func parseArrayElem[T string | []byte](p *scanner[T]) (arrayElem, bool) {
	var e arrayElem
	if p.peek() == '"' {
		p.i++
		e.s = []byte{}
		for {
			if p.eof() {
				return e, false
			}
			c := p.s[p.i]
			p.i++
			if c == '"' {
				break
			}
			if c == '\\' {
				if p.eof() {
					return e, false
				}
				c = p.s[p.i]
				p.i++
			}
			e.s = append(e.s, c)
		}
		p.skipSpaces()
		c := p.peek()
		return e, c == ',' || c == '}'
	}
	escaped := false
	end := 0 // length of e.s up to the last non-blank or escaped byte
	for {
		if p.eof() {
			return e, false
		}
		c := p.s[p.i]
		if c == ',' || c == '}' {
			break
		}
		if c == '{' || c == '"' {
			return e, false
		}
		p.i++
		if c == '\\' {
			if p.eof() {
				return e, false
			}
			c = p.s[p.i]
			p.i++
			escaped = true
			e.s = append(e.s, c)
			end = len(e.s)
			continue
		}
		e.s = append(e.s, c)
		if !isSpace(c) {
			end = len(e.s)
		}
	}
	e.s = e.s[:end]
	if !escaped && equalFoldASCII(e.s, "null") {
		e.null, e.s = true, nil
	}
	return e, true
}

// appendArrayLiteral writes the text form of an array of the given
// shape; elem appends element i's text (ok=false for NULL).
func appendArrayLiteral(buf []byte, dims, lbounds []int32, elem func(buf []byte, i int) ([]byte, bool, error)) ([]byte, error) {
	if len(dims) == 0 {
		return append(buf, "{}"...), nil
	}
	for _, lb := range lbounds {
		if lb != 1 {
			for d := range dims {
				buf = append(buf, '[')
				buf = appendInt(buf, int64(lbounds[d]))
				buf = append(buf, ':')
				buf = appendInt(buf, int64(lbounds[d])+int64(dims[d])-1)
				buf = append(buf, ']')
			}
			buf = append(buf, '=')
			break
		}
	}
	var err error
	idx := 0
	var walk func(d int)
	walk = func(d int) {
		buf = append(buf, '{')
		for j := int32(0); j < dims[d] && err == nil; j++ {
			if j > 0 {
				buf = append(buf, ',')
			}
			if d+1 < len(dims) {
				walk(d + 1)
				continue
			}
			start := len(buf)
			var ok bool
			buf, ok, err = elem(buf, idx)
			idx++
			if err != nil {
				return
			}
			if !ok {
				buf = append(buf[:start], "NULL"...)
				continue
			}
			buf = quoteArrayElem(buf, start)
		}
		buf = append(buf, '}')
	}
	walk(0)
	return buf, err
}

func appendInt(buf []byte, n int64) []byte {
	if n < 0 {
		return appendUint(append(buf, '-'), uint64(-n))
	}
	return appendUint(buf, uint64(n))
}

// quoteArrayElem quotes buf[start:] in place if array_out would.
func quoteArrayElem(buf []byte, start int) []byte {
	e := buf[start:]
	need := len(e) == 0 || equalFoldASCII(e, "null")
	extra := 0
	for _, c := range e {
		switch c {
		case '"', '\\':
			need = true
			extra++
		case '{', '}', ',', ' ', '\t', '\n', '\r', '\v', '\f':
			need = true
		}
	}
	if !need {
		return buf
	}
	n := len(e)
	buf = append(buf, make([]byte, 2+extra)...)
	e = buf[start:]
	// Fill from the end so the copy does not overwrite unread bytes.
	w := len(e) - 1
	e[w] = '"'
	w--
	for r := n - 1; r >= 0; r-- {
		c := e[r]
		e[w] = c
		w--
		if c == '"' || c == '\\' {
			e[w] = '\\'
			w--
		}
	}
	e[w] = '"'
	return buf
}

// decodeArrayText normalizes a text array parameter: every element goes
// through its type's input and output functions.
func decodeArrayText(oid uint32, b []byte) (any, error) {
	a, err := parseArrayLiteral(b)
	if err != nil {
		return nil, err
	}
	elemOID := ArrayElemOID(oid)
	ek := kindOf(elemOID)
	out, err := appendArrayLiteral(nil, a.dims, a.lbounds, func(buf []byte, i int) ([]byte, bool, error) {
		e := a.elems[i]
		if e.null {
			return buf, false, nil
		}
		v, err := decodeText(elemOID, ek, e.s)
		if err != nil {
			return buf, false, err
		}
		return appendText(buf, elemOID, ek, v), true, nil
	})
	if err != nil {
		return nil, err
	}
	return string(out), nil
}

// appendArrayBinary encodes a stored array literal in binary format.
func appendArrayBinary(buf []byte, oid uint32, v any) ([]byte, error) {
	var a *arrayLiteral
	var err error
	switch x := v.(type) {
	case string:
		a, err = parseArrayLiteral(x)
	case []byte:
		a, err = parseArrayLiteral(x)
	default:
		return buf, errMismatch(oid, v)
	}
	if err != nil {
		return buf, errMismatch(oid, v)
	}
	elemOID := ArrayElemOID(oid)
	ek := kindOf(elemOID)
	hasNull := uint32(0)
	for _, e := range a.elems {
		if e.null {
			hasNull = 1
		}
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(a.dims)))
	buf = binary.BigEndian.AppendUint32(buf, hasNull)
	buf = binary.BigEndian.AppendUint32(buf, elemOID)
	for i := range a.dims {
		buf = binary.BigEndian.AppendUint32(buf, uint32(a.dims[i]))
		buf = binary.BigEndian.AppendUint32(buf, uint32(a.lbounds[i]))
	}
	for _, e := range a.elems {
		if e.null {
			buf = binary.BigEndian.AppendUint32(buf, math.MaxUint32)
			continue
		}
		ev, err := decodeText(elemOID, ek, e.s)
		if err != nil {
			return buf, err
		}
		lenAt := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		if buf, err = appendBinary(buf, elemOID, ek, ev); err != nil {
			return buf, err
		}
		binary.BigEndian.PutUint32(buf[lenAt:], uint32(len(buf)-lenAt-4))
	}
	return buf, nil
}

// decodeArrayBinary is array_recv followed by array_out.
func decodeArrayBinary(oid uint32, b []byte) (any, error) {
	bad := func() error {
		return pgerr.New(pgerr.InvalidBinaryRepresentation, "incorrect binary data format for type %s", sqlTypeName(oid))
	}
	if len(b) < 12 {
		return nil, bad()
	}
	ndim := int32(binary.BigEndian.Uint32(b))
	flags := int32(binary.BigEndian.Uint32(b[4:]))
	elemOID := binary.BigEndian.Uint32(b[8:])
	if ndim < 0 || ndim > maxArrayDims {
		return nil, pgerr.New(pgerr.InvalidBinaryRepresentation, "invalid number of dimensions: %d", ndim)
	}
	if flags != 0 && flags != 1 {
		return nil, pgerr.New(pgerr.InvalidBinaryRepresentation, "invalid array flags")
	}
	if want := ArrayElemOID(oid); elemOID != want {
		return nil, pgerr.New(pgerr.DatatypeMismatch, "binary data has array element type %d (%s) instead of expected %d (%s)",
			elemOID, TypeName(elemOID), want, TypeName(want))
	}
	rest := b[12:]
	if len(rest) < int(ndim)*8 {
		return nil, bad()
	}
	dims := make([]int32, ndim)
	lbounds := make([]int32, ndim)
	total := int64(1)
	for i := range dims {
		dims[i] = int32(binary.BigEndian.Uint32(rest))
		lbounds[i] = int32(binary.BigEndian.Uint32(rest[4:]))
		rest = rest[8:]
		if dims[i] < 0 || int64(lbounds[i])+int64(dims[i]) > math.MaxInt32+1 {
			return nil, pgerr.New(pgerr.ProgramLimitExceeded, "array size exceeds the maximum allowed")
		}
		total *= int64(dims[i])
		if total > int64(len(rest))/4+1 {
			return nil, bad()
		}
	}
	if ndim > 0 && total == 0 {
		dims, lbounds = nil, nil
	}
	if ndim == 0 {
		total = 0
	}
	// Split the elements first so that a short buffer fails cleanly.
	type span struct{ off, n int }
	spans := make([]span, total)
	off := len(b) - len(rest)
	for i := range spans {
		if len(b)-off < 4 {
			return nil, bad()
		}
		n := int32(binary.BigEndian.Uint32(b[off:]))
		off += 4
		if n == -1 {
			spans[i] = span{-1, 0}
			continue
		}
		if n < 0 || int(n) > len(b)-off {
			return nil, bad()
		}
		spans[i] = span{off, int(n)}
		off += int(n)
	}
	if off != len(b) {
		return nil, bad()
	}
	ek := kindOf(elemOID)
	out, err := appendArrayLiteral(nil, dims, lbounds, func(buf []byte, i int) ([]byte, bool, error) {
		sp := spans[i]
		if sp.off < 0 {
			return buf, false, nil
		}
		v, err := decodeBinary(elemOID, ek, b[sp.off:sp.off+sp.n])
		if err != nil {
			return buf, false, err
		}
		if v == nil {
			return buf, false, nil
		}
		return appendText(buf, elemOID, ek, v), true, nil
	})
	if err != nil {
		return nil, err
	}
	return string(out), nil
}
