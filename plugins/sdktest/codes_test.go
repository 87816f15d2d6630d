package sdktest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCodesComplete fails when plugins/sdk/codes.go has a record error code
// that the suite does not know, or the suite knows one that is gone.
func TestCodesComplete(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "sdk", "codes.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	inSDK := map[string]bool{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Code") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("codes.go: %s is not a string literal", name.Name)
				}
				code, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				inSDK[code] = true
				if !codes[code] {
					t.Errorf("sdk.%s (%q) is missing from the suite's codes", name.Name, code)
				}
			}
		}
	}
	if len(inSDK) == 0 {
		t.Fatal("found no codes in codes.go")
	}
	for code := range codes {
		if !inSDK[code] {
			t.Errorf("the suite's codes have %q, which codes.go does not", code)
		}
	}
}
