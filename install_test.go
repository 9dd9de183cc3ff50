package secretpreflight_test

// Tests of scripts/install.sh and the action steps that choose between a
// released binary and a source build. The releases are real: the test
// builds the CLI with the version stamped the way GoReleaser stamps it,
// packs it into the archive GoReleaser's config names, writes
// checksums.txt, and serves them from a local HTTP server.

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

const (
	relVersion = "1.2.3"
	relCommit  = "0123456789abcdef0123456789abcdef01234567"
	relDate    = "2026-01-02T03:04:05Z"
)

// The CLI as a release build: version, commit and date stamped by -X, as
// .goreleaser.yaml's ldflags do.
var stamped struct {
	once sync.Once
	data []byte
	err  error
}

func stampedCLI(t *testing.T) []byte {
	t.Helper()
	stamped.once.Do(func() {
		dir, err := os.MkdirTemp("", "secret-preflight-stamped")
		if err != nil {
			stamped.err = err
			return
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "secret-preflight"+exeSuffix())
		ldflags := fmt.Sprintf("-X main.version=%s -X main.commit=%s -X main.date=%s", relVersion, relCommit, relDate)
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", bin, "./cmd/secret-preflight")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			stamped.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		stamped.data, stamped.err = os.ReadFile(bin)
	})
	if stamped.err != nil {
		t.Fatal(stamped.err)
	}
	return stamped.data
}

func tarGz(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, data := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// checksums is checksums.txt in GoReleaser's (and sha256sum's) format.
func checksums(files map[string][]byte) []byte {
	var b strings.Builder
	for name, data := range files {
		fmt.Fprintf(&b, "%s  %s\n", sha256Hex(data), name)
	}
	return []byte(b.String())
}

// releaseServer serves files under /TAG/ on 127.0.0.1 and records every
// path asked for.
type releaseServer struct {
	*httptest.Server
	mu    sync.Mutex
	asked []string
}

func serveRelease(t *testing.T, tag string, files map[string][]byte) *releaseServer {
	t.Helper()
	rs := &releaseServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.mu.Lock()
		rs.asked = append(rs.asked, r.URL.Path)
		rs.mu.Unlock()
		name, ok := strings.CutPrefix(r.URL.Path, "/"+tag+"/")
		data, found := files[name]
		if !ok || !found {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *releaseServer) requests() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]string(nil), rs.asked...)
}

func runnerArch() string {
	if runtime.GOARCH == "arm64" {
		return "ARM64"
	}
	return "X64"
}

// hostAsset is the archive name .goreleaser.yaml gives this machine's build.
func hostAsset(version string) string {
	ext := "tar.gz"
	if runtime.GOOS == "windows" {
		ext = "zip"
	}
	return fmt.Sprintf("secret-preflight_%s_%s_%s.%s", version, runtime.GOOS, runtime.GOARCH, ext)
}

func hostArchive(t *testing.T, files map[string][]byte) []byte {
	if runtime.GOOS == "windows" {
		return zipOf(t, files)
	}
	return tarGz(t, files)
}

// runInstall runs scripts/install.sh as a runner would, from another
// directory, with RUNNER_OS and RUNNER_ARCH of this machine.
func runInstall(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	repo, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	script := "exec bash " + shellQuote(filepath.Join(repo, "scripts", "install.sh"))
	for _, a := range args {
		script += " " + shellQuote(a)
	}
	env := append(os.Environ(), "RUNNER_OS="+runnerOS(), "RUNNER_ARCH="+runnerArch(), "RUNNER_TEMP="+t.TempDir())
	var out, errb bytes.Buffer
	code = runScript(t, script+"\n", t.TempDir(), env, &out, &errb)
	return code, out.String(), errb.String()
}

// assertNoBinary: a failed install leaves nothing to run.
func assertNoBinary(t *testing.T, dest string) {
	t.Helper()
	entries, err := os.ReadDir(dest)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("a failed install left %s in the destination", e.Name())
	}
}

func assertInstallError(t *testing.T, code int, stderr string, want ...string) {
	t.Helper()
	if code == 0 {
		t.Errorf("exit 0, want a failure\n%s", stderr)
	}
	if !regexp.MustCompile(`(?m)^::error title=secret-preflight install::`).MatchString(stderr) {
		t.Errorf("no ::error:: annotation on stderr:\n%s", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr does not say %q:\n%s", w, stderr)
		}
	}
}

// TestInstallRelease: a good release installs a binary that runs and
// reports the stamped version; anything wrong with the release fails with
// an annotation and leaves no binary.
func TestInstallRelease(t *testing.T) {
	bin := stampedCLI(t)
	asset := hostAsset(relVersion)
	good := hostArchive(t, map[string][]byte{"secret-preflight" + exeSuffix(): bin, "LICENSE": []byte("Apache-2.0\n")})
	sums := checksums(map[string][]byte{asset: good, "secret-preflight_1.2.3_plan9_amd64.tar.gz": []byte("other")})

	t.Run("good archive", func(t *testing.T) {
		for _, v := range []string{"v1.2.3", "1.2.3"} {
			srv := serveRelease(t, "v1.2.3", map[string][]byte{asset: good, "checksums.txt": sums})
			dest := t.TempDir()
			code, stdout, stderr := runInstall(t, "--version", v, "--base-url", srv.URL+"/v1.2.3", "--dest", dest)
			if code != 0 {
				t.Fatalf("--version %s: exit %d\n%s%s", v, code, stdout, stderr)
			}
			if got := srv.requests(); len(got) != 2 || got[0] != "/v1.2.3/checksums.txt" || got[1] != "/v1.2.3/"+asset {
				t.Errorf("requests %q, want checksums.txt then %s", got, asset)
			}
			installed := filepath.Join(dest, "secret-preflight"+exeSuffix())
			for _, arg := range []string{"version", "--version"} {
				out, err := exec.CommandContext(t.Context(), installed, arg).CombinedOutput()
				if err != nil {
					t.Fatalf("the installed binary does not run: %v\n%s", err, out)
				}
				want := fmt.Sprintf("secret-preflight %s (commit %s, built %s)", relVersion, relCommit, relDate)
				if got := strings.TrimSpace(string(out)); got != want {
					t.Errorf("%s printed %q, want %q", arg, got, want)
				}
			}
			// The JSON report carries the stamped version.
			out, _ := exec.CommandContext(t.Context(), installed, "demo", "--format", "json").Output()
			var reps []struct {
				ToolVersion string `json:"tool_version"`
			}
			if err := json.NewDecoder(bytes.NewReader(out)).Decode(&reps); err != nil || len(reps) == 0 || reps[0].ToolVersion != relVersion {
				t.Errorf("demo --format json: %d reports (%v), want the first's tool_version %q", len(reps), err, relVersion)
			}
			if !strings.Contains(stdout, "matches checksums.txt") {
				t.Errorf("stdout does not say the archive was verified:\n%s", stdout)
			}
		}
	})

	t.Run("tampered archive", func(t *testing.T) {
		// Same name, one byte of the binary changed after checksums.txt
		// was written.
		evil := append([]byte(nil), bin...)
		evil[len(evil)/2] ^= 0xff
		tampered := hostArchive(t, map[string][]byte{"secret-preflight" + exeSuffix(): evil, "LICENSE": []byte("Apache-2.0\n")})
		srv := serveRelease(t, "v1.2.3", map[string][]byte{asset: tampered, "checksums.txt": sums})
		dest := t.TempDir()
		// A binary from an earlier install must not survive either.
		stale := filepath.Join(dest, "secret-preflight"+exeSuffix())
		if err := os.WriteFile(stale, []byte("stale"), 0o755); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runInstall(t, "--version", "v1.2.3", "--base-url", srv.URL+"/v1.2.3", "--dest", dest)
		assertInstallError(t, code, stderr, "checksum mismatch", asset, sha256Hex(tampered), sha256Hex(good), "nothing was installed")
		assertNoBinary(t, dest)
	})

	t.Run("missing asset", func(t *testing.T) {
		srv := serveRelease(t, "v1.2.3", map[string][]byte{"checksums.txt": sums})
		dest := t.TempDir()
		code, _, stderr := runInstall(t, "--version", "v1.2.3", "--base-url", srv.URL+"/v1.2.3", "--dest", dest)
		assertInstallError(t, code, stderr, "release v1.2.3 has no "+asset)
		assertNoBinary(t, dest)
	})

	t.Run("no checksums.txt", func(t *testing.T) {
		srv := serveRelease(t, "v1.2.3", map[string][]byte{asset: good})
		dest := t.TempDir()
		code, _, stderr := runInstall(t, "--version", "v1.2.3", "--base-url", srv.URL+"/v1.2.3", "--dest", dest)
		assertInstallError(t, code, stderr, "release v1.2.3 has no checksums.txt")
		assertNoBinary(t, dest)
		for _, p := range srv.requests() {
			if strings.HasSuffix(p, asset) {
				t.Errorf("downloaded %s without a checksum to check it against", p)
			}
		}
	})

	t.Run("no checksums entry", func(t *testing.T) {
		// A line for a name that only starts like the asset's does not count.
		others := checksums(map[string][]byte{asset + ".sbom.json": good, "x" + asset: good})
		srv := serveRelease(t, "v1.2.3", map[string][]byte{asset: good, "checksums.txt": others})
		dest := t.TempDir()
		code, _, stderr := runInstall(t, "--version", "v1.2.3", "--base-url", srv.URL+"/v1.2.3", "--dest", dest)
		assertInstallError(t, code, stderr, "has no line for "+asset)
		assertNoBinary(t, dest)
	})

	t.Run("malformed checksum is not echoed", func(t *testing.T) {
		bad := []byte("::warning::injected  " + asset + "\n")
		srv := serveRelease(t, "v1.2.3", map[string][]byte{asset: good, "checksums.txt": bad})
		dest := t.TempDir()
		code, stdout, stderr := runInstall(t, "--version", "v1.2.3", "--base-url", srv.URL+"/v1.2.3", "--dest", dest)
		assertInstallError(t, code, stderr, "malformed SHA-256")
		if strings.Contains(stdout+stderr, "::warning::") {
			t.Errorf("a server's bytes reached the log as a workflow command:\n%s%s", stdout, stderr)
		}
		assertNoBinary(t, dest)
	})

	t.Run("not a release version", func(t *testing.T) {
		srv := serveRelease(t, "v1.2.3", map[string][]byte{asset: good, "checksums.txt": sums})
		for _, v := range []string{"", "v1", "main", "latest", "1.2", "v1.2.3\n::warning::x", "../v1.2.3"} {
			dest := t.TempDir()
			code, stdout, stderr := runInstall(t, "--version", v, "--base-url", srv.URL+"/v1.2.3", "--dest", dest)
			assertInstallError(t, code, stderr, "must be a release such as v1.2.3")
			if strings.Contains(stdout+stderr, "::warning::") {
				t.Errorf("--version %q reached the log", v)
			}
			assertNoBinary(t, dest)
		}
		if got := srv.requests(); len(got) != 0 {
			t.Errorf("asked the server %q for versions that are not releases", got)
		}
	})

	t.Run("cache", func(t *testing.T) {
		cache := t.TempDir()
		srv := serveRelease(t, "v1.2.3", map[string][]byte{asset: good, "checksums.txt": sums})
		if code, _, stderr := runInstall(t, "--version", "v1.2.3", "--base-url", srv.URL+"/v1.2.3", "--dest", t.TempDir(), "--cache-dir", cache); code != 0 {
			t.Fatalf("first install: exit %d\n%s", code, stderr)
		}
		if data, err := os.ReadFile(filepath.Join(cache, asset)); err != nil || !bytes.Equal(data, good) {
			t.Fatalf("the verified archive was not kept in the cache: %v", err)
		}
		// From the cache: only checksums.txt is downloaded, and the
		// cached archive is verified against it.
		srv2 := serveRelease(t, "v1.2.3", map[string][]byte{"checksums.txt": sums})
		dest := t.TempDir()
		code, stdout, stderr := runInstall(t, "--version", "v1.2.3", "--base-url", srv2.URL+"/v1.2.3", "--dest", dest, "--cache-dir", cache)
		if code != 0 || !strings.Contains(stdout, "cached "+asset) {
			t.Fatalf("install from the cache: exit %d\n%s%s", code, stdout, stderr)
		}
		if got := srv2.requests(); len(got) != 1 || got[0] != "/v1.2.3/checksums.txt" {
			t.Errorf("requests %q, want only checksums.txt", got)
		}
		if _, err := os.Stat(filepath.Join(dest, "secret-preflight"+exeSuffix())); err != nil {
			t.Error(err)
		}
		// A cached archive that no longer matches is refused and dropped.
		if err := os.WriteFile(filepath.Join(cache, asset), append(good, 0), 0o644); err != nil {
			t.Fatal(err)
		}
		dest = t.TempDir()
		code, _, stderr = runInstall(t, "--version", "v1.2.3", "--base-url", srv2.URL+"/v1.2.3", "--dest", dest, "--cache-dir", cache)
		assertInstallError(t, code, stderr, "checksum mismatch for cached "+asset)
		assertNoBinary(t, dest)
		if _, err := os.Stat(filepath.Join(cache, asset)); !os.IsNotExist(err) {
			t.Errorf("the mismatching archive is still in the cache: %v", err)
		}
	})

	t.Run("windows zip", func(t *testing.T) {
		// The Windows archive is a zip holding secret-preflight.exe; the
		// binary need not run here, only arrive intact and alone.
		winAsset := "secret-preflight_1.2.3_windows_arm64.zip"
		exe := []byte("MZ not really a program")
		z := zipOf(t, map[string][]byte{"secret-preflight.exe": exe, "README.md": []byte("readme"), "../escape": []byte("x")})
		srv := serveRelease(t, "v1.2.3", map[string][]byte{winAsset: z, "checksums.txt": checksums(map[string][]byte{winAsset: z})})
		dest := t.TempDir()
		code, _, stderr := runInstall(t, "--version", "v1.2.3", "--base-url", srv.URL+"/v1.2.3", "--dest", dest, "--os", "windows", "--arch", "arm64")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		entries, _ := os.ReadDir(dest)
		if len(entries) != 1 || entries[0].Name() != "secret-preflight.exe" {
			t.Errorf("destination holds %v, want only secret-preflight.exe", entries)
		}
		if data, err := os.ReadFile(filepath.Join(dest, "secret-preflight.exe")); err != nil || !bytes.Equal(data, exe) {
			t.Errorf("secret-preflight.exe: %v, content differs", err)
		}
	})
}

// binaryStepID chooses between the release and a source build;
// installStepID runs scripts/install.sh.
const (
	binaryStepID  = "binary"
	installStepID = "install"
)

func binaryVars(version, ref, repo, server string) map[string]string {
	return map[string]string{
		"inputs.version":           version,
		"github.action_ref":        ref,
		"github.action_repository": repo,
		"github.server_url":        server,
	}
}

// TestActionChoosesBinary: a release tag or the version input selects the
// release; any other ref builds from source; a bad version input is an
// error, never a silent build.
func TestActionChoosesBinary(t *testing.T) {
	a := loadAction(t)
	step := a.step(t, binaryStepID)
	repo, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	const gh = "https://github.com"
	for name, tc := range map[string]struct {
		vars    map[string]string
		source  string // "" for failure
		version string
		baseURL string
	}{
		"release tag":          {binaryVars("", "v1.2.3", "secret-preflight/secret-preflight", gh), "release", "v1.2.3", gh + "/secret-preflight/secret-preflight/releases/download/v1.2.3"},
		"pre-release tag":      {binaryVars("", "v1.3.0-rc.1", "secret-preflight/secret-preflight", gh), "release", "v1.3.0-rc.1", gh + "/secret-preflight/secret-preflight/releases/download/v1.3.0-rc.1"},
		"a fork's release":     {binaryVars("", "v2.0.0", "acme/secret-preflight", "https://ghe.example"), "release", "v2.0.0", "https://ghe.example/acme/secret-preflight/releases/download/v2.0.0"},
		"commit SHA":           {binaryVars("", "8a98984a0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", "secret-preflight/secret-preflight", gh), "build", "", ""},
		"branch":               {binaryVars("", "main", "secret-preflight/secret-preflight", gh), "build", "", ""},
		"major tag":            {binaryVars("", "v1", "secret-preflight/secret-preflight", gh), "build", "", ""},
		"tag without v":        {binaryVars("", "1.2.3", "secret-preflight/secret-preflight", gh), "build", "", ""},
		"local uses: ./":       {binaryVars("", "", "", gh), "build", "", ""},
		"version input on SHA": {binaryVars("1.4.0", "8a98984a0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", "secret-preflight/secret-preflight", gh), "release", "v1.4.0", gh + "/secret-preflight/secret-preflight/releases/download/v1.4.0"},
		"version input wins":   {binaryVars("v1.4.0", "v1.2.3", "secret-preflight/secret-preflight", gh), "release", "v1.4.0", gh + "/secret-preflight/secret-preflight/releases/download/v1.4.0"},
		"version input, local": {binaryVars("v1.4.0", "", "", gh), "release", "v1.4.0", gh + "/secret-preflight/secret-preflight/releases/download/v1.4.0"},
		"bad version input":    {binaryVars("latest", "v1.2.3", "secret-preflight/secret-preflight", gh), "", "", ""},
		"injected version":     {binaryVars("v1.2.3\n::warning::x", "", "", gh), "", "", ""},
	} {
		t.Run(name, func(t *testing.T) {
			code, stderr, outs := runToolStep(t, step, repo, tc.vars, nil)
			if tc.source == "" {
				if code == 0 || !strings.Contains(stderr, "::error") {
					t.Errorf("exit %d, outputs %q: want a failure with ::error\n%s", code, outs, stderr)
				}
				if strings.Contains(stderr, "::warning") || outs["source"] != "" {
					t.Errorf("the bad input reached the log or an output: %q\n%s", outs, stderr)
				}
				return
			}
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if outs["source"] != tc.source || outs["version"] != tc.version || outs["base-url"] != tc.baseURL {
				t.Errorf("outputs %q, want source=%s version=%s base-url=%s", outs, tc.source, tc.version, tc.baseURL)
			}
			if tc.source == "release" && outs["cache-dir"] == "" {
				t.Errorf("no cache-dir output")
			}
		})
	}

	// Every step of a source build runs only for a build, every step of
	// the release path only for a release; the check runs either way.
	for _, s := range a.Runs.Steps {
		switch {
		case s.ID == binaryStepID || s.ID == checkStepID:
			if s.If != "" {
				t.Errorf("step %q runs only if %s", s.Name, s.If)
			}
		case s.ID == installStepID || strings.Contains(s.Uses, "cache") && strings.Contains(s.With["key"], "release"):
			if !strings.HasPrefix(s.If, "steps."+binaryStepID+".outputs.source == 'release'") {
				t.Errorf("release step %q: if = %q", s.Name, s.If)
			}
		default:
			if !strings.HasPrefix(s.If, "steps."+binaryStepID+".outputs.source == 'build'") {
				t.Errorf("build step %q: if = %q", s.Name, s.If)
			}
		}
	}
	if at := slices.IndexFunc(a.Runs.Steps, func(s actionStep) bool { return s.ID == binaryStepID }); at != 0 {
		t.Errorf("step %q is step %d, want the first", binaryStepID, at)
	}
}

// TestActionInstallsRelease: the action's own steps, at a release tag,
// download from the release URL they compute, verify, and put the binary
// where the check step runs it; a tampered release stops the step.
func TestActionInstallsRelease(t *testing.T) {
	a := loadAction(t)
	repo, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	bin := stampedCLI(t)
	asset := hostAsset(relVersion)
	good := hostArchive(t, map[string][]byte{"secret-preflight" + exeSuffix(): bin})
	const prefix = "acme/secret-preflight/releases/download/v1.2.3"

	install := func(t *testing.T, files map[string][]byte) (code int, stderr, runnerTemp string) {
		srv := serveRelease(t, prefix, files)
		_, stderr, outs := runToolStep(t, a.step(t, binaryStepID), repo, binaryVars("", "v1.2.3", "acme/secret-preflight", srv.URL), nil)
		if outs["source"] != "release" {
			t.Fatalf("binary step outputs %q\n%s", outs, stderr)
		}
		vars := map[string]string{}
		for k, v := range outs {
			vars["steps."+binaryStepID+".outputs."+k] = v
		}
		runnerTemp = t.TempDir()
		code, stderr, _ = runToolStep(t, a.step(t, installStepID), repo, vars, map[string]string{
			"RUNNER_TEMP": runnerTemp, "RUNNER_ARCH": runnerArch(),
		})
		return code, stderr, runnerTemp
	}

	t.Run("good release", func(t *testing.T) {
		code, stderr, runnerTemp := install(t, map[string][]byte{asset: good, "checksums.txt": checksums(map[string][]byte{asset: good})})
		if code != 0 {
			t.Fatalf("install step: exit %d\n%s", code, stderr)
		}
		// Where the check step's script runs it.
		if !strings.Contains(a.step(t, checkStepID).Run, `bin="${RUNNER_TEMP}/secret-preflight"`) {
			t.Fatal("the check step no longer runs RUNNER_TEMP/secret-preflight")
		}
		out, err := exec.CommandContext(t.Context(), filepath.Join(runnerTemp, "secret-preflight"+exeSuffix()), "version").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "secret-preflight "+relVersion+" (commit "+relCommit) {
			t.Errorf("installed binary: %v\n%s", err, out)
		}
	})

	t.Run("tampered release", func(t *testing.T) {
		tampered := append(append([]byte(nil), good...), 0)
		code, stderr, runnerTemp := install(t, map[string][]byte{asset: tampered, "checksums.txt": checksums(map[string][]byte{asset: good})})
		assertInstallError(t, code, stderr, "checksum mismatch")
		if _, err := os.Stat(filepath.Join(runnerTemp, "secret-preflight"+exeSuffix())); !os.IsNotExist(err) {
			t.Errorf("a binary is in RUNNER_TEMP after a failed install: %v", err)
		}
	})
}

// TestReleaseToolingAgrees: the release workflow, the GoReleaser config,
// the installer and the README's verification commands describe the same
// release. (.ci/release builds a real snapshot with GoReleaser and installs
// it with scripts/install.sh; this runs without GoReleaser.)
func TestReleaseToolingAgrees(t *testing.T) {
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var wf struct {
		On struct {
			Push struct {
				Tags []string `yaml:"tags"`
			} `yaml:"push"`
		} `yaml:"on"`
		Permissions map[string]string `yaml:"permissions"`
		Jobs        map[string]struct {
			Permissions map[string]string `yaml:"permissions"`
			Steps       []struct {
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(read(".github/workflows/release.yml")), &wf); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(wf.On.Push.Tags, []string{"v*"}) {
		t.Errorf("release.yml runs on tags %q, want [v*]", wf.On.Push.Tags)
	}
	if len(wf.Permissions) != 0 {
		t.Errorf("release.yml grants %v to every job; grant per job", wf.Permissions)
	}
	toolsMod := read(".ci/tools/go.mod")
	m := regexp.MustCompile(`(?m)^\s*github\.com/goreleaser/goreleaser/v2 (v\S+)`).FindStringSubmatch(toolsMod)
	if m == nil {
		t.Fatal(".ci/tools/go.mod does not require github.com/goreleaser/goreleaser/v2")
	}
	shaRE := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	var goreleaser, attest bool
	for name, job := range wf.Jobs {
		want := map[string]string{"contents": "write", "id-token": "write", "attestations": "write"}
		if !maps.Equal(job.Permissions, want) {
			t.Errorf("job %s: permissions %v, want %v", name, job.Permissions, want)
		}
		for _, s := range job.Steps {
			if s.Uses == "" {
				continue
			}
			if !shaRE.MatchString(s.Uses) {
				t.Errorf("job %s: %s is not pinned to a commit", name, s.Uses)
			}
			switch {
			case strings.HasPrefix(s.Uses, "goreleaser/goreleaser-action@"):
				goreleaser = true
				if s.With["version"] != m[1] {
					t.Errorf("goreleaser-action runs GoReleaser %q, .ci/run checks the config with %s", s.With["version"], m[1])
				}
			case strings.HasPrefix(s.Uses, "actions/attest@"):
				attest = true
				if !strings.Contains(s.With["subject-path"], "dist/checksums.txt") {
					t.Errorf("the attestation does not cover checksums.txt: %q", s.With["subject-path"])
				}
			}
		}
	}
	if !goreleaser || !attest {
		t.Errorf("release.yml: goreleaser-action %v, actions/attest %v; want both", goreleaser, attest)
	}

	// The names the installer asks for are the ones GoReleaser writes.
	gr := read(".goreleaser.yaml")
	for _, want := range []string{
		`name_template: "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}"`,
		"project_name: secret-preflight", "name_template: checksums.txt", "algorithm: sha256",
		"-X main.version={{ .Version }} -X main.commit={{ .FullCommit }} -X main.date={{ .CommitDate }}",
	} {
		if !strings.Contains(gr, want) {
			t.Errorf(".goreleaser.yaml lacks %q", want)
		}
	}
	if !strings.Contains(read("scripts/install.sh"), `asset="secret-preflight_${number}_${os}_${arch}.${ext}"`) {
		t.Error("scripts/install.sh no longer asks for secret-preflight_VERSION_OS_ARCH.EXT")
	}

	readme := read("README.md")
	for _, want := range []string{
		"sha256sum --ignore-missing -c checksums.txt",
		"gh attestation verify checksums.txt --repo secret-preflight/secret-preflight",
		"--signer-workflow secret-preflight/secret-preflight/.github/workflows/release.yml",
		"uses: secret-preflight/secret-preflight@v1.0.0",
	} {
		if !strings.Contains(readme, want) {
			t.Errorf("README lacks %q", want)
		}
	}
}
