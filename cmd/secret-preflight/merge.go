package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/secret-preflight/secret-preflight/preflight"
	"github.com/secret-preflight/secret-preflight/report"
)

// runMerge combines the JSON reports of the shards of a matrix into one
// report and exits as check would: 0, 1 or 3 for the merged result, 2 when
// a report cannot be read, is not a report, or is keyed differently.
func runMerge(args []string, e *env, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: secret-preflight merge REPORT.json... [--format F] [--output FORMAT=PATH]... [--fail-on error|warning|never]")
		fs.PrintDefaults()
	}
	var format, failOn string
	var outputs listFlag
	fs.StringVar(&format, "format", "", "stdout format: "+strings.Join(report.Formats(), ", ")+" (default text; github when GITHUB_ACTIONS=true)")
	fs.Var(&outputs, "output", "also write FORMAT=PATH (repeatable; PATH - is stdout)")
	fs.StringVar(&failOn, "fail-on", "", "lowest severity that fails the merged run: error, warning, never (default: the strictest the shards ran with)")
	// Report paths and flags may come in any order:
	// merge shard-*/report.json --format markdown.
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "secret-preflight merge: name the JSON reports to merge (written by check --output json=PATH)")
		return exitUsage
	}
	if failOn != "" && !report.ValidFailOn(failOn) {
		fmt.Fprintf(stderr, "secret-preflight merge: --fail-on %q: want error, warning or never\n", failOn)
		return exitUsage
	}
	outs, err := destinations(format, outputs, e)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight merge: %v\n", err)
		return exitUsage
	}
	shards := make([]preflight.Shard, 0, len(files))
	for _, p := range files {
		r, err := report.ReadFile(p, "a report to merge")
		if err != nil {
			fmt.Fprintf(stderr, "secret-preflight merge: %v\n", err)
			return exitUsage
		}
		shards = append(shards, preflight.Shard{Name: p, Report: r})
	}
	rep, err := preflight.Merge(shards, failOn)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight merge: %v\n", err)
		return exitUsage
	}
	return emit(rep, outs, e, stdout, stderr)
}
