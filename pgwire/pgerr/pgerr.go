// Package pgerr defines PostgreSQL errors: a SQLSTATE code type and an
// error value that carries everything an ErrorResponse can say.
//
// Every layer returns *Error for failures a client should see with a
// specific SQLSTATE; pgwire turns them (and any other error, as XX000)
// into an ErrorResponse in exactly one place.
package pgerr

import (
	"errors"
	"fmt"
)

// Code is a five-character SQLSTATE.
type Code string

// SQLSTATEs used by RepliSQL. Names follow PostgreSQL's errcodes.txt.
const (
	SuccessfulCompletion              Code = "00000"
	Warning                           Code = "01000"
	ConnectionException               Code = "08000"
	ConnectionFailure                 Code = "08006"
	ProtocolViolation                 Code = "08P01"
	FeatureNotSupported               Code = "0A000"
	InvalidAuthorizationSpec          Code = "28000"
	InvalidPassword                   Code = "28P01"
	InvalidCatalogName                Code = "3D000"
	DataException                     Code = "22000"
	StringDataRightTruncation         Code = "22001"
	NumericValueOutOfRange            Code = "22003"
	InvalidDatetimeFormat             Code = "22007"
	DatetimeFieldOverflow             Code = "22008"
	DivisionByZero                    Code = "22012"
	InvalidParameterValue             Code = "22023"
	InvalidTextRepresentation         Code = "22P02"
	InvalidBinaryRepresentation       Code = "22P03"
	BadCopyFileFormat                 Code = "22P04"
	InvalidEscapeSequence             Code = "22025"
	NullValueNotAllowed               Code = "22004"
	IntegrityConstraintViolation      Code = "23000"
	NotNullViolation                  Code = "23502"
	ForeignKeyViolation               Code = "23503"
	UniqueViolation                   Code = "23505"
	CheckViolation                    Code = "23514"
	InvalidCursorState                Code = "24000"
	InvalidTransactionState           Code = "25000"
	ActiveSQLTransaction              Code = "25001"
	NoActiveSQLTransaction            Code = "25P01"
	InFailedSQLTransaction            Code = "25P02"
	ReadOnlySQLTransaction            Code = "25006"
	InvalidSQLStatementName           Code = "26000"
	InvalidCursorName                 Code = "34000"
	InvalidSavepointSpecification     Code = "3B001"
	SerializationFailure              Code = "40001"
	DeadlockDetected                  Code = "40P01"
	SyntaxError                       Code = "42601"
	InsufficientPrivilege             Code = "42501"
	UndefinedColumn                   Code = "42703"
	UndefinedFunction                 Code = "42883"
	UndefinedTable                    Code = "42P01"
	UndefinedObject                   Code = "42704"
	UndefinedParameter                Code = "42P02"
	DuplicateColumn                   Code = "42701"
	DuplicateCursor                   Code = "42P03"
	DuplicatePreparedStatement        Code = "42P05"
	DuplicateTable                    Code = "42P07"
	DuplicateObject                   Code = "42710"
	AmbiguousColumn                   Code = "42702"
	DatatypeMismatch                  Code = "42804"
	CannotCoerce                      Code = "42846"
	IndeterminateDatatype             Code = "42P18"
	WrongObjectType                   Code = "42809"
	GroupingError                     Code = "42803"
	InvalidColumnReference            Code = "42P10"
	ProgramLimitExceeded              Code = "54000"
	ObjectNotInPrerequisiteState      Code = "55000"
	LockNotAvailable                  Code = "55P03"
	QueryCanceled                     Code = "57014"
	AdminShutdown                     Code = "57P01"
	CannotConnectNow                  Code = "57P03"
	TooManyConnections                Code = "53300"
	OutOfMemory                       Code = "53200"
	DiskFull                          Code = "53100"
	IOError                           Code = "58030"
	UndefinedFile                     Code = "58P01"
	InternalError                     Code = "XX000"
	DataCorrupted                     Code = "XX001"
	ConfigFileError                   Code = "F0000"
	InvalidAuthorizationSpecification      = InvalidAuthorizationSpec
)

// Severity levels as PostgreSQL spells them.
const (
	SeverityError   = "ERROR"
	SeverityFatal   = "FATAL"
	SeverityPanic   = "PANIC"
	SeverityNotice  = "NOTICE"
	SeverityWarning = "WARNING"
)

// Error is an error with a SQLSTATE and the optional fields of an
// ErrorResponse. Position is 1-based in characters of the query text; 0
// means unknown.
type Error struct {
	Severity string // ERROR when empty
	Code     Code
	Message  string
	Detail   string
	Hint     string
	Position int32
	// Table, Column, Constraint name the object involved, where known.
	Table      string
	Column     string
	Constraint string
	// Cause is an underlying error, kept for logs; it is not sent.
	Cause error
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s (SQLSTATE %s): %s", e.Message, e.Code, e.Detail)
	}
	return fmt.Sprintf("%s (SQLSTATE %s)", e.Message, e.Code)
}

func (e *Error) Unwrap() error { return e.Cause }

// New returns an ERROR-level error with code and a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an ERROR-level error with code and message that keeps cause.
func Wrap(cause error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Cause: cause}
}

// Fatal returns a FATAL-level error: the connection ends after it is sent.
func Fatal(code Code, format string, args ...any) *Error {
	return &Error{Severity: SeverityFatal, Code: code, Message: fmt.Sprintf(format, args...)}
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// CodeOf returns the SQLSTATE of err: its *Error's code, or XX000.
func CodeOf(err error) Code {
	if e := As(err); e != nil {
		return e.Code
	}
	return InternalError
}

// IsFatal reports whether err ends the session.
func IsFatal(err error) bool {
	e := As(err)
	return e != nil && (e.Severity == SeverityFatal || e.Severity == SeverityPanic)
}
