// Package esimbot_test checks the architecture that ../shared/DESIGN.md
// promises: which of the module's packages may import which.
package esimbot_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/esimbot/esimbot"

// allowed lists, for each package of the module, the packages of the module
// it may import directly. A package missing here may not exist yet; a new
// package must be added to be allowed anything.
var allowed = map[string][]string{
	"reseller":         {},
	"reseller/sandbox": {},
	"locales":          {},
	"flows":            {"reseller", "locales"},
	"flows/memstore":   {"flows"},
	"flows/storetest":  {"flows"},
	"storage":          {"flows", "reseller"},
	"bot":              {"flows", "locales"},
	"bot/telegramtest": {},
	"cmd/esimbot":      {"*"},
}

// forbiddenDeps lists, for a package, third-party packages that must not be
// among its dependencies, direct or not.
var forbiddenDeps = map[string][]string{
	"flows":    {"github.com/go-telegram/bot", "go.etcd.io/bbolt"},
	"reseller": {"github.com/go-telegram/bot", "go.etcd.io/bbolt"},
}

type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func TestArrows(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps=false", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if rel == "" {
			continue
		}
		seen++
		rules, ok := allowed[rel]
		if !ok {
			t.Errorf("package %s has no rule in arch_test.go", rel)
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			target := strings.TrimPrefix(imp, module+"/")
			if !permits(rules, target) {
				t.Errorf("%s imports %s: the arrows of DESIGN.md forbid it", rel, target)
			}
		}
		for _, bad := range forbiddenDeps[rel] {
			for _, d := range p.Deps {
				if d == bad || strings.HasPrefix(d, bad+"/") {
					t.Errorf("%s depends on %s", rel, d)
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("go list found no package of the module")
	}
}

func permits(rules []string, target string) bool {
	for _, r := range rules {
		if r == "*" || r == target {
			return true
		}
	}
	return false
}
