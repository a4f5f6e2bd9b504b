package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// A transaction record is the WAL payload of one committed writing
// transaction: the SQLite statements it ran, in order, with their bound
// arguments (which pin every non-deterministic input: now(), random
// seeds, …). Replaying the statements in order on any node yields the same
// table contents.
//
// Payload layout (all integers are unsigned varints unless noted):
//
//	byte     format version, 1
//	varint   transaction start time, microseconds since the Unix epoch (zig-zag)
//	then statements until the end of the payload, each:
//	  varint   length of the SQL text, then the text (UTF-8)
//	  varint   number of arguments A
//	  A times: one tag byte, then the value:
//	    0 NULL      (nothing)
//	    1 integer   zig-zag varint
//	    2 real      8 bytes, IEEE 754 bits, little endian
//	    3 text      varint length, bytes
//	    4 blob      varint length, bytes
//
// Decoding refuses unknown tags, counts and lengths past the end of the
// payload, so a corrupt record is an error and never a huge
// allocation.

// RecordTxn is the WAL record type of a transaction record.
const RecordTxn = 1

// Statement is one SQLite statement of a transaction with its arguments.
type Statement struct {
	SQL  string
	Args []any
}

// TxnRecord is a decoded transaction record.
type TxnRecord struct {
	Start      time.Time
	Statements []Statement
}

// ErrBadRecord is returned for a payload that is not a valid transaction
// record.
var ErrBadRecord = errors.New("store: malformed transaction record")

const recordVersion = 1

const (
	tagNull = iota
	tagInt
	tagReal
	tagText
	tagBlob
)

// AppendRecord appends the encoding of r to dst.
func AppendRecord(dst []byte, r *TxnRecord) []byte {
	dst = appendRecordHeader(dst, r.Start)
	for _, st := range r.Statements {
		dst = appendStatement(dst, st.SQL, st.Args)
	}
	return dst
}

// appendRecordHeader starts a record; statements follow with
// appendStatement.
func appendRecordHeader(dst []byte, start time.Time) []byte {
	dst = append(dst, recordVersion)
	return binary.AppendVarint(dst, start.UnixMicro())
}

// appendStatement encodes one statement. It copies every argument, so the
// caller may reuse them afterwards.
func appendStatement(dst []byte, sql string, args []any) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(sql)))
	dst = append(dst, sql...)
	dst = binary.AppendUvarint(dst, uint64(len(args)))
	for _, a := range args {
		dst = appendArg(dst, a)
	}
	return dst
}

func appendArg(dst []byte, a any) []byte {
	switch v := a.(type) {
	case nil:
		return append(dst, tagNull)
	case int64:
		return binary.AppendVarint(append(dst, tagInt), v)
	case int:
		return binary.AppendVarint(append(dst, tagInt), int64(v))
	case int32:
		return binary.AppendVarint(append(dst, tagInt), int64(v))
	case bool:
		b := int64(0)
		if v {
			b = 1
		}
		return binary.AppendVarint(append(dst, tagInt), b)
	case float64:
		return binary.LittleEndian.AppendUint64(append(dst, tagReal), math.Float64bits(v))
	case float32:
		return binary.LittleEndian.AppendUint64(append(dst, tagReal), math.Float64bits(float64(v)))
	case string:
		dst = binary.AppendUvarint(append(dst, tagText), uint64(len(v)))
		return append(dst, v...)
	case []byte:
		dst = binary.AppendUvarint(append(dst, tagBlob), uint64(len(v)))
		return append(dst, v...)
	case time.Time:
		// The SQLite driver binds a time.Time as text in this layout.
		s := v.Format("2006-01-02 15:04:05.999999999-07:00")
		dst = binary.AppendUvarint(append(dst, tagText), uint64(len(s)))
		return append(dst, s...)
	}
	panic(fmt.Sprintf("store: cannot log argument of type %T", a))
}

// DecodeRecord decodes a transaction record payload.
func DecodeRecord(p []byte) (*TxnRecord, error) {
	d := decoder{p: p}
	if v := d.byte(); v != recordVersion {
		return nil, fmt.Errorf("%w: version %d", ErrBadRecord, v)
	}
	r := &TxnRecord{Start: time.UnixMicro(d.varint()).UTC()}
	for len(d.p) > 0 && d.err == nil {
		st := Statement{SQL: string(d.bytes())}
		na := d.count()
		if na > 0 {
			st.Args = make([]any, 0, na)
		}
		for j := 0; j < na && d.err == nil; j++ {
			st.Args = append(st.Args, d.arg())
		}
		r.Statements = append(r.Statements, st)
	}
	if d.err != nil {
		return nil, d.err
	}
	return r, nil
}

type decoder struct {
	p   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s", ErrBadRecord, what)
	}
	d.p = nil
}

func (d *decoder) byte() byte {
	if len(d.p) < 1 {
		d.fail("byte")
		return 0
	}
	b := d.p[0]
	d.p = d.p[1:]
	return b
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.p)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.p = d.p[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.p)
	if n <= 0 {
		d.fail("uvarint")
		return 0
	}
	d.p = d.p[n:]
	return v
}

// count reads a number of items; each item takes at least one byte, so a
// count past the remaining bytes is corrupt (and never allocated).
func (d *decoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.p)) {
		d.fail("count")
		return 0
	}
	return int(v)
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.p)) {
		d.fail("length")
		return nil
	}
	b := d.p[:n:n]
	d.p = d.p[n:]
	return b
}

func (d *decoder) arg() any {
	switch d.byte() {
	case tagNull:
		return nil
	case tagInt:
		return d.varint()
	case tagReal:
		if len(d.p) < 8 {
			d.fail("real")
			return nil
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(d.p))
		d.p = d.p[8:]
		return v
	case tagText:
		return string(d.bytes())
	case tagBlob:
		// Never nil: an empty blob is not NULL.
		return append(make([]byte, 0, 1), d.bytes()...)
	}
	d.fail("tag")
	return nil
}
