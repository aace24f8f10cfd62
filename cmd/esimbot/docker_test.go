package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerBuildIsStatic builds the binary the way the Dockerfile does and
// checks that it is static (no interpreter, no dynamic libraries: it runs
// on a distroless/static image) and answers "version". Docker engines are
// not available on the build machines, so the image itself is not built.
func TestDockerBuildIsStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	df, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	const line = `CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/esimbot ./cmd/esimbot`
	if !strings.Contains(string(df), line) {
		t.Fatalf("the Dockerfile's build line changed: update this test with it (want %s)", line)
	}
	for _, want := range []string{"HEALTHCHECK", "esimbot\", \"healthcheck\"", "USER nonroot", "VOLUME /data", "ESIMBOT_DB=/data/esimbot.db"} {
		if !strings.Contains(string(df), want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	out := filepath.Join(t.TempDir(), "esimbot")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=test", "-o", out, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has an ELF interpreter: it is not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs %v", libs)
	}
	v, err := exec.Command(out, "version").Output()
	if err != nil || strings.TrimSpace(string(v)) != "esimbot test" {
		t.Errorf("version: %q, %v", v, err)
	}
}
