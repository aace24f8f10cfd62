package main

import (
	"log/slog"
	"runtime/debug"
)

// The garbage collector of "esimbot run", unless the operator sets GOGC or
// GOMEMLIMIT: the heap may grow to five times what is live (GOGC=400,
// against Go's 100) before a collection, under a soft limit of 256 MiB of
// the process's Go memory past which collections come as often as needed.
// The bot's live heap is small (tens of megabytes at a thousand chats
// buying at once) but it allocates briskly per update, so Go's default
// collects several times a second at load: "esimbot bench -settings
// capacity" spends about a fifth of its CPU in the collector with it.
const (
	runGOGC     = 400
	runMemLimit = 256 << 20
)

// tuneGC sets the collector of "esimbot run" where getenv has neither GOGC
// nor GOMEMLIMIT, and returns the function that puts back the settings it
// found (for a run inside a test or the benchmark's process).
func tuneGC(getenv func(string) string, log *slog.Logger) (restore func()) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	gogc := debug.SetGCPercent(runGOGC)
	limit := debug.SetMemoryLimit(runMemLimit)
	log.Debug("garbage collector", "gogc", runGOGC, "memory_limit_bytes", runMemLimit)
	return func() {
		debug.SetGCPercent(gogc)
		debug.SetMemoryLimit(limit)
	}
}
