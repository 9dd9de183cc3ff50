package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/secret-preflight/secret-preflight/internal/fakegcp"
)

// demoSecret is the Secret Manager secret the demo's services read.
const demoSecret = "projects/netra-staging/secrets/jwt-secret-staging"

// demoEndpoint stands for the backend's API in the demo's third act: it
// verifies tokens with the staging key, and in its unsafe mode also lets
// in any request carrying X-E2E-Test: true, the "fix" of the incident's
// second report.
type demoEndpoint struct {
	key          []byte
	honourBypass atomic.Bool
}

func (d *demoEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d.honourBypass.Load() && strings.EqualFold(r.Header.Get("X-E2E-Test"), "true") {
		w.WriteHeader(http.StatusOK)
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		http.Error(w, "missing token", http.StatusUnauthorized)
		return
	}
	_, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return d.key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("netra-auth-service"),
		jwt.WithAudience("netra-backend"), jwt.WithExpirationRequired())
	if err != nil {
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// startDemoEndpoint serves d on a free port of 127.0.0.1 and returns its
// address and a stop function.
func startDemoEndpoint(d *demoEndpoint) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("starting the demo endpoint: %w", err)
	}
	srv := &http.Server{Handler: d, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return ln.Addr().String(), stop, nil
}

// demoKey is the current version of the key the demo's services read.
func demoKey(fix *fakegcp.Fixture) ([]byte, error) {
	for _, s := range fix.Secrets {
		if s.Name == demoSecret && len(s.Versions) > 0 {
			return s.Versions[len(s.Versions)-1].Data, nil
		}
	}
	return nil, errors.New("the demo fixture has no " + demoSecret)
}
