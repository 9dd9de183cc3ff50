package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/secret-preflight/secret-preflight/internal/ghactions/runnertest"
)

// buildCLI builds the secret-preflight binary into a temp dir: the process
// logging tests need the real main, which silences what run cannot see.
func buildCLI(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to build the CLI: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "secret-preflight")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// stdLogLine is the prefix of a line from Go's log package or gRPC's
// default logger: a date and a time.
var stdLogLine = regexp.MustCompile(`(?m)^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}.*$`)

// The process itself, not only run, stays quiet in GitHub Actions with
// every debug switch of Go and its libraries on: GODEBUG=http2debug=2
// would log a hostile jwks_url server's headers and body through the log
// package, raw, and GRPC_GO_LOG_SEVERITY_LEVEL=info would make gRPC log
// to fd 2. The runner, reading the real stdout and stderr, runs only the
// tool's own commands, and no byte the server sent shows.
func TestProcessOutputIsOnlyTheTools(t *testing.T) {
	bin := buildCLI(t)

	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	const (
		hostile      = "##[stop-commands]x ::set-env name=A::b"
		headerCanary = "HDR-CANARY-7f3a"
		bodyCanary   = "BODY-CANARY-9c1e"
	)
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	// A valid JWKS with an extra member the tool never reports: only a
	// log of the raw answer could show it.
	body := append(set[:len(set)-1:len(set)-1], []byte(`,"x":`+q(bodyCanary+" "+hostile+"\n::set-env name=A::b\n##[stop-commands]x")+`}`)...)
	var hits atomic.Int32
	keys := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("X-Hostile", headerCanary+" "+hostile)
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	// The server speaks HTTP/2 to a client that offers it, as a real one
	// would, and HTTP/1.1 to one that does not.
	keys.TLS = &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
	keys.Config.Protocols = new(http.Protocols)
	keys.Config.Protocols.SetHTTP1(true)
	keys.Config.Protocols.SetHTTP2(true)
	keys.StartTLS()
	defer keys.Close()

	h := newHarness(t, concat(`projects: {stg: "111111111111"}`,
		service("gateway", map[string]int{"gateway-7": 100}, map[string]string{"gateway-7": "    containers:\n      - name: gw"})))
	caFile := h.write("ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: keys.Certificate().Raw})))
	cfg := h.write("c.yaml", `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: keys
    jwt: {algorithm: ES256}
    runner: {chain: [{env: JWKS_DOC}]}
    services:
      - {cloudrun: gateway, chain: [{jwks_url: "`+keys.URL+`/jwks.json"}]}
`)

	cmd := exec.Command(bin, "check", "-c", cfg, "--format", "github", "--fail-on", "never")
	cmd.Dir = h.dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + h.dir,
		"GITHUB_ACTIONS=true",
		"GODEBUG=http2debug=2",
		"GRPC_GO_LOG_SEVERITY_LEVEL=info",
		"GRPC_GO_LOG_VERBOSITY_LEVEL=99",
		"GOOGLE_SDK_GO_LOGGING_LEVEL=debug",
		"SSL_CERT_FILE=" + caFile,
		envSMEmulator + "=" + h.srv.Addr,
		envRunEmulator + "=" + h.srv.Addr,
		"JWKS_DOC=" + string(set),
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	out, errs := stdout.String(), stderr.String()
	if hits.Load() == 0 {
		t.Fatalf("the jwks_url server was never asked (exit %v)\nstdout:\n%s\nstderr:\n%s", err, out, errs)
	}
	if !strings.Contains(out, "secret-preflight: ") {
		t.Fatalf("no verdict on stdout (exit %v)\nstdout:\n%s\nstderr:\n%s", err, out, errs)
	}

	allowedMasks := map[string]bool{}
	for _, v := range []string{string(set), string(body)} {
		for _, line := range runnertest.Lines(v) {
			allowedMasks[strings.TrimSpace(line)] = true
		}
	}
	var both runnertest.Runner
	for stream, text := range map[string]string{"stdout": out, "stderr": errs} {
		assertOnlyOwnCommands(t, stream, text, allowedMasks)
		// The masks hold the body, the value of the jwks_url consumer;
		// nothing else may.
		for _, line := range runnertest.Lines(text) {
			if strings.HasPrefix(line, "::add-mask::") {
				continue
			}
			for _, canary := range []string{headerCanary, bodyCanary} {
				if strings.Contains(line, canary) {
					t.Errorf("%s shows what the jwks_url server sent: %q", stream, line)
				}
			}
		}
		if l := stdLogLine.FindString(text); l != "" {
			t.Errorf("%s holds a log line (a library logging for the tool): %q", stream, l)
		}
		both.Feed(text)
	}
	assertMasksInEveryInterleaving(t, "process", out, errs)
	// The JWKS was fetched and resolved: its mask is the proof that the
	// hostile answer went all the way through the run.
	masked := false
	for _, c := range both.Commands {
		masked = masked || c.Name == "add-mask" && c.Data == string(body)
	}
	if !masked {
		t.Errorf("the fetched JWKS is not masked: the run did not resolve it\nstdout:\n%s\nstderr:\n%s", out, errs)
	}
}
