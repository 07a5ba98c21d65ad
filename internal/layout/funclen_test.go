package layout

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// maxFuncLines is how long a function may grow before it is split: past
// it, a reader can no longer hold the function in one screen and one
// thought.
const maxFuncLines = 80

// longFuncs are the functions still over maxFuncLines, with the length
// they may not exceed. Each is one long switch or state machine (a
// terminal's escape dispatch, a lexer, a parser's class table), where
// splitting would scatter one table over several functions, or waits its
// turn to be split. The list only shrinks: a function that grows, or a new
// one past the limit, fails the test; one split below the limit must leave
// the list.
var longFuncs = map[string]int{
	"player/screen/vt10x.go VT10X.Write":      142,
	"player/screen/csi.go Screen.csiDispatch": 106,
	"player/screen/parse.go Screen.step":      100,
	"player/screen/vt10x.go VT10X.csi":        92,
	"player/screen/csi.go Screen.sgr":         86,
	"player/web/data.go encodeData":           106,
	"internal/secret/refer.go referrer.run":   97,
	"draft/draft.go Write":                    94,
	"engine/ssh/sshtest/sshtest.go Start":     87,
	"player/guide/recorded.go ReadRecorded":   84,
}

// TestFunctionLength keeps functions (tests aside) under maxFuncLines, but
// for the listed ones, which may not grow.
func TestFunctionLength(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
			key := filepath.ToSlash(rel) + " " + funcName(fd)
			limit, listed := longFuncs[key]
			seen[key] = listed
			switch {
			case listed && n > limit:
				t.Errorf("%s: %d lines, grown past its %d: split it", key, n, limit)
			case listed && n <= maxFuncLines:
				t.Errorf("%s: %d lines, now within %d: take it off longFuncs", key, n, maxFuncLines)
			case !listed && n > maxFuncLines:
				t.Errorf("%s: %d lines, over %d: split it", key, n, maxFuncLines)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var gone []string
	for key := range longFuncs {
		if !seen[key] {
			gone = append(gone, key)
		}
	}
	sort.Strings(gone)
	for _, key := range gone {
		t.Errorf("%s is listed in longFuncs but no longer exists: take it off", key)
	}
}

// funcName is a function's name, a method's prefixed with its receiver's
// type: Recv.Name.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
			continue
		case *ast.IndexExpr:
			t = x.X
			continue
		case *ast.IndexListExpr:
			t = x.X
			continue
		case *ast.Ident:
			return x.Name + "." + fd.Name.Name
		}
		return fd.Name.Name
	}
}
