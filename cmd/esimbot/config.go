package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller"
)

// config is the program's configuration, read from the environment (the
// operator contract of DESIGN.md) with flags for what is not secret.
type config struct {
	Token          string // TELEGRAM_BOT_TOKEN or TELEGRAM_BOT_TOKEN_FILE
	TelegramURL    string // TELEGRAM_API_URL
	ResellerURL    string // RESELLER_API_URL; empty: the built-in sandbox
	ResellerUser   string // RESELLER_USERNAME
	ResellerPass   string // RESELLER_PASSWORD or RESELLER_PASSWORD_FILE
	ResellerPaths  reseller.Paths
	DB             string // ESIMBOT_DB
	Listen         string // ESIMBOT_LISTEN
	WebhookURL     string // ESIMBOT_WEBHOOK_URL
	WebhookSecret  string // ESIMBOT_WEBHOOK_SECRET or ESIMBOT_WEBHOOK_SECRET_FILE
	Agents, Admins []flows.UserID
	LogLevel       slog.Level
	LogFormat      string // text, json or auto
	Price          flows.PriceField
	Currency       string
	OrderPrefix    string
	// SendRate and ChatRate are the budget of the messages the bot starts
	// itself, per second overall and per chat (ESIMBOT_SEND_RATE,
	// ESIMBOT_CHAT_RATE); 0 turns a budget off.
	SendRate, ChatRate float64
	// Workers bounds the chats handled at once (ESIMBOT_WORKERS).
	Workers int
	// CatalogTTL is how long catalog reads are cached (ESIMBOT_CATALOG_TTL).
	CatalogTTL time.Duration

	// The shop (issue 11).
	InviteTTL     time.Duration   // ESIMBOT_INVITE_TTL
	LowBalance    decimal.Decimal // ESIMBOT_LOW_BALANCE; zero: no alert
	DeliveryAlert time.Duration   // ESIMBOT_DELIVERY_ALERT

	// Payments is how customers pay (ESIMBOT_PAYMENTS).
	Payments flows.Payments
	// OpenSales lets customers buy without paying (ESIMBOT_OPEN_SALES);
	// by default on the embedded sandbox only.
	OpenSales bool
	// Support is the shop's contact for customers (ESIMBOT_SUPPORT).
	Support string
	// SupportChat is the support desk's staff group (ESIMBOT_SUPPORT_CHAT).
	SupportChat flows.ChatID
	// SupportLang is the language of the bot's posts in the staff group
	// (ESIMBOT_SUPPORT_LANG).
	SupportLang string
	// StarsPerUnit converts prices to Stars (ESIMBOT_STARS_PER_UNIT).
	StarsPerUnit decimal.Decimal
	// InvoiceTTL is how long an invoice can be paid (ESIMBOT_INVOICE_TTL).
	InvoiceTTL time.Duration
	// Terms is the text of /terms read from ESIMBOT_TERMS_FILE; empty: the
	// catalog's.
	Terms string
	// Usage is the usage watcher's (config_usage.go).
	Usage usageConfig
}

// configError names the variable at fault; its text is the one line the
// program prints before it stops.
type configError struct{ name, problem string }

func (e *configError) Error() string { return e.name + ": " + e.problem }

// setting is one variable of the configuration: where it is read from, its
// default, and how its value fills the config. The table of settings
// (settings.go) is the whole configuration of "run".
type setting struct {
	name  string // the environment variable
	flag  string // its flag; empty for a secret, read only from name or name_FILE
	def   string // the value when neither the variable nor the flag is set
	usage string // the flag's usage; a back-quoted word names its value
	// when, if set, tells from the settings before this one whether it
	// applies: if not, it is not checked (a secret is not even read).
	when func(c *config) bool
	// set checks the value and stores it in c. An error other than a
	// *configError is the problem with this variable.
	set func(c *config, v string) error
}

// loadConfig reads the environment, then the flags in args (which win for
// what they set). Every setting that is not a secret has a flag, whose
// usage names its variable; secrets come only from the environment or
// files. Settings are checked in the order of the table, and the first
// problem is returned.
func (m *Main) loadConfig(fs *flag.FlagSet, args []string) (config, error) {
	vals := make([]string, len(settings))
	for i, s := range settings {
		if s.flag == "" {
			continue
		}
		if vals[i] = strings.TrimSpace(m.Getenv(s.name)); vals[i] == "" {
			vals[i] = s.def
		}
		fs.StringVar(&vals[i], s.flag, vals[i], s.usage+" ("+s.name+")")
	}
	var c config
	if err := m.parse(fs, args); err != nil {
		return c, err
	}
	for i, s := range settings {
		if s.when != nil && !s.when(&c) {
			continue
		}
		if s.flag == "" {
			v, err := m.secret(s.name)
			if err != nil {
				return c, err
			}
			vals[i] = v
		}
		if err := s.set(&c, vals[i]); err != nil {
			if ce := (*configError)(nil); !errors.As(err, &ce) {
				err = &configError{s.name, err.Error()}
			}
			return c, err
		}
	}
	return c, nil
}

// policy is the selling policy in force, in words, for the start-up line.
func (c config) policy() (who, pay string) {
	who = "agents and admins only; customers browse and are sent to the shop"
	switch {
	case c.Payments == flows.PaymentsStars:
		who = "agents and admins; customers who pay in Telegram Stars"
		return who, fmt.Sprintf("stars (%s Stars per unit, invoices valid %s)", c.StarsPerUnit, c.InvoiceTTL)
	case c.OpenSales:
		who = "anyone, without paying"
	}
	return who, string(c.Payments)
}

// rate parses a budget in messages per second: a number, 0 or more.
func rate(v string) (float64, error) {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, fmt.Errorf("%q: want messages per second, a number such as 30 (0: no budget)", v)
	}
	return n, nil
}

// botRate is a budget as bot.Config takes it: a negative rate turns it off.
func botRate(perSecond float64) float64 {
	if perSecond == 0 {
		return -1
	}
	return perSecond
}

// isBotID reports whether s, the part of a token before the colon, is a
// bot's Telegram user ID: a positive decimal number.
func isBotID(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n > 0
}

// secret reads NAME, or the file named by NAME_FILE (not both).
func (m *Main) secret(name string) (string, error) {
	v, file := m.Getenv(name), m.Getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return "", &configError{name, "set " + name + " or " + name + "_FILE, not both"}
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", &configError{name + "_FILE", "cannot read the file: " + errors.Unwrap(err).Error()}
		}
		return strings.TrimSpace(string(b)), nil
	}
	return strings.TrimSpace(v), nil
}

// checkListen checks a TCP address to listen on (ESIMBOT_LISTEN): host:port
// with a numeric port, 0 (any free port) to 65535.
func checkListen(v string) error {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return &configError{"ESIMBOT_LISTEN", "want host:port, such as 127.0.0.1:8080"}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || port != strconv.Itoa(n) {
		return &configError{"ESIMBOT_LISTEN", fmt.Sprintf("port %q is not a number from 0 to 65535: want host:port, such as 127.0.0.1:8080", port)}
	}
	return nil
}

// checkURL checks the URL of an HTTP server.
func checkURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an http(s):// URL")
	}
	return nil
}

// userIDs parses a comma-separated list of Telegram user IDs.
func userIDs(v string) ([]flows.UserID, error) {
	var out []flows.UserID
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a Telegram user ID (want numbers separated by commas)", f)
		}
		out = append(out, flows.UserID(n))
	}
	return out, nil
}
