package main

import (
	"errors"
	"io"
	"testing"
	"time"
)

// TestUsageSettings: the usage watcher's variables, their defaults, their
// flags, and one clear line for a bad value.
func TestUsageSettings(t *testing.T) {
	load := func(env map[string]string, args ...string) (config, error) {
		env["TELEGRAM_BOT_TOKEN"] = testToken
		m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string { return env[k] }}
		return m.loadConfig(m.newFlagSet("run", "run"), args)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want usageConfig
		bad  string // the variable named, for an error
	}{
		{name: "Defaults", env: map[string]string{}, want: usageConfig{Interval: 15 * time.Minute, FloorMB: 500, Rate: 2}},
		{name: "FromEnv", env: map[string]string{"ESIMBOT_USAGE_INTERVAL": "30m", "ESIMBOT_DATA_FLOOR": "1GB", "ESIMBOT_USAGE_RATE": "0.5"},
			want: usageConfig{Interval: 30 * time.Minute, FloorMB: 1024, Rate: 0.5}},
		{name: "FlagsWin", env: map[string]string{"ESIMBOT_DATA_FLOOR": "1GB"}, args: []string{"-usage-interval", "5m", "-data-floor", "200", "-usage-rate", "10"},
			want: usageConfig{Interval: 5 * time.Minute, FloorMB: 200, Rate: 10}},
		{name: "ErrIntervalShort", env: map[string]string{"ESIMBOT_USAGE_INTERVAL": "10s"}, bad: "ESIMBOT_USAGE_INTERVAL"},
		{name: "ErrFloor", env: map[string]string{"ESIMBOT_DATA_FLOOR": "lots"}, bad: "ESIMBOT_DATA_FLOOR"},
		{name: "ErrFloorZero", env: map[string]string{"ESIMBOT_DATA_FLOOR": "0MB"}, bad: "ESIMBOT_DATA_FLOOR"},
		{name: "ErrRate", env: map[string]string{"ESIMBOT_USAGE_RATE": "0"}, bad: "ESIMBOT_USAGE_RATE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(tc.env, tc.args...)
			var ce *configError
			switch {
			case tc.bad != "" && (!errors.As(err, &ce) || ce.name != tc.bad):
				t.Errorf("got %v, want an error naming %s", err, tc.bad)
			case tc.bad == "" && err != nil:
				t.Fatal(err)
			case tc.bad == "" && c.Usage != tc.want:
				t.Errorf("got %+v, want %+v", c.Usage, tc.want)
			}
		})
	}
}
