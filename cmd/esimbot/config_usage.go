package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// usageConfig is the usage watcher's settings (issue 14, flows/usagewatch.go).
type usageConfig struct {
	// Interval is how often an eSIM's consumption is read at most
	// (ESIMBOT_USAGE_INTERVAL).
	Interval time.Duration
	// FloorMB is the data left under which the owner is told
	// (ESIMBOT_DATA_FLOOR).
	FloorMB int64
	// Rate caps the watcher's calls a second (ESIMBOT_USAGE_RATE).
	Rate float64
}

// usageSettings registers the usage watcher's variables and flags with
// setting (loadConfig's) and returns the function that reads them once
// the flags are parsed.
func usageSettings(setting func(p *string, flagName, name, def, usage string)) func() (usageConfig, error) {
	var interval, floor, rate string
	setting(&interval, "usage-interval", "ESIMBOT_USAGE_INTERVAL", "15m", "how often the usage watcher reads an eSIM's consumption at most, to alert its owner (a `duration` from 1m to 24h; sooner only near a threshold)")
	setting(&floor, "data-floor", "ESIMBOT_DATA_FLOOR", "500MB", "data `left` under which a customer is alerted (such as 500MB or 1GB)")
	setting(&rate, "usage-rate", "ESIMBOT_USAGE_RATE", "2", "consumption `calls` a second the usage watcher makes at most, all eSIMs together")
	return func() (usageConfig, error) {
		var u usageConfig
		var err error
		if u.Interval, err = time.ParseDuration(interval); err != nil || u.Interval < time.Minute || u.Interval > 24*time.Hour {
			return u, &configError{"ESIMBOT_USAGE_INTERVAL", fmt.Sprintf("%q: want a Go duration from 1m to 24h, such as 15m", interval)}
		}
		if u.FloorMB, err = megabytes(floor); err != nil {
			return u, &configError{"ESIMBOT_DATA_FLOOR", fmt.Sprintf("%q: want an amount of data such as 500MB or 1GB", floor)}
		}
		if u.Rate, err = strconv.ParseFloat(rate, 64); err != nil || !(u.Rate >= 0.01 && u.Rate <= 1000) {
			return u, &configError{"ESIMBOT_USAGE_RATE", fmt.Sprintf("%q: want calls a second from 0.01 to 1000, such as 2", rate)}
		}
		return u, nil
	}
}

// megabytes reads an amount of data: a number of megabytes, with MB or GB
// (1024 MB) after it or nothing.
func megabytes(s string) (int64, error) {
	v := strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	unit := int64(1)
	switch {
	case strings.HasSuffix(v, "GB"):
		v, unit = strings.TrimSuffix(v, "GB"), 1024
	case strings.HasSuffix(v, "MB"):
		v = strings.TrimSuffix(v, "MB")
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > 1<<20 {
		return 0, fmt.Errorf("data %q", s)
	}
	return n * unit, nil
}
