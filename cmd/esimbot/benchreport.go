package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"
)

// benchResult is what one bot measured under one load.
type benchResult struct {
	setting, bot string
	users        int
	updates      int           // updates offered
	failed       int           // users who did not finish
	wall         time.Duration // first offer to last reply
	steps        map[string][]time.Duration
	order        []string        // step names in the order first seen
	notes        map[string]bool // steps that are not updates (a first reply), left out of "all"
	cpu          time.Duration
	allocs       uint64
	allocBytes   uint64
	commits      uint64 // store commits (the bot only)
	peakRSS      int64  // bytes, the whole process (bot, fake and users)
	dbBytes      int64
	replies      int // messages, edits, photos and answers from the bot
	actions      int // chat actions
}

func (r *benchResult) record(step string, d time.Duration) {
	if _, ok := r.steps[step]; !ok {
		r.order = append(r.order, step)
	}
	r.steps[step] = append(r.steps[step], d)
}

// rate is updates handled per second.
func (r *benchResult) rate() float64 {
	if r.wall <= 0 {
		return 0
	}
	return float64(r.updates) / r.wall.Seconds()
}

// benchReport collects the results and the lone figures of every setting.
type benchReport struct {
	mu      sync.Mutex
	results []*benchResult
	figures []benchFigure
}

// benchFigure is one machine-readable figure.
type benchFigure struct {
	name, unit string
	value      float64
}

func (rep *benchReport) add(r *benchResult) {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	rep.results = append(rep.results, r)
}

func (rep *benchReport) figure(name string, value float64, unit string) {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	rep.figures = append(rep.figures, benchFigure{name, unit, value})
}

// percentile returns the p-th percentile (0 < p ≤ 100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// print writes the tables, then one BENCH line per figure.
func (rep *benchReport) print(w io.Writer) {
	var lines []benchFigure
	line := func(name string, v float64, unit string) { lines = append(lines, benchFigure{name, unit, v}) }
	for _, r := range rep.results {
		r.print(w, line)
	}
	rep.printRatios(w, line)
	for _, f := range rep.figures {
		fmt.Fprintf(w, "%s: %.1f %s\n", f.name, f.value, f.unit)
	}
	lines = append(lines, rep.figures...)
	fmt.Fprintln(w)
	for _, f := range lines {
		fmt.Fprintf(w, "BENCH %s=%s unit=%s\n", f.name, strconv.FormatFloat(f.value, 'f', -1, 64), f.unit)
	}
}

// print writes r's table and totals, and gives line its figures.
func (r *benchResult) print(w io.Writer, line func(name string, v float64, unit string)) {
	fmt.Fprintf(w, "\n%s, %s: %d users, %d updates in %.1f s", r.setting, r.bot, r.users, r.updates, r.wall.Seconds())
	if r.failed > 0 {
		fmt.Fprintf(w, ", %d users did not finish", r.failed)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tupdates\tp50 ms\tp95 ms\tp99 ms\tmax ms\t")
	prefix := r.setting + "." + r.bot
	var all []time.Duration
	for _, name := range r.order {
		d := slices.Clone(r.steps[name])
		slices.Sort(d)
		if !r.notes[name] {
			all = append(all, d...)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", name, len(d), ms(percentile(d, 50)), ms(percentile(d, 95)), ms(percentile(d, 99)), ms(d[len(d)-1]))
		for _, p := range []float64{50, 95, 99} {
			line(fmt.Sprintf("%s.%s.p%.0f", prefix, name, p), ms(percentile(d, p)), "ms")
		}
	}
	slices.Sort(all)
	if len(all) > 0 {
		fmt.Fprintf(tw, "all\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", len(all), ms(percentile(all, 50)), ms(percentile(all, 95)), ms(percentile(all, 99)), ms(all[len(all)-1]))
		for _, p := range []float64{50, 95, 99} {
			line(fmt.Sprintf("%s.all.p%.0f", prefix, p), ms(percentile(all, p)), "ms")
		}
	}
	tw.Flush()
	n := float64(max(r.updates, 1))
	cpu := float64(r.cpu.Microseconds()) / 1000 / n
	fmt.Fprintf(w, "%.0f updates/s · CPU %.2f ms/update · %.0f allocs, %.0f KB/update · %d replies, %d chat actions",
		r.rate(), cpu, float64(r.allocs)/n, float64(r.allocBytes)/n/1024, r.replies, r.actions)
	if r.bot == "esimbot" {
		fmt.Fprintf(w, " · %.3f commits/update (%d)", float64(r.commits)/n, r.commits)
	}
	fmt.Fprintf(w, " · peak RSS %.0f MB", float64(r.peakRSS)/(1<<20))
	if r.dbBytes > 0 {
		fmt.Fprintf(w, " · database %.1f MB", float64(r.dbBytes)/(1<<20))
	}
	fmt.Fprintln(w)
	line(prefix+".updates_per_s", r.rate(), "updates/s")
	line(prefix+".cpu_per_update", cpu, "ms")
	line(prefix+".allocs_per_update", float64(r.allocs)/n, "allocs")
	line(prefix+".alloc_bytes_per_update", float64(r.allocBytes)/n, "bytes")
	line(prefix+".peak_rss", float64(r.peakRSS)/(1<<20), "MB")
	line(prefix+".failed_users", float64(r.failed), "users")
	if r.bot == "esimbot" {
		line(prefix+".commits_per_update", float64(r.commits)/n, "commits")
		line(prefix+".db_size", float64(r.dbBytes)/(1<<20), "MB")
	}
}

// printRatios writes each setting's esimbot figures measured against the
// bare bot's, and gives line the ratios.
func (rep *benchReport) printRatios(w io.Writer, line func(name string, v float64, unit string)) {
	for _, r := range rep.results {
		if r.bot != "esimbot" {
			continue
		}
		for _, bare := range rep.results {
			if bare.setting == r.setting && bare.bot == "bare" && bare.rate() > 0 && bare.cpu > 0 {
				rate := r.rate() / bare.rate()
				cpu := (float64(r.cpu) / float64(max(r.updates, 1))) / (float64(bare.cpu) / float64(max(bare.updates, 1)))
				fmt.Fprintf(w, "\n%s: esimbot handles %.0f%% of the bare bot's updates/s, with %.1f× its CPU per update\n", r.setting, 100*rate, cpu)
				line(r.setting+".ratio.updates_per_s", rate, "ratio")
				line(r.setting+".ratio.cpu_per_update", cpu, "ratio")
			}
		}
	}
}

// benchMeter samples the process before and after a run.
type benchMeter struct {
	rusage syscall.Rusage
	mem    runtime.MemStats
}

func startMeter() benchMeter {
	var m benchMeter
	resetPeakRSS()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &m.rusage)
	runtime.ReadMemStats(&m.mem)
	return m
}

// stop fills r's CPU, allocations and peak RSS since start.
func (m benchMeter) stop(r *benchResult) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	tv := func(t syscall.Timeval) time.Duration {
		return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
	}
	r.cpu = tv(ru.Utime) + tv(ru.Stime) - tv(m.rusage.Utime) - tv(m.rusage.Stime)
	r.allocs = mem.Mallocs - m.mem.Mallocs
	r.allocBytes = mem.TotalAlloc - m.mem.TotalAlloc
	r.peakRSS = peakRSS()
}

// resetPeakRSS resets the kernel's peak RSS of the process (Linux), so each
// run reports its own.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns the process's peak RSS in bytes (VmHWM on Linux, else
// getrusage's, which never resets).
func peakRSS() int64 { return procPeakRSS("self") }

func procPeakRSS(pid string) int64 {
	if b, err := os.ReadFile("/proc/" + pid + "/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				return kb << 10
			}
		}
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss << 10
}
