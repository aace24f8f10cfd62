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

// The usages of the usage watcher's flags (settings.go).
const (
	usageIntervalUsage = "how often the usage watcher reads an eSIM's consumption at most, to alert its owner (a `duration` from 1m to 24h; sooner only near a threshold)"
	dataFloorUsage     = "data `left` under which a customer is alerted (such as 500MB or 1GB)"
	usageRateUsage     = "consumption `calls` a second the usage watcher makes at most, all eSIMs together"
)

// setUsageInterval reads ESIMBOT_USAGE_INTERVAL.
func setUsageInterval(c *config, v string) error {
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Minute || d > 24*time.Hour {
		return fmt.Errorf("%q: want a Go duration from 1m to 24h, such as 15m", v)
	}
	c.Usage.Interval = d
	return nil
}

// setDataFloor reads ESIMBOT_DATA_FLOOR.
func setDataFloor(c *config, v string) error {
	mb, err := megabytes(v)
	if err != nil {
		return fmt.Errorf("%q: want an amount of data such as 500MB or 1GB", v)
	}
	c.Usage.FloorMB = mb
	return nil
}

// setUsageRate reads ESIMBOT_USAGE_RATE.
func setUsageRate(c *config, v string) error {
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || !(r >= 0.01 && r <= 1000) {
		return fmt.Errorf("%q: want calls a second from 0.01 to 1000, such as 2", v)
	}
	c.Usage.Rate = r
	return nil
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
