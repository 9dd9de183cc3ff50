package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/secret-preflight/secret-preflight/internal/fakegcp"
)

func runValidate(args []string, e *env, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var path string
	fs.StringVar(&path, "c", "", configFlagHelp)
	fs.StringVar(&path, "config", "", "same as -c")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		// validate FILE would otherwise validate the default config and
		// pass, whatever FILE holds.
		fmt.Fprintf(stderr, "secret-preflight validate: unexpected argument %q: use -c FILE to name the config\n", fs.Arg(0))
		return exitUsage
	}
	cfg, err := loadConfig(path, e)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return exitUsage
	}
	consumers := 0
	for _, s := range cfg.Secrets {
		n := len(s.Services)
		if s.Runner != nil {
			n++
		}
		consumers += n
		// Valid, but check will compare nothing for it: say so now
		// rather than let a vacuous pass look like a match.
		if n < 2 {
			fmt.Fprintf(stderr, "warning: %s: secret %q has %s; check compares consumers, so it compares nothing for it: add a runner block or another consumer\n",
				s.Pos, s.Name, initPick(n, "one consumer", "no consumer"))
		}
	}
	fmt.Fprintf(stdout, "%s: valid (%d secrets, %d consumers)\n", cfg.Path, len(cfg.Secrets), consumers)
	return exitOK
}

func runEmulator(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fixture := fs.String("fixture", "", "fixture file (YAML) with secrets, services and revisions")
	listen := fs.String("listen", "127.0.0.1:0", "address to serve on")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "secret-preflight emulator: unexpected argument %q (name the fixture with --fixture FILE)\n", fs.Arg(0))
		return exitUsage
	}
	if *fixture == "" {
		fmt.Fprintln(stderr, "secret-preflight emulator: --fixture is required")
		return exitUsage
	}
	f, err := fakegcp.LoadFixture(*fixture)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight emulator: %v\n", err)
		return exitUsage
	}
	srv, err := fakegcp.Listen(*listen, f)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight emulator: %v\n", err)
		return exitUsage
	}
	defer srv.Close()
	// The two lines are shell assignments so `eval "$(...)"` style wrappers
	// can pick them up.
	fmt.Fprintf(stdout, "%s=%s\n%s=%s\n", envSMEmulator, srv.Addr, envRunEmulator, srv.Addr)
	fmt.Fprintln(stderr, "serving the fake Secret Manager v1 and Cloud Run v2 APIs; interrupt to stop")
	<-ctx.Done()
	return exitOK
}
