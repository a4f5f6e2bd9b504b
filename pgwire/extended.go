package pgwire

import (
	"encoding/binary"
	"math"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// preparedStmt is a statement created by Parse. Named statements live
// until Close or the end of the session; the unnamed one until the next
// Parse or simple Query replaces it.
type preparedStmt struct {
	prep      Prepared
	paramOIDs []uint32
	cols      []Column
}

// portalState is a portal created by Bind, with its result formats
// expanded to one per column (nil: text for all). Portals live until
// Close, a Bind that reuses the name (unnamed only), or the end of the
// transaction (a Sync or Query after which the session is idle).
type portalState struct {
	portal  Portal
	cols    []Column
	formats []int16
	// done: an Execute ran the portal to completion. A portal without
	// result columns cannot run again (55000), as in PostgreSQL, whatever
	// the session would do: an INSERT must not run twice.
	done bool
}

// handleExtended runs Parse, Bind, Describe, Execute, Close or Flush.
// After an error the session is told (SyncError) and messages are
// discarded until Sync.
func (c *conn) handleExtended(typ byte, body []byte) bool {
	var err error
	switch typ {
	case 'P':
		err = c.handleParse(body)
	case 'B':
		err = c.handleBind(body)
	case 'D':
		err = c.handleDescribe(body)
	case 'E':
		err = c.handleExecute(body)
	case 'C':
		err = c.handleClose(body)
	case 'H':
		if len(body) != 0 {
			return c.fatal(errInvalidFormat)
		}
		return c.flush() == nil
	}
	if err == nil {
		return c.broken == nil
	}
	if c.sendError(err) {
		return false
	}
	c.sess.SyncError()
	c.ignoreTillSync = true
	return true
}

// errInvalidFormat answers a message whose body does not parse.
var errInvalidFormat = pgerr.Fatal(pgerr.ProtocolViolation, "invalid message format")

// handleSync ends an extended-protocol batch.
func (c *conn) handleSync(body []byte) bool {
	if len(body) != 0 {
		return c.fatal(errInvalidFormat)
	}
	c.ignoreTillSync = false
	ctx := c.beginStatement()
	err := sessionErr(c.sess.Sync(ctx))
	c.endStatement()
	if err != nil && c.sendError(err) {
		return false
	}
	c.endOfTransactionCleanup()
	return c.sendReady()
}

// endOfTransactionCleanup drops the portals once no transaction block is
// open: PostgreSQL's portals do not survive their transaction.
func (c *conn) endOfTransactionCleanup() {
	if len(c.portals) > 0 && c.sess.TxStatus() == 'I' {
		c.closeAllPortals()
	}
}

func (c *conn) handleParse(body []byte) error {
	name, rest, ok1 := cutCString(body)
	query, rest, ok2 := cutCString(rest)
	if !ok1 || !ok2 || len(rest) < 2 {
		return errInvalidFormat
	}
	n := int(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	if len(rest) != 4*n {
		return errInvalidFormat
	}
	var oids []uint32
	if n > 0 {
		oids = make([]uint32, n)
		for i := range oids {
			oids[i] = binary.BigEndian.Uint32(rest[4*i:])
		}
	}
	if name != "" {
		if _, dup := c.stmts[name]; dup {
			return pgerr.New(pgerr.DuplicatePreparedStatement, "prepared statement %q already exists", name)
		}
	} else {
		c.closeStatement("")
	}
	ctx := c.beginStatement()
	prep, err := c.sess.Prepare(ctx, query, oids)
	c.endStatement()
	if err = sessionErr(err); err != nil || prep == nil {
		if err == nil {
			err = pgerr.New(pgerr.InternalError, "session returned no prepared statement")
		}
		return err
	}
	st := &preparedStmt{prep: prep, paramOIDs: prep.ParamOIDs(), cols: prep.Columns()}
	if len(st.paramOIDs) > math.MaxUint16 || len(st.cols) > math.MaxUint16 {
		prep.Close()
		return pgerr.New(pgerr.ProgramLimitExceeded, "statement has too many parameters or columns")
	}
	c.stmts[name] = st
	c.wbuf = appendEmpty(c.wbuf, '1') // ParseComplete
	return nil
}

// bindMessage is a decoded Bind. params alias the message body until
// copied.
type bindMessage struct {
	portal, stmt  string
	paramFormats  []int16
	params        [][]byte
	resultFormats []int16
}

// decodeBind decodes a Bind body, checking every count against the bytes
// left before allocating for it.
func decodeBind(body []byte) (*bindMessage, error) {
	m := &bindMessage{}
	var ok bool
	if m.portal, body, ok = cutCString(body); !ok {
		return nil, errInvalidFormat
	}
	if m.stmt, body, ok = cutCString(body); !ok {
		return nil, errInvalidFormat
	}
	if m.paramFormats, body, ok = cutInt16s(body); !ok {
		return nil, errInvalidFormat
	}
	if len(body) < 2 {
		return nil, errInvalidFormat
	}
	n := int(binary.BigEndian.Uint16(body))
	body = body[2:]
	if len(body) < 4*n {
		return nil, errInvalidFormat
	}
	if n > 0 {
		m.params = make([][]byte, n)
	}
	for i := range n {
		if len(body) < 4 {
			return nil, errInvalidFormat
		}
		size := int32(binary.BigEndian.Uint32(body))
		body = body[4:]
		if size == -1 {
			continue // NULL
		}
		if size < 0 || int(size) > len(body) {
			return nil, errInvalidFormat
		}
		m.params[i] = body[:size:size]
		body = body[size:]
	}
	if m.resultFormats, body, ok = cutInt16s(body); !ok || len(body) != 0 {
		return nil, errInvalidFormat
	}
	return m, nil
}

// cutInt16s reads an int16 count and that many int16s.
func cutInt16s(b []byte) ([]int16, []byte, bool) {
	if len(b) < 2 {
		return nil, b, false
	}
	n := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if len(b) < 2*n {
		return nil, b, false
	}
	if n == 0 {
		return nil, b, true
	}
	v := make([]int16, n)
	for i := range v {
		v[i] = int16(binary.BigEndian.Uint16(b[2*i:]))
	}
	return v, b[2*n:], true
}

// expandFormats returns one format per item from a Bind's format codes:
// none means text for all (nil), one applies to all, else one each.
func expandFormats(codes []int16, n int) ([]int16, error) {
	for _, f := range codes {
		if f != 0 && f != 1 {
			return nil, pgerr.New(pgerr.InvalidParameterValue, "unsupported format code: %d", f)
		}
	}
	switch {
	case len(codes) == 0 || n == 0:
		return nil, nil
	case len(codes) == 1:
		if codes[0] == 0 {
			return nil, nil
		}
		all := make([]int16, n)
		for i := range all {
			all[i] = codes[0]
		}
		return all, nil
	}
	return codes, nil
}

func (c *conn) handleBind(body []byte) error {
	m, err := decodeBind(body)
	if err != nil {
		return err
	}
	st := c.stmts[m.stmt]
	if st == nil {
		if m.stmt == "" {
			return pgerr.New(pgerr.InvalidSQLStatementName, "unnamed prepared statement does not exist")
		}
		return pgerr.New(pgerr.InvalidSQLStatementName, "prepared statement %q does not exist", m.stmt)
	}
	if len(m.paramFormats) > 1 && len(m.paramFormats) != len(m.params) {
		return pgerr.New(pgerr.ProtocolViolation, "bind message has %d parameter formats but %d parameters", len(m.paramFormats), len(m.params))
	}
	if len(m.params) != len(st.paramOIDs) {
		return pgerr.New(pgerr.ProtocolViolation, "bind message supplies %d parameters, but prepared statement %q requires %d", len(m.params), m.stmt, len(st.paramOIDs))
	}
	if m.portal != "" {
		if _, dup := c.portals[m.portal]; dup {
			return pgerr.New(pgerr.DuplicateCursor, "cursor %q already exists", m.portal)
		}
	} else {
		c.closePortal("")
	}
	paramFormats, err := expandFormats(m.paramFormats, len(m.params))
	if err != nil {
		return err
	}
	for _, f := range m.resultFormats {
		if f != 0 && f != 1 {
			return pgerr.New(pgerr.InvalidParameterValue, "unsupported format code: %d", f)
		}
	}
	args, err := decodeParams(m.params, st.paramOIDs, paramFormats)
	if err != nil {
		return err
	}
	ctx := c.beginStatement()
	portal, err := c.sess.Bind(ctx, st.prep, args)
	c.endStatement()
	if err = sessionErr(err); err != nil || portal == nil {
		if err == nil {
			err = pgerr.New(pgerr.InternalError, "session returned no portal")
		}
		return err
	}
	cols := portal.Columns()
	if len(m.resultFormats) > 1 && len(m.resultFormats) != len(cols) {
		portal.Close()
		return pgerr.New(pgerr.ProtocolViolation, "bind message has %d result formats but query has %d columns", len(m.resultFormats), len(cols))
	}
	resultFormats, _ := expandFormats(m.resultFormats, len(cols))
	c.portals[m.portal] = &portalState{portal: portal, cols: cols, formats: resultFormats}
	c.wbuf = appendEmpty(c.wbuf, '2') // BindComplete
	return nil
}

// decodeParams decodes Bind's parameters into SQLite values. DecodeParam
// never returns a value that aliases its input (codec.go), so nothing
// refers to the read buffer afterwards.
func decodeParams(params [][]byte, oids []uint32, formats []int16) ([]any, error) {
	if len(params) == 0 {
		return nil, nil
	}
	args := make([]any, len(params))
	for i, p := range params {
		if p == nil {
			continue
		}
		var format int16
		if formats != nil {
			format = formats[i]
		}
		v, err := DecodeParam(oids[i], format, p)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	return args, nil
}

func (c *conn) handleDescribe(body []byte) error {
	if len(body) < 2 {
		return errInvalidFormat
	}
	kind := body[0]
	name, ok := cString(body[1:])
	if !ok {
		return errInvalidFormat
	}
	switch kind {
	case 'S':
		st := c.stmts[name]
		if st == nil {
			if name == "" {
				return pgerr.New(pgerr.InvalidSQLStatementName, "unnamed prepared statement does not exist")
			}
			return pgerr.New(pgerr.InvalidSQLStatementName, "prepared statement %q does not exist", name)
		}
		c.wbuf = appendParameterDescription(c.wbuf, st.paramOIDs)
		c.wbuf = appendColumns(c.wbuf, st.cols, nil)
	case 'P':
		p := c.portals[name]
		if p == nil {
			return pgerr.New(pgerr.InvalidCursorName, "portal %q does not exist", name)
		}
		c.wbuf = appendColumns(c.wbuf, p.cols, p.formats)
	default:
		return pgerr.New(pgerr.ProtocolViolation, "invalid DESCRIBE message subtype %d", kind)
	}
	return c.maybeFlush()
}

// appendColumns appends RowDescription, or NoData when there are no
// result columns.
func appendColumns(buf []byte, cols []Column, formats []int16) []byte {
	if cols == nil {
		return appendEmpty(buf, 'n') // NoData
	}
	return appendRowDescription(buf, cols, formats)
}

func (c *conn) handleExecute(body []byte) error {
	name, rest, ok := cutCString(body)
	if !ok || len(rest) != 4 {
		return errInvalidFormat
	}
	// PostgreSQL reads the row limit as a signed int32: zero or negative
	// means all rows.
	maxRows := max(int(int32(binary.BigEndian.Uint32(rest))), 0)
	p := c.portals[name]
	if p == nil {
		return pgerr.New(pgerr.InvalidCursorName, "portal %q does not exist", name)
	}
	if p.done && p.cols == nil {
		return pgerr.New(pgerr.ObjectNotInPrerequisiteState, "portal %q cannot be run", name)
	}
	c.rw.beginPortal(p)
	ctx := c.beginStatement()
	suspended, err := p.portal.Execute(ctx, maxRows, &c.rw)
	c.endStatement()
	c.rw.endCopy()
	if err = sessionErr(err); err != nil {
		return err
	}
	if suspended {
		c.wbuf = appendEmpty(c.wbuf, 's') // PortalSuspended
	} else {
		p.done = true
	}
	return c.maybeFlush()
}

func (c *conn) handleClose(body []byte) error {
	if len(body) < 2 {
		return errInvalidFormat
	}
	kind := body[0]
	name, ok := cString(body[1:])
	if !ok {
		return errInvalidFormat
	}
	switch kind {
	case 'S':
		c.closeStatement(name)
	case 'P':
		c.closePortal(name)
	default:
		return pgerr.New(pgerr.ProtocolViolation, "invalid CLOSE message subtype %d", kind)
	}
	c.wbuf = appendEmpty(c.wbuf, '3') // CloseComplete, even for a name that does not exist
	return nil
}

func (c *conn) closeStatement(name string) {
	if st := c.stmts[name]; st != nil {
		delete(c.stmts, name)
		st.prep.Close()
	}
}

func (c *conn) closePortal(name string) {
	if p := c.portals[name]; p != nil {
		delete(c.portals, name)
		p.portal.Close()
	}
}

func (c *conn) closeAllPortals() {
	for name, p := range c.portals {
		delete(c.portals, name)
		p.portal.Close()
	}
}
