package sources

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"syscall"
)

// Fixed sentences for what went wrong on the way to an HTTP answer. The
// library's own text is never shown: it can quote what the server sent
// (`malformed HTTP response "…"`, `bad Content-Length "…"`, `malformed MIME
// header line: …`), and so a response body, a bypass header value or a
// token a server echoed back. The JWKS fetch and the live probes share
// them.
const (
	SentenceTimeout  = "timed out"
	SentenceRefused  = "connection refused: nothing listens at that host and port"
	SentenceDNS      = "DNS lookup failed: the host name does not resolve"
	SentenceTLS      = "TLS handshake failed: the endpoint's certificate is not trusted for that host, or it does not speak TLS"
	SentenceReset    = "connection reset: the endpoint closed the connection without an answer"
	SentenceProtocol = "protocol error: the endpoint's answer is not valid HTTP"
)

// transportErr is one fixed sentence; a timeout still matches
// context.DeadlineExceeded, so that callers can tell it from a refusal.
type transportErr struct {
	sentence string
	timeout  bool
}

func (e *transportErr) Error() string { return e.sentence }

func (e *transportErr) Unwrap() error {
	if e.timeout {
		return context.DeadlineExceeded
	}
	return nil
}

// TransportError classifies an HTTP client error into one fixed sentence
// by its class (timeout, DNS, refused, TLS, reset, anything else), dropping
// the URL (*url.Error repeats it, query string and any token included) and
// every byte the other end sent.
func TransportError(err error) error {
	var netErr net.Error
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var alertErr tls.AlertError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	switch {
	case errors.Is(err, errTooManyRedirects):
		return errTooManyRedirects
	case errors.Is(err, errPlainRedirect):
		return errPlainRedirect
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return &transportErr{sentence: SentenceTimeout, timeout: true}
	case errors.As(err, &dnsErr):
		return &transportErr{sentence: SentenceDNS}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &transportErr{sentence: SentenceRefused}
	case errors.As(err, &certErr), errors.As(err, &recordErr), errors.As(err, &alertErr),
		errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalidCert):
		return &transportErr{sentence: SentenceTLS}
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &transportErr{sentence: SentenceReset}
	}
	return &transportErr{sentence: SentenceProtocol}
}
