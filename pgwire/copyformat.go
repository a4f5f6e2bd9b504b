package pgwire

// COPY's data formats, as PostgreSQL 15 reads and writes them.
//
// TEXT: one row per line ending in "\n" ("\r\n" is accepted); fields
// separated by the delimiter (tab); a field whose raw text equals the
// null string (`\N`) is NULL; otherwise backslash escapes are resolved:
// \b \f \n \r \t \v, \ooo (1-3 octal digits), \xh[h] (1-2 hex digits),
// and \c for any other c is c itself (so \\ is a backslash and \<delim>
// a literal delimiter). A line consisting of `\.` ends the data.
//
// CSV: RFC 4180-like. Fields separated by the delimiter (','); a field
// may be quoted ('"'); inside quotes the delimiter and newlines are data
// and the escape character (the quote itself by default, so "" is one ")
// escapes a quote or an escape. An unquoted field equal to the null
// string ('') is NULL; a quoted one never is (so "" is the empty
// string), unless FORCE_NULL names the column. HEADER skips the first
// line. An unquoted line `\.` ends the data.
//
// BINARY: the 11-byte signature "PGCOPY\n\377\r\n\0", int32 flags (bit
// 16, WITH OIDS, and bits 17-31 are refused; bits 0-15 ignored), int32
// header-extension length and that many bytes (skipped); then per row an
// int16 field count followed by, per field, an int32 length (-1: NULL)
// and that many bytes in the column type's binary format; the int16 -1
// ends the data, and nothing may follow it. The input ending cleanly
// between rows is accepted too.
//
// The input is one byte stream: rows may span any number of reads and a
// read may end anywhere. MEMORY IS BOUNDED BY THE LARGEST ROW, and a row
// larger than CopyOptions.MaxRowSize (default 1 GiB, PostgreSQL's limit)
// is an error (54000) before it is buffered whole.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"strings"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// DefaultMaxCopyRowSize is PostgreSQL's limit on one COPY line or row.
const DefaultMaxCopyRowSize = 1<<30 - 1

// copySignature starts every binary COPY stream.
const copySignature = "PGCOPY\n\377\r\n\x00"

// CopyOptions are COPY's WITH options. The zero value is PostgreSQL's
// default: FORMAT text, DELIMITER tab, NULL `\N`, no header. For csv the
// defaults are DELIMITER ',', NULL ”, QUOTE '"', ESCAPE = QUOTE.
type CopyOptions struct {
	Format    string // "text" (or ""), "csv" or "binary"; case-insensitive
	Delimiter string // one single-byte character; "" for the default
	Null      string // the null string, used when NullSet
	NullSet   bool   // Null was given (NULL '' is not the text default)
	Header    bool   // text and csv: the first line names the columns
	Quote     string // csv only; "" for '"'
	Escape    string // csv only; "" for the quote character

	// Per-column csv options, indexed like the columns (nil: none).
	ForceQuote   []bool // COPY TO: quote every non-NULL value
	ForceNotNull []bool // COPY FROM: never match the null string
	ForceNull    []bool // COPY FROM: a quoted null string is NULL too

	// ColumnNames are the columns' names, for error messages.
	ColumnNames []string

	// MaxRowSize bounds one row's bytes; 0 means DefaultMaxCopyRowSize.
	MaxRowSize int
}

// copyFormat is a normalized CopyOptions.
type copyFormat struct {
	kind         byte // 't', 'c' or 'b'
	delim, quote byte
	escape       byte
	null         string
	header       bool
	forceQuote   []bool
	forceNotNull []bool
	forceNull    []bool
	names        []string
	maxRow       int
}

// WireFormat is the overall format of CopyInResponse/CopyOutResponse.
func (o CopyOptions) WireFormat() CopyFormat {
	if strings.EqualFold(o.Format, "binary") {
		return CopyBinary
	}
	return CopyText
}

// Validate checks the options as PostgreSQL's COPY does, with its
// error messages.
func (o CopyOptions) Validate() error {
	_, err := o.normalize()
	return err
}

func (o CopyOptions) normalize() (copyFormat, error) {
	f := copyFormat{names: o.ColumnNames, maxRow: o.MaxRowSize, header: o.Header}
	if f.maxRow <= 0 {
		f.maxRow = DefaultMaxCopyRowSize
	}
	switch strings.ToLower(o.Format) {
	case "", "text":
		f.kind = 't'
	case "csv":
		f.kind = 'c'
	case "binary":
		f.kind = 'b'
	default:
		return f, pgerr.New(pgerr.InvalidParameterValue, "COPY format \"%s\" not recognized", o.Format)
	}
	if f.kind == 'b' {
		switch {
		case o.Delimiter != "":
			return f, pgerr.New(pgerr.SyntaxError, "cannot specify DELIMITER in BINARY mode")
		case o.NullSet:
			return f, pgerr.New(pgerr.SyntaxError, "cannot specify NULL in BINARY mode")
		case o.Header:
			return f, pgerr.New(pgerr.FeatureNotSupported, "cannot specify HEADER in BINARY mode")
		}
	}
	if f.kind != 'c' {
		switch {
		case o.Quote != "":
			return f, pgerr.New(pgerr.FeatureNotSupported, "COPY quote available only in CSV mode")
		case o.Escape != "":
			return f, pgerr.New(pgerr.FeatureNotSupported, "COPY escape available only in CSV mode")
		case o.ForceQuote != nil:
			return f, pgerr.New(pgerr.FeatureNotSupported, "COPY force quote available only in CSV mode")
		case o.ForceNotNull != nil:
			return f, pgerr.New(pgerr.FeatureNotSupported, "COPY force not null available only in CSV mode")
		case o.ForceNull != nil:
			return f, pgerr.New(pgerr.FeatureNotSupported, "COPY force null available only in CSV mode")
		}
	}
	if f.kind == 'b' {
		return f, nil
	}
	delim := o.Delimiter
	if delim == "" {
		delim = "\t"
		if f.kind == 'c' {
			delim = ","
		}
	}
	if len(delim) != 1 {
		return f, pgerr.New(pgerr.FeatureNotSupported, "COPY delimiter must be a single one-byte character")
	}
	f.delim = delim[0]
	f.null = `\N`
	if f.kind == 'c' {
		f.null = ""
	}
	if o.NullSet {
		f.null = o.Null
	}
	if f.delim == '\n' || f.delim == '\r' {
		return f, pgerr.New(pgerr.InvalidParameterValue, "COPY delimiter cannot be newline or carriage return")
	}
	if strings.ContainsAny(f.null, "\r\n") {
		return f, pgerr.New(pgerr.InvalidParameterValue, "COPY null representation cannot use newline or carriage return")
	}
	if f.kind == 't' && strings.IndexByte(`\.abcdefghijklmnopqrstuvwxyz0123456789`, f.delim) >= 0 {
		return f, pgerr.New(pgerr.InvalidParameterValue, "COPY delimiter cannot be \"%s\"", delim)
	}
	if f.kind == 'c' {
		quote, escape := o.Quote, o.Escape
		if quote == "" {
			quote = `"`
		}
		if escape == "" {
			escape = quote
		}
		if len(quote) != 1 {
			return f, pgerr.New(pgerr.FeatureNotSupported, "COPY quote must be a single one-byte character")
		}
		if len(escape) != 1 {
			return f, pgerr.New(pgerr.FeatureNotSupported, "COPY escape must be a single one-byte character")
		}
		f.quote, f.escape = quote[0], escape[0]
		if f.delim == f.quote {
			return f, pgerr.New(pgerr.InvalidParameterValue, "COPY delimiter and quote must be different")
		}
		if strings.IndexByte(f.null, f.quote) >= 0 {
			return f, pgerr.New(pgerr.InvalidParameterValue, "CSV quote character must not appear in the NULL specification")
		}
		f.forceQuote, f.forceNotNull, f.forceNull = o.ForceQuote, o.ForceNotNull, o.ForceNull
	}
	if strings.IndexByte(f.null, f.delim) >= 0 {
		return f, pgerr.New(pgerr.InvalidParameterValue, "COPY delimiter must not appear in the NULL specification")
	}
	return f, nil
}

func (f *copyFormat) columnName(i int) string {
	if i < len(f.names) {
		return f.names[i]
	}
	return "column" + string(appendInt(nil, int64(i+1)))
}

func errBadCopy(format string, args ...any) error {
	return pgerr.New(pgerr.BadCopyFileFormat, format, args...)
}

func errRowTooLong(limit int) error {
	return pgerr.New(pgerr.ProgramLimitExceeded, "COPY row is longer than %d bytes", limit)
}

// ---- reading ----

// CopyReader decodes COPY FROM data into rows in SQLite representation.
type CopyReader struct {
	r    *bufio.Reader
	f    copyFormat
	oids []uint32
	err  error // sticky
	line int64

	started bool // header line or binary header consumed
	rec     []byte
	field   []byte
	spans   []fieldSpan
}

// fieldSpan is one raw field of rec: rec[start:end]; quoted reports a
// csv field that had quotes.
type fieldSpan struct {
	start, end int
	quoted     bool
}

// NewCopyReader reads COPY data in the format of opts for columns of the
// given types. Invalid options are reported by the first Next.
func NewCopyReader(r io.Reader, opts CopyOptions, columnOIDs []uint32) *CopyReader {
	f, err := opts.normalize()
	return &CopyReader{r: bufio.NewReaderSize(r, 64<<10), f: f, oids: columnOIDs, err: err}
}

// Line is the number of the line (text, csv) or row (binary) last read,
// counting from 1, for error context ("COPY t, line 3").
func (cr *CopyReader) Line() int64 { return cr.line }

// Next returns the next row, a new slice of len(columnOIDs) values, or
// io.EOF after the last one. Errors are *pgerr.Error; after an error
// Next keeps returning it.
func (cr *CopyReader) Next() ([]any, error) {
	if cr.err != nil {
		return nil, cr.err
	}
	var row []any
	var err error
	switch cr.f.kind {
	case 'b':
		row, err = cr.nextBinary()
	default:
		row, err = cr.nextText()
	}
	if err != nil {
		cr.err = err
		if err == io.EOF {
			// Consume what follows an end marker so that the protocol
			// layer sees CopyDone.
			_, _ = io.Copy(io.Discard, cr.r)
		}
	}
	return row, err
}

// readLine appends one raw line (with its "\n", if any) to cr.rec.
func (cr *CopyReader) readLine() error {
	for {
		chunk, err := cr.r.ReadSlice('\n')
		if len(cr.rec)+len(chunk) > cr.f.maxRow {
			return errRowTooLong(cr.f.maxRow)
		}
		cr.rec = append(cr.rec, chunk...)
		switch err {
		case nil:
			return nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			if len(chunk) == 0 {
				return io.EOF
			}
			return nil
		default:
			return err
		}
	}
}

func (cr *CopyReader) nextText() ([]any, error) {
	for {
		cr.rec = cr.rec[:0]
		if err := cr.readLine(); err != nil {
			if err == io.EOF && len(cr.rec) > 0 {
				err = nil
			} else {
				return nil, err
			}
		}
		cr.line++
		var quotedNewline bool
		if cr.f.kind == 'c' {
			// A quoted field may hold newlines: read on until the quotes
			// balance.
			inQuote, pos := false, 0
			for {
				inQuote, pos = cr.scanCSVQuotes(inQuote, pos)
				if !inQuote {
					break
				}
				quotedNewline = true
				n := len(cr.rec)
				if err := cr.readLine(); err != nil {
					if err == io.EOF {
						return nil, errBadCopy("unterminated CSV quoted field")
					}
					return nil, err
				}
				if len(cr.rec) == n {
					return nil, errBadCopy("unterminated CSV quoted field")
				}
				cr.line++
			}
		}
		line := cr.rec
		if n := len(line); n > 0 && line[n-1] == '\n' {
			line = line[:n-1]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
		} else if n > 0 && line[n-1] == '\r' && cr.f.kind == 't' {
			line = line[:n-1]
		}
		cr.rec = line
		if !quotedNewline && string(line) == `\.` {
			return nil, io.EOF
		}
		if !cr.started {
			cr.started = true
			if cr.f.header {
				continue
			}
		}
		if cr.f.kind == 'c' {
			cr.splitCSV()
		} else {
			cr.splitText()
		}
		return cr.convertFields()
	}
}

// scanCSVQuotes continues scanning cr.rec from pos in quote state
// inQuote, and returns the state at the end.
func (cr *CopyReader) scanCSVQuotes(inQuote bool, pos int) (bool, int) {
	q, e := cr.f.quote, cr.f.escape
	b := cr.rec
	for i := pos; i < len(b); i++ {
		c := b[i]
		if !inQuote {
			if c == q {
				inQuote = true
			}
			continue
		}
		if c == e && i+1 < len(b) && (b[i+1] == q || b[i+1] == e) && (e != q || b[i+1] == q) {
			i++
			continue
		}
		if c == q {
			inQuote = false
		}
	}
	return inQuote, len(b)
}

func (cr *CopyReader) splitText() {
	cr.spans = cr.spans[:0]
	b, d := cr.rec, cr.f.delim
	start := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case d:
			cr.spans = append(cr.spans, fieldSpan{start: start, end: i})
			start = i + 1
		}
	}
	cr.spans = append(cr.spans, fieldSpan{start: start, end: len(b)})
}

// unescapeText resolves text-format backslash escapes of raw into
// cr.field.
func (cr *CopyReader) unescapeText(raw []byte) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw
	}
	out := cr.field[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 == len(raw) {
			out = append(out, c)
			continue
		}
		i++
		c = raw[i]
		switch c {
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'v':
			c = '\v'
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(c - '0')
			for k := 0; k < 2 && i+1 < len(raw) && raw[i+1] >= '0' && raw[i+1] <= '7'; k++ {
				i++
				v = v*8 + int(raw[i]-'0')
			}
			c = byte(v)
		case 'x':
			if i+1 < len(raw) {
				if h, ok := unhex(raw[i+1]); ok {
					i++
					v := h
					if i+1 < len(raw) {
						if h2, ok := unhex(raw[i+1]); ok {
							i++
							v = v<<4 | h2
						}
					}
					c = v
				}
			}
		}
		out = append(out, c)
	}
	cr.field = out
	return out
}

func (cr *CopyReader) splitCSV() {
	cr.spans = cr.spans[:0]
	b, d, q, e := cr.rec, cr.f.delim, cr.f.quote, cr.f.escape
	// Fields are unquoted in place: w trails r, and a field's bytes end
	// up in b[start:w].
	r, w := 0, 0
	for {
		start := w
		quoted := false
		for r < len(b) && b[r] != d {
			c := b[r]
			if c != q {
				b[w] = c
				w++
				r++
				continue
			}
			quoted = true
			r++
			for r < len(b) {
				c = b[r]
				if c == e && r+1 < len(b) && (b[r+1] == q || b[r+1] == e) && (e != q || b[r+1] == q) {
					b[w] = b[r+1]
					w++
					r += 2
					continue
				}
				if c == q {
					r++
					break
				}
				b[w] = c
				w++
				r++
			}
		}
		cr.spans = append(cr.spans, fieldSpan{start: start, end: w, quoted: quoted})
		if r >= len(b) {
			break
		}
		r++ // delimiter
		w++ // keep the delimiter slot so that spans stay disjoint
	}
}

func (cr *CopyReader) convertFields() ([]any, error) {
	n := len(cr.oids)
	spans := cr.spans
	if n == 0 && len(spans) == 1 && spans[0].end == spans[0].start && !spans[0].quoted {
		spans = nil
	}
	if len(spans) > n {
		return nil, errBadCopy("extra data after last expected column")
	}
	row := make([]any, n)
	for i := 0; i < n; i++ {
		if i >= len(spans) {
			return nil, errBadCopy("missing data for column \"%s\"", cr.f.columnName(i))
		}
		sp := spans[i]
		raw := cr.rec[sp.start:sp.end]
		if cr.isNull(i, raw, sp.quoted) {
			continue
		}
		if cr.f.kind == 't' {
			raw = cr.unescapeText(raw)
		}
		v, err := DecodeParam(cr.oids[i], FormatText, raw)
		if err != nil {
			if e := pgerr.As(err); e != nil && e.Column == "" {
				e.Column = cr.f.columnName(i)
			}
			return nil, err
		}
		row[i] = v
	}
	return row, nil
}

func (cr *CopyReader) isNull(i int, raw []byte, quoted bool) bool {
	if string(raw) != cr.f.null {
		return false
	}
	if cr.f.kind == 't' {
		return true
	}
	if i < len(cr.f.forceNotNull) && cr.f.forceNotNull[i] {
		return false
	}
	if quoted {
		return i < len(cr.f.forceNull) && cr.f.forceNull[i]
	}
	return true
}

// readFull reads n bytes into cr.field, growing it only as data arrives.
func (cr *CopyReader) readFull(n int) ([]byte, error) {
	buf := cr.field[:0]
	for len(buf) < n {
		step := n - len(buf)
		if step > 64<<10 {
			step = 64 << 10
		}
		off := len(buf)
		if cap(buf)-off < step {
			nb := make([]byte, off, off+max(step, off))
			copy(nb, buf)
			buf = nb
		}
		buf = buf[:off+step]
		if _, err := io.ReadFull(cr.r, buf[off:]); err != nil {
			cr.field = buf[:0]
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, errBadCopy("unexpected EOF in COPY data")
			}
			return nil, err
		}
	}
	cr.field = buf
	return buf, nil
}

func (cr *CopyReader) readBinaryHeader() error {
	sig, err := cr.readFull(len(copySignature) + 8)
	if err != nil || string(sig[:len(copySignature)]) != copySignature {
		if err != nil && pgerr.CodeOf(err) != pgerr.BadCopyFileFormat {
			return err
		}
		return errBadCopy("COPY file signature not recognized")
	}
	flags := binary.BigEndian.Uint32(sig[len(copySignature):])
	extLen := int32(binary.BigEndian.Uint32(sig[len(copySignature)+4:]))
	if flags&(1<<16) != 0 {
		return errBadCopy("invalid COPY file header (WITH OIDS)")
	}
	if flags>>17 != 0 {
		return errBadCopy("unrecognized critical flags in COPY file header")
	}
	if extLen < 0 {
		return errBadCopy("invalid COPY file header (missing length)")
	}
	if n, err := io.CopyN(io.Discard, cr.r, int64(extLen)); err != nil || n != int64(extLen) {
		return errBadCopy("invalid COPY file header (wrong length)")
	}
	return nil
}

func (cr *CopyReader) nextBinary() ([]any, error) {
	if !cr.started {
		cr.started = true
		if err := cr.readBinaryHeader(); err != nil {
			return nil, err
		}
	}
	var cnt [2]byte
	if _, err := io.ReadFull(cr.r, cnt[:]); err != nil {
		if err == io.EOF {
			return nil, io.EOF // no trailer: accepted, as PostgreSQL does
		}
		if err == io.ErrUnexpectedEOF {
			return nil, errBadCopy("unexpected EOF in COPY data")
		}
		return nil, err
	}
	cr.line++
	fields := int16(binary.BigEndian.Uint16(cnt[:]))
	if fields == -1 {
		if _, err := cr.r.ReadByte(); err == nil {
			return nil, errBadCopy("received copy data after EOF marker")
		}
		return nil, io.EOF
	}
	if int(fields) != len(cr.oids) {
		return nil, errBadCopy("row field count is %d, expected %d", fields, len(cr.oids))
	}
	row := make([]any, len(cr.oids))
	total := 2
	for i := range row {
		var lb [4]byte
		if _, err := io.ReadFull(cr.r, lb[:]); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, errBadCopy("unexpected EOF in COPY data")
			}
			return nil, err
		}
		n := int32(binary.BigEndian.Uint32(lb[:]))
		if n == -1 {
			continue
		}
		if n < -1 {
			return nil, errBadCopy("invalid field size")
		}
		total += 4 + int(n)
		if total > cr.f.maxRow {
			return nil, errRowTooLong(cr.f.maxRow)
		}
		data, err := cr.readFull(int(n))
		if err != nil {
			return nil, err
		}
		v, err := DecodeParam(cr.oids[i], FormatBinary, data)
		if err != nil {
			if e := pgerr.As(err); e != nil && e.Column == "" {
				e.Column = cr.f.columnName(i)
			}
			return nil, err
		}
		row[i] = v
	}
	return row, nil
}

// ---- writing ----

// CopyWriter encodes rows in SQLite representation as COPY TO data. Each
// WriteHeader, WriteRow and Close makes at most one Write call, so over
// the protocol each row is one CopyData message, as PostgreSQL sends.
type CopyWriter struct {
	w        io.Writer
	f        copyFormat
	oids     []uint32
	err      error
	started  bool // header (csv/text) or signature (binary) written
	buf, scr []byte
	closed   bool
}

// NewCopyWriter writes COPY data in the format of opts for columns of
// the given types. Invalid options are reported by the first call.
func NewCopyWriter(w io.Writer, opts CopyOptions, columnOIDs []uint32) *CopyWriter {
	f, err := opts.normalize()
	return &CopyWriter{w: w, f: f, oids: columnOIDs, err: err}
}

// WriteHeader starts the output: with HEADER (text, csv) the line of
// column names; in binary format the file header. Calling it is
// optional: the first WriteRow starts the output too (without names).
func (cw *CopyWriter) WriteHeader(names []string) error {
	if cw.err != nil {
		return cw.err
	}
	if cw.started {
		return nil
	}
	cw.started = true
	cw.buf = cw.buf[:0]
	switch cw.f.kind {
	case 'b':
		cw.buf = appendBinaryCopyHeader(cw.buf)
	default:
		if !cw.f.header {
			return nil
		}
		for i, name := range names {
			if i > 0 {
				cw.buf = append(cw.buf, cw.f.delim)
			}
			if cw.f.kind == 'c' {
				cw.buf = cw.appendCSV(cw.buf, []byte(name), false, len(names) == 1)
			} else {
				cw.buf = cw.appendTextEscaped(cw.buf, []byte(name))
			}
		}
		cw.buf = append(cw.buf, '\n')
	}
	return cw.flush()
}

func appendBinaryCopyHeader(buf []byte) []byte {
	buf = append(buf, copySignature...)
	return append(buf, 0, 0, 0, 0, 0, 0, 0, 0)
}

func (cw *CopyWriter) flush() error {
	if len(cw.buf) == 0 {
		return nil
	}
	if _, err := cw.w.Write(cw.buf); err != nil {
		cw.err = err
		return err
	}
	cw.buf = cw.buf[:0]
	return nil
}

// WriteRow writes one row; values are in SQLite representation, one per
// column, nil for NULL.
func (cw *CopyWriter) WriteRow(values []any) error {
	if cw.err != nil {
		return cw.err
	}
	if cw.closed {
		return pgerr.New(pgerr.InternalError, "COPY writer is closed")
	}
	if len(values) != len(cw.oids) {
		return pgerr.New(pgerr.InternalError, "COPY row has %d values for %d columns", len(values), len(cw.oids))
	}
	cw.buf = cw.buf[:0]
	if !cw.started {
		cw.started = true
		if cw.f.kind == 'b' {
			cw.buf = appendBinaryCopyHeader(cw.buf)
		}
	}
	var err error
	if cw.f.kind == 'b' {
		cw.buf = binary.BigEndian.AppendUint16(cw.buf, uint16(len(values)))
		for i, v := range values {
			if v == nil {
				cw.buf = binary.BigEndian.AppendUint32(cw.buf, math.MaxUint32)
				continue
			}
			at := len(cw.buf)
			cw.buf = append(cw.buf, 0, 0, 0, 0)
			if cw.buf, err = AppendValue(cw.buf, cw.oids[i], FormatBinary, v); err != nil {
				return err
			}
			binary.BigEndian.PutUint32(cw.buf[at:], uint32(len(cw.buf)-at-4))
		}
		return cw.flush()
	}
	for i, v := range values {
		if i > 0 {
			cw.buf = append(cw.buf, cw.f.delim)
		}
		if v == nil {
			cw.buf = append(cw.buf, cw.f.null...)
			continue
		}
		if cw.scr, err = AppendValue(cw.scr[:0], cw.oids[i], FormatText, v); err != nil {
			return err
		}
		if cw.f.kind == 'c' {
			force := i < len(cw.f.forceQuote) && cw.f.forceQuote[i]
			cw.buf = cw.appendCSV(cw.buf, cw.scr, force, len(values) == 1)
		} else {
			cw.buf = cw.appendTextEscaped(cw.buf, cw.scr)
		}
	}
	cw.buf = append(cw.buf, '\n')
	return cw.flush()
}

// Close ends the output: in binary format it writes the trailer (and the
// header if nothing was written). It does not close the underlying
// writer.
func (cw *CopyWriter) Close() error {
	if cw.err != nil {
		return cw.err
	}
	if cw.closed {
		return nil
	}
	cw.closed = true
	if cw.f.kind != 'b' {
		return nil
	}
	cw.buf = cw.buf[:0]
	if !cw.started {
		cw.started = true
		cw.buf = appendBinaryCopyHeader(cw.buf)
	}
	cw.buf = append(cw.buf, 0xFF, 0xFF)
	return cw.flush()
}

// appendTextEscaped is CopyAttributeOutText.
func (cw *CopyWriter) appendTextEscaped(buf, s []byte) []byte {
	d := cw.f.delim
	for _, c := range s {
		if c < 0x20 {
			var e byte
			switch c {
			case '\b':
				e = 'b'
			case '\f':
				e = 'f'
			case '\n':
				e = 'n'
			case '\r':
				e = 'r'
			case '\t':
				e = 't'
			case '\v':
				e = 'v'
			default:
				if c == d {
					buf = append(buf, '\\', c)
				} else {
					buf = append(buf, c)
				}
				continue
			}
			buf = append(buf, '\\', e)
			continue
		}
		if c == '\\' || c == d {
			buf = append(buf, '\\')
		}
		buf = append(buf, c)
	}
	return buf
}

// appendCSV is CopyAttributeOutCSV.
func (cw *CopyWriter) appendCSV(buf, s []byte, force, singleColumn bool) []byte {
	q, e, d := cw.f.quote, cw.f.escape, cw.f.delim
	quote := force || string(s) == cw.f.null
	if !quote {
		if singleColumn && string(s) == `\.` {
			quote = true
		} else {
			for _, c := range s {
				if c == d || c == q || c == '\n' || c == '\r' {
					quote = true
					break
				}
			}
		}
	}
	if !quote {
		return append(buf, s...)
	}
	buf = append(buf, q)
	for _, c := range s {
		if c == q || c == e {
			buf = append(buf, e)
		}
		buf = append(buf, c)
	}
	return append(buf, q)
}
