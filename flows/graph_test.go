package flows

import (
	goflag "flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

var updateGraph = goflag.Bool("update-graph", false, "rewrite the step graph of doc.go from the step table")

// stepOrder is the order of the drawing: the steps as a purchase meets them.
var stepOrder = []Step{stepMenu, stepDestination, stepPickCountry, stepRegions, stepBundles, stepBundle, stepEmail,
	stepName, stepWhatsApp, stepSummary, stepSelling, stepESIMs, stepESIM, stepTopupBundles, stepTopupSummary,
	stepUsagePick, stepUsage, stepAlerts, stepLanguage, stepForget, stepHelp, stepHelpIPhone, stepHelpAndroid, stepHelpNoData,
	stepHelpDevice, stepHelpValidity, stepHelpTerms, stepSupport}

// graph draws the step table: per step, what moves on from it and where.
func graph() string {
	var b strings.Builder
	for _, s := range stepOrder {
		def := steps[s]
		var edges []string
		for _, a := range slices.Sorted(maps.Keys(def.buttons)) {
			edges = append(edges, edge(string(a), def.buttons[a]))
		}
		for _, e := range []struct {
			name string
			h    handler
		}{{"text", def.text}, {"contact", def.contact}, {"media", def.media}, {"other", def.other}, {"back", def.back}} {
			if e.h.run != nil {
				edges = append(edges, edge(e.name, e.h))
			}
		}
		if def.back.run == nil {
			edges = append(edges, "back → menu")
		}
		wrap(&b, fmt.Sprintf("%-14s", s), edges)
	}
	var cmds []string
	for _, c := range commandTable {
		cmds = append(cmds, edge("/"+c.Name, c.handler))
	}
	wrap(&b, fmt.Sprintf("%-14s", "any step"), cmds)
	var gl []string
	for _, a := range slices.Sorted(maps.Keys(globals)) {
		gl = append(gl, edge("g."+string(a), globals[a]))
	}
	wrap(&b, fmt.Sprintf("%-14s", "any step"), gl)
	return b.String()
}

func edge(name string, h handler) string {
	if len(h.to) == 0 {
		return name
	}
	var to []string
	for _, s := range h.to {
		to = append(to, string(s))
	}
	return name + " → " + strings.Join(to, ", ")
}

// wrap writes a step's edges after its name, as comment lines of at most
// about 110 columns.
func wrap(b *strings.Builder, head string, edges []string) {
	line := "//\t" + head
	indent := "//\t" + strings.Repeat(" ", len(head))
	for i, e := range edges {
		sep := "; "
		if i == 0 {
			sep = ""
		}
		if i > 0 && len(line)+len(sep)+len(e) > 110 {
			b.WriteString(line + ";\n")
			line, sep = indent, ""
		}
		line += sep + e
	}
	b.WriteString(line + "\n")
}

// TestStepGraph keeps the drawing of the package comment true to the step
// table; go test ./flows -run TestStepGraph -update-graph redraws it.
func TestStepGraph(t *testing.T) {
	if len(stepOrder) != len(steps) {
		t.Fatalf("stepOrder has %d steps, the table %d", len(stepOrder), len(steps))
	}
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(src), "\n")
	start := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "//\tmenu ") })
	end := start
	for end >= 0 && end < len(lines) && strings.HasPrefix(lines[end], "//\t") {
		end++
	}
	if start < 0 {
		t.Fatal("no step graph in doc.go (a comment line \"//\\tmenu ...\")")
	}
	got, want := strings.Join(lines[start:end], ""), graph()
	if got == want {
		return
	}
	if *updateGraph {
		out := strings.Join(lines[:start], "") + want + strings.Join(lines[end:], "")
		if err := os.WriteFile("doc.go", []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the step graph of doc.go differs from the table (go test ./flows -run TestStepGraph -update-graph):\n%s", want)
}
