package fetch

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Sentinel errors. Callers branch on them with errors.Is; the text of an
// [*Error] names the file, the server and the cause.
var (
	// ErrNotFound means the server answered and the file does not exist
	// (TFTP error code 1, HTTP 404 or 410), or a local file does not.
	// errors.Is(err, fs.ErrNotExist) holds too. The config lookup walks
	// on to the next name on it.
	ErrNotFound error = sentinel{"file not found", fs.ErrNotExist}
	// ErrAccess means the server refused the file (TFTP error code 2,
	// HTTP 401 or 403), or a local file may not be read.
	// errors.Is(err, fs.ErrPermission) holds too.
	ErrAccess error = sentinel{"access denied", fs.ErrPermission}
	// ErrNetwork means the server could not be reached or stopped
	// answering: timeouts, refused or reset connections.
	ErrNetwork = errors.New("network failure")
	// ErrServer means the server answered with a failure of its own
	// (HTTP 5xx, a TFTP error other than not found or access denied).
	ErrServer = errors.New("server error")
	// ErrTruncated means the file ended before its announced size.
	ErrTruncated = errors.New("transfer cut short")
	// ErrNoMemory means the file does not fit in free memory.
	ErrNoMemory = errors.New("not enough free memory")
	// ErrCertificate means the HTTPS server's certificate failed
	// verification (unknown authority, wrong host name, expired).
	ErrCertificate = errors.New("certificate not trusted")
	// ErrDowngrade means an HTTPS server redirected to plain HTTP.
	ErrDowngrade = errors.New("redirect from https to http refused")
	// ErrBadURL means the location could not be used: malformed, an
	// unsupported scheme, a TFTP name that does not fit a request packet.
	ErrBadURL = errors.New("bad URL")
)

// sentinel is an error that also matches a standard error under errors.Is,
// so ErrNotFound is both ours and fs.ErrNotExist.
type sentinel struct {
	msg  string
	also error
}

func (s sentinel) Error() string        { return s.msg }
func (s sentinel) Is(target error) bool { return target == s.also }

// Error is the error returned for one file. It names the file, the server
// that was asked and wraps the cause, which matches one of the sentinel
// errors of this package under errors.Is.
type Error struct {
	// URL is the file as asked for.
	URL string
	// Server is the host:port that was asked, or "" for a local file
	// or when the URL could not be parsed.
	Server string
	// Attempts is how many times the whole file was tried.
	Attempts int
	// Err is the cause.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("fetch ")
	b.WriteString(e.URL)
	if e.Server != "" {
		b.WriteString(" from server ")
		b.WriteString(e.Server)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (%d attempts)", e.Attempts)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// TFTP error codes, RFC 1350 section 5 and RFC 2347 (code 8).
const (
	tftpErrUndefined   = 0
	tftpErrNotFound    = 1
	tftpErrAccess      = 2
	tftpErrOptionsDeny = 8
)

// TFTPError is an ERROR packet sent by a TFTP server.
type TFTPError struct {
	Code    int
	Message string
}

func (e *TFTPError) Error() string {
	return fmt.Sprintf("server sent TFTP error %d: %q", e.Code, e.Message)
}

// Is maps TFTP error codes onto this package's sentinels.
func (e *TFTPError) Is(target error) bool {
	switch e.Code {
	case tftpErrNotFound:
		return target == ErrNotFound || target == fs.ErrNotExist
	case tftpErrAccess:
		return target == ErrAccess || target == fs.ErrPermission
	}
	return target == ErrServer
}
