package main

import (
	"log/slog"
	"runtime/debug"
	"testing"
)

// gcSettings returns the collector's GOGC and memory limit.
func gcSettings() (gogc int, limit int64) {
	gogc = debug.SetGCPercent(100)
	debug.SetGCPercent(gogc)
	return gogc, debug.SetMemoryLimit(-1) // a negative limit only reads it
}

func TestTuneGC(t *testing.T) {
	gogc, limit := gcSettings()
	for _, tc := range []struct {
		name      string
		env       map[string]string
		wantGOGC  int
		wantLimit int64
	}{
		{"Unset", nil, runGOGC, runMemLimit},
		{"OperatorGOGC", map[string]string{"GOGC": "100"}, gogc, limit},
		{"OperatorGOMEMLIMIT", map[string]string{"GOMEMLIMIT": "1GiB"}, gogc, limit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			restore := tuneGC(func(k string) string { return tc.env[k] }, slog.New(slog.DiscardHandler))
			gotGOGC, gotLimit := gcSettings()
			restore()
			if gotGOGC != tc.wantGOGC || gotLimit != tc.wantLimit {
				t.Errorf("during the run: GOGC %d, limit %d; want %d, %d", gotGOGC, gotLimit, tc.wantGOGC, tc.wantLimit)
			}
			if g, l := gcSettings(); g != gogc || l != limit {
				t.Errorf("after the run: GOGC %d, limit %d; want %d, %d as before", g, l, gogc, limit)
			}
		})
	}
}
