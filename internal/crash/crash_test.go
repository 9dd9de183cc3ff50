package crash

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

const canary = "CANARY-crash-Kk1Ll2Mm3Nn4Oo5Pp6"

func TestRepanicCarriesTypeAndSiteNotValue(t *testing.T) {
	var c Catcher
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Recover()
			if i == 1 {
				panic(errors.New("resolving " + canary))
			}
		}()
	}
	wg.Wait()
	var got string
	func() {
		defer func() { got = Describe(recover()) }()
		c.Repanic()
		t.Fatal("Repanic did not panic")
	}()
	if !strings.HasPrefix(got, "panic (*errors.errorString) in ") || !strings.Contains(got, "crash_test.go:") {
		t.Errorf("Describe = %q", got)
	}
	if strings.Contains(got, canary) {
		t.Errorf("Describe quotes the value: %q", got)
	}
}

func TestRepanicWithoutPanicReturns(t *testing.T) {
	var c Catcher
	func() {
		defer c.Recover()
	}()
	c.Repanic()
}

func TestDescribeARuntimeError(t *testing.T) {
	var got string
	func() {
		defer func() { got = Describe(recover()) }()
		var m map[string]int
		m[canary]++
	}()
	if !strings.HasPrefix(got, "panic (runtime.plainError) in ") || !strings.Contains(got, "TestDescribeARuntimeError") || strings.Contains(got, canary) {
		t.Errorf("Describe = %q", got)
	}
}
