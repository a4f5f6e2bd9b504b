package pgwire

import (
	"encoding/binary"
	"io"
	"math"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// resultWriter is the connection's ResultWriter. In simple mode each
// statement announces its columns with Describe (RowDescription, text
// format); in extended mode the portal's columns and the result formats
// from Bind are fixed before Execute and Describe is a no-op.
type resultWriter struct {
	c        *conn
	extended bool
	cols     []Column
	formats  []int16 // per column; nil means text for all
	copyIn   *copyInReader
	copyOut  bool
	stream   *copyStream // the CopyBoth stream (copyIn is its reader), until the session call ends
}

var (
	_ ResultWriter       = (*resultWriter)(nil)
	_ PreparedStatements = (*resultWriter)(nil)
)

// PreparedStatements is implemented by the ResultWriter that pgwire passes
// to Session.Query and Portal.Execute. In PostgreSQL, SQL-level
// DEALLOCATE (and DISCARD ALL) act on the prepared statements made by
// Parse messages, which pgwire keeps: a session runs them through this
// interface (pgx's DeallocateAll sends "deallocate all" and then
// re-parses its cached statement names).
type PreparedStatements interface {
	// DeallocatePrepared closes the named prepared statement and reports
	// whether it existed (DEALLOCATE of an unknown name is 26000).
	DeallocatePrepared(name string) bool
	// DeallocateAllPrepared closes every named prepared statement (the
	// unnamed one is not SQL's to drop). Portals made from them stay
	// usable, as in PostgreSQL.
	DeallocateAllPrepared()
}

// DeallocatePrepared implements PreparedStatements.
func (w *resultWriter) DeallocatePrepared(name string) bool {
	if _, ok := w.c.stmts[name]; !ok {
		return false
	}
	w.c.closeStatement(name)
	return true
}

// DeallocateAllPrepared implements PreparedStatements.
func (w *resultWriter) DeallocateAllPrepared() {
	for name := range w.c.stmts {
		if name != "" {
			w.c.closeStatement(name)
		}
	}
}

// beginSimple prepares the writer for a simple Query.
func (w *resultWriter) beginSimple() {
	*w = resultWriter{c: w.c}
}

// beginPortal prepares the writer for an Execute of p.
func (w *resultWriter) beginPortal(p *portalState) {
	*w = resultWriter{c: w.c, extended: true, cols: p.cols, formats: p.formats}
}

// Describe sends RowDescription for a simple-protocol statement.
func (w *resultWriter) Describe(cols []Column) error {
	if w.extended {
		return nil
	}
	w.cols = cols
	w.formats = nil
	w.c.wbuf = appendRowDescription(w.c.wbuf, cols, nil)
	return w.c.maybeFlush()
}

// Row encodes one DataRow straight into the output buffer.
func (w *resultWriter) Row(values []any) error {
	if len(values) != len(w.cols) {
		return pgerr.New(pgerr.InternalError, "row has %d values but the result has %d columns", len(values), len(w.cols))
	}
	c := w.c
	start := len(c.wbuf)
	buf := append(c.wbuf, 'D', 0, 0, 0, 0)
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(values)))
	for i, v := range values {
		if v == nil {
			buf = binary.BigEndian.AppendUint32(buf, math.MaxUint32) // -1: NULL
			continue
		}
		lenAt := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		var format int16
		if w.formats != nil {
			format = w.formats[i]
		}
		var err error
		buf, err = AppendValue(buf, w.cols[i].TypeOID, format, v)
		if err != nil {
			c.wbuf = buf[:start]
			return err
		}
		n := len(buf) - lenAt - 4
		if n > math.MaxInt32 {
			c.wbuf = buf[:start]
			return pgerr.New(pgerr.ProgramLimitExceeded, "value of column %q too large", w.cols[i].Name)
		}
		binary.BigEndian.PutUint32(buf[lenAt:], uint32(n))
	}
	if len(buf)-start-1 > math.MaxInt32 {
		c.wbuf = buf[:start]
		return pgerr.New(pgerr.ProgramLimitExceeded, "row too large")
	}
	binary.BigEndian.PutUint32(buf[start+1:], uint32(len(buf)-start-1))
	c.wbuf = buf
	return c.maybeFlush()
}

// Complete ends a statement: CopyDone first after COPY TO STDOUT; after
// COPY FROM STDIN the rest of the client's data is read up to CopyDone.
// The tags DEALLOCATE ALL and DISCARD ALL close the named statements.
func (w *resultWriter) Complete(tag string) error {
	if w.stream != nil {
		// The session ended a CopyBoth exchange: the client's rest (its
		// CopyDone, if it was still streaming) is not waited for.
		w.endCopyBoth()
	}
	if w.copyIn != nil {
		in := w.copyIn
		w.copyIn = nil
		if err := in.drain(); err != nil {
			return err
		}
	}
	if w.copyOut {
		w.copyOut = false
		w.c.wbuf = appendEmpty(w.c.wbuf, 'c') // CopyDone
	}
	if tag == "DEALLOCATE ALL" || tag == "DISCARD ALL" {
		// These tags mean the named statements are gone, whether or not
		// the session said so through PreparedStatements.
		w.DeallocateAllPrepared()
	}
	w.c.wbuf = appendCommandComplete(w.c.wbuf, tag)
	if !w.extended {
		w.cols, w.formats = nil, nil
	}
	return w.c.maybeFlush()
}

// EmptyQuery answers an empty statement.
func (w *resultWriter) EmptyQuery() error {
	w.c.wbuf = appendEmpty(w.c.wbuf, 'I')
	return w.c.maybeFlush()
}

// Notice sends a NoticeResponse.
func (w *resultWriter) Notice(n *Notice) error {
	w.c.wbuf, _ = noticeResponse(n).Encode(w.c.wbuf)
	return w.c.maybeFlush()
}

// CopyIn starts COPY FROM STDIN; see copy.go.
func (w *resultWriter) CopyIn(format CopyFormat, columns int) (io.Reader, error) {
	return w.startCopyIn(format, columns)
}

// CopyOut starts COPY TO STDOUT; see copy.go.
func (w *resultWriter) CopyOut(format CopyFormat, columns int) (io.Writer, error) {
	return w.startCopyOut(format, columns)
}

// Backend message encoders for the messages sent often. Each appends one
// complete message to buf.

func beginMessage(buf []byte, typ byte) ([]byte, int) {
	return append(buf, typ, 0, 0, 0, 0), len(buf)
}

func finishMessage(buf []byte, start int) []byte {
	binary.BigEndian.PutUint32(buf[start+1:], uint32(len(buf)-start-1))
	return buf
}

// appendEmpty appends a message without a body (ParseComplete '1',
// BindComplete '2', CloseComplete '3', NoData 'n', PortalSuspended 's',
// EmptyQueryResponse 'I', CopyDone 'c').
func appendEmpty(buf []byte, typ byte) []byte {
	return append(buf, typ, 0, 0, 0, 4)
}

func appendCString(buf []byte, s string) []byte {
	return append(append(buf, s...), 0)
}

func appendReadyForQuery(buf []byte, status byte) []byte {
	return append(buf, 'Z', 0, 0, 0, 5, status)
}

func appendCommandComplete(buf []byte, tag string) []byte {
	buf, start := beginMessage(buf, 'C')
	buf = appendCString(buf, tag)
	return finishMessage(buf, start)
}

func appendParameterStatus(buf []byte, name, value string) []byte {
	buf, start := beginMessage(buf, 'S')
	buf = appendCString(buf, name)
	buf = appendCString(buf, value)
	return finishMessage(buf, start)
}

func appendBackendKeyData(buf []byte, pid, secret uint32) []byte {
	buf = append(buf, 'K', 0, 0, 0, 12)
	buf = binary.BigEndian.AppendUint32(buf, pid)
	return binary.BigEndian.AppendUint32(buf, secret)
}

func appendParameterDescription(buf []byte, oids []uint32) []byte {
	buf, start := beginMessage(buf, 't')
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(oids)))
	for _, oid := range oids {
		buf = binary.BigEndian.AppendUint32(buf, oid)
	}
	return finishMessage(buf, start)
}

// appendRowDescription appends RowDescription for cols with formats (nil:
// text for all). A zero TypeSize is filled in from the type.
func appendRowDescription(buf []byte, cols []Column, formats []int16) []byte {
	buf, start := beginMessage(buf, 'T')
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(cols)))
	for i, col := range cols {
		buf = appendCString(buf, col.Name)
		buf = binary.BigEndian.AppendUint32(buf, col.TableOID)
		buf = binary.BigEndian.AppendUint16(buf, uint16(col.AttrNum))
		buf = binary.BigEndian.AppendUint32(buf, col.TypeOID)
		size := col.TypeSize
		if size == 0 {
			size = TypeSize(col.TypeOID)
		}
		buf = binary.BigEndian.AppendUint16(buf, uint16(size))
		buf = binary.BigEndian.AppendUint32(buf, uint32(col.TypeModifier))
		var format int16
		if formats != nil {
			format = formats[i]
		}
		buf = binary.BigEndian.AppendUint16(buf, uint16(format))
	}
	return finishMessage(buf, start)
}

// appendCopyResponse appends CopyInResponse ('G') or CopyOutResponse
// ('H'): the overall format and the same format for every column.
func appendCopyResponse(buf []byte, typ byte, format CopyFormat, columns int) []byte {
	buf, start := beginMessage(buf, typ)
	buf = append(buf, byte(format))
	buf = binary.BigEndian.AppendUint16(buf, uint16(columns))
	for range columns {
		buf = binary.BigEndian.AppendUint16(buf, uint16(format))
	}
	return finishMessage(buf, start)
}
