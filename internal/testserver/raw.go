// Package testserver holds test support shared by several packages' tests.
// It is imported only from _test.go files.
package testserver

import (
	"bufio"
	"net"
	"net/textproto"
	"strings"
	"testing"
)

// Request is what Raw read of one request: enough for an answer to depend
// on the path asked for or a header sent.
type Request struct {
	Path   string
	Header textproto.MIMEHeader
}

// Raw listens on 127.0.0.1 and answers each request with answer(request),
// written as is and followed by closing the connection. Unlike httptest, it
// can break HTTP the way a hostile or broken endpoint does: a malformed
// status or header line, a short body, or no answer at all (""). It returns
// the listener's host:port; the listener is closed when the test ends.
func Raw(t testing.TB, answer func(Request) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c, answer)
		}
	}()
	return ln.Addr().String()
}

func serve(c net.Conn, answer func(Request) string) {
	defer c.Close()
	r := textproto.NewReader(bufio.NewReader(c))
	first, err := r.ReadLine()
	if err != nil {
		return
	}
	h, err := r.ReadMIMEHeader()
	if err != nil {
		return
	}
	req := Request{Header: h}
	if f := strings.Fields(first); len(f) > 1 {
		req.Path = f[1]
	}
	c.Write([]byte(answer(req)))
}
