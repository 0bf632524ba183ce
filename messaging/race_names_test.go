package messaging_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRaceNames keeps test.sh's race run complete: test.sh runs this
// package's tests under the race detector only when their names match
// RACE_TESTS, so every test that starts goroutines itself must match it.
func TestRaceNames(t *testing.T) {
	script, err := os.ReadFile("../test.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^RACE_TESTS='([^']+)'$`).FindSubmatch(script)
	if m == nil {
		t.Fatal("test.sh sets no RACE_TESTS='...'")
	}
	race := regexp.MustCompile(string(m[1]))
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Test") || fn.Body == nil {
				continue
			}
			if startsGoroutine(fn.Body) && !race.MatchString(fn.Name.Name) {
				t.Errorf("%s (%s) starts goroutines but its name does not match test.sh's RACE_TESTS %q, so it never runs under -race",
					fn.Name.Name, name, m[1])
			}
		}
	}
}

// startsGoroutine reports whether body has a go statement or a
// sync.WaitGroup's Go call.
func startsGoroutine(body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			found = true
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Go" {
				found = true
			}
		}
		return !found
	})
	return found
}
