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
	"storage":          {"flows"},
	"bot":              {"flows", "locales"},
	"bot/telegramtest": {},
	"cmd/esimbot":      {"*"},
}

// allowedInTests lists, for each package, what its tests (internal and
// external test files) may import of the module besides what the package
// itself may: the fakes and the contract suites.
var allowedInTests = map[string][]string{
	"reseller":         {"reseller", "reseller/sandbox"},
	"reseller/sandbox": {"reseller/sandbox"},
	"locales":          {"locales"},
	"flows":            {"flows", "flows/memstore", "reseller/sandbox"},
	"flows/memstore":   {"flows/memstore", "flows/storetest"},
	"flows/storetest":  {},
	"storage":          {"storage", "flows/storetest"},
	"bot":              {"bot", "bot/telegramtest", "storage"},
	"bot/telegramtest": {"bot/telegramtest"},
	"cmd/esimbot":      {"*"},
}

// onlyIn lists third-party packages that only the given packages of the
// module may import, in code or tests: Telegram lives in bot (cmd/esimbot's
// benchmark drives a bare bot on the same library to compare, and the fake
// Bot API's tests check it against the library's own encoding), bbolt in
// storage.
var onlyIn = map[string][]string{
	"github.com/go-telegram/bot": {"bot", "bot/telegramtest", "cmd/esimbot"},
	"go.etcd.io/bbolt":           {"storage"},
}

// forbiddenDeps lists, for a package, third-party packages that must not be
// among its dependencies, direct or not.
var forbiddenDeps = map[string][]string{
	"flows":    {"github.com/go-telegram/bot", "go.etcd.io/bbolt"},
	"reseller": {"github.com/go-telegram/bot", "go.etcd.io/bbolt"},
}

type listedPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Deps         []string
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
		for _, imp := range append(append([]string(nil), p.TestImports...), p.XTestImports...) {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			target := strings.TrimPrefix(imp, module+"/")
			if !permits(rules, target) && !permits(allowedInTests[rel], target) {
				t.Errorf("tests of %s import %s: not among the fakes and suites arch_test.go allows them", rel, target)
			}
		}
		for _, imp := range append(append(append([]string(nil), p.Imports...), p.TestImports...), p.XTestImports...) {
			for lib, pkgs := range onlyIn {
				if (imp == lib || strings.HasPrefix(imp, lib+"/")) && !permits(pkgs, rel) {
					t.Errorf("%s imports %s, which only %v may", rel, imp, pkgs)
				}
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
