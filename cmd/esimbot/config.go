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
	// StarsPerUnit converts prices to Stars (ESIMBOT_STARS_PER_UNIT).
	StarsPerUnit decimal.Decimal
	// InvoiceTTL is how long an invoice can be paid (ESIMBOT_INVOICE_TTL).
	InvoiceTTL time.Duration
	// Terms is the text of /terms read from ESIMBOT_TERMS_FILE; empty: the
	// catalog's.
	Terms string
}

// configError names the variable at fault; its text is the one line the
// program prints before it stops.
type configError struct{ name, problem string }

func (e *configError) Error() string { return e.name + ": " + e.problem }

// loadConfig reads the environment, then the flags in args (which win for
// what they set). Every setting that is not a secret has a flag, whose
// usage names its variable; secrets come only from the environment or
// files.
func (m *Main) loadConfig(fs *flag.FlagSet, args []string) (config, error) {
	env := func(name, def string) string {
		if v := strings.TrimSpace(m.Getenv(name)); v != "" {
			return v
		}
		return def
	}
	// setting reads variable name (def if unset) into p and registers its
	// flag; a back-quoted word of usage names the flag's value.
	setting := func(p *string, flagName, name, def, usage string) {
		*p = env(name, def)
		fs.StringVar(p, flagName, *p, usage+" ("+name+")")
	}
	var c config
	var paths, agents, admins, price, level, sendRate, chatRate, workers, catalogTTL string
	var inviteTTL, lowBalance, deliveryAlert string
	setting(&c.TelegramURL, "telegram-api-url", "TELEGRAM_API_URL", "https://api.telegram.org", "Bot API server `URL` (a self-hosted one, or a fake in tests)")
	setting(&c.ResellerURL, "reseller-api-url", "RESELLER_API_URL", "", "reseller API base `URL` including the prefix (…/api/v1); empty: the built-in sandbox")
	setting(&c.ResellerUser, "reseller-username", "RESELLER_USERNAME", "", "reseller login `name`, required with a reseller URL")
	setting(&paths, "reseller-paths", "RESELLER_PATHS", "default", "reseller endpoint `naming`: default or legacy")
	setting(&c.DB, "db", "ESIMBOT_DB", "esimbot.db", "bbolt database `file`")
	setting(&c.Listen, "listen", "ESIMBOT_LISTEN", "127.0.0.1:8080", "`address` of /healthz, /readyz, /metrics and the webhook")
	setting(&c.WebhookURL, "webhook-url", "ESIMBOT_WEBHOOK_URL", "", "public https `URL` of the webhook; empty: long polling")
	setting(&agents, "agents", "ESIMBOT_AGENTS", "", "Telegram user `IDs` of the shop agents, comma-separated")
	setting(&admins, "admins", "ESIMBOT_ADMINS", "", "Telegram user `IDs` of the admins, comma-separated")
	setting(&price, "price", "ESIMBOT_PRICE", string(flows.PriceRetail), "price `field` shown: reseller_retail_price (falls back to subscriber_price) or subscriber_price")
	setting(&c.Currency, "currency", "ESIMBOT_CURRENCY", "USD", "`currency` (ISO 4217) when the API names none")
	setting(&c.OrderPrefix, "order-prefix", "ESIMBOT_ORDER_PREFIX", "EB", "`start` of every order_reference: at most 8 letters or digits")
	setting(&level, "log-level", "ESIMBOT_LOG_LEVEL", "info", "log `level`: debug, info, warn, error")
	setting(&c.LogFormat, "log-format", "ESIMBOT_LOG_FORMAT", "auto", "log `format`: text, json, or auto (text on a terminal)")
	setting(&sendRate, "send-rate", "ESIMBOT_SEND_RATE", "30", "`messages` a second the bot may start itself, all chats together (deliveries after a wait, alerts); replies to users go at once; 0: no budget")
	setting(&workers, "workers", "ESIMBOT_WORKERS", "128", "`number` of chats handled at once (each waits for the reseller API, the disk and Telegram)")
	setting(&catalogTTL, "catalog-ttl", "ESIMBOT_CATALOG_TTL", "10m", "`duration` catalog reads are cached (a Go duration such as 10m); refreshed in the background before it ends")
	setting(&chatRate, "chat-rate", "ESIMBOT_CHAT_RATE", "1", "`messages` a second the bot may start itself in one chat, after a burst of 3; 0: no budget")
	setting(&inviteTTL, "invite-ttl", "ESIMBOT_INVITE_TTL", "24h", "how long an agent invite link can be opened (a `duration` such as 24h)")
	setting(&lowBalance, "low-balance", "ESIMBOT_LOW_BALANCE", "0", "wallet `amount` under which admins are alerted; 0: no alert")
	setting(&deliveryAlert, "delivery-alert", "ESIMBOT_DELIVERY_ALERT", "10m", "`duration` after which an undelivered sale is reported to admins")
	var payments, openSales, starsPerUnit, invoiceTTL, termsFile string
	setting(&payments, "payments", "ESIMBOT_PAYMENTS", "none", "how customers `pay`: stars (Telegram Stars) or none (only agents and admins sell, unless sales are open)")
	setting(&openSales, "open-sales", "ESIMBOT_OPEN_SALES", "", "`true` lets customers buy without paying; default true on the embedded sandbox only")
	setting(&c.Support, "support", "ESIMBOT_SUPPORT", "", "the shop's `contact` shown to customers who cannot buy here and by /paysupport (a @username, a phone, a link)")
	setting(&starsPerUnit, "stars-per-unit", "ESIMBOT_STARS_PER_UNIT", "", "Telegram Stars per unit of the price's currency (`number`), required for payments in stars; amounts are rounded up")
	setting(&invoiceTTL, "invoice-ttl", "ESIMBOT_INVOICE_TTL", "30m", "how long an invoice can be paid (`duration`)")
	setting(&termsFile, "terms-file", "ESIMBOT_TERMS_FILE", "", "`file` of the terms /terms shows (Telegram HTML), instead of the built-in ones")
	supportChat := supportChatSetting(fs, env)
	if err := m.parse(fs, args); err != nil {
		return c, err
	}
	c.Price = flows.PriceField(price)
	var err error
	if c.Token, err = m.secret("TELEGRAM_BOT_TOKEN"); err != nil {
		return c, err
	}
	if c.Token == "" {
		return c, &configError{"TELEGRAM_BOT_TOKEN", "required: the bot token from @BotFather (or TELEGRAM_BOT_TOKEN_FILE)"}
	}
	if id, _, ok := strings.Cut(c.Token, ":"); strings.ContainsAny(c.Token, " \t\n/") || !ok || !isBotID(id) {
		return c, &configError{"TELEGRAM_BOT_TOKEN", "not a bot token: want <id>:<secret> as @BotFather gives it"}
	}
	if err := checkURL("TELEGRAM_API_URL", c.TelegramURL); err != nil {
		return c, err
	}
	if c.ResellerURL != "" {
		if err := checkURL("RESELLER_API_URL", c.ResellerURL); err != nil {
			return c, err
		}
		if c.ResellerUser == "" {
			return c, &configError{"RESELLER_USERNAME", "required with RESELLER_API_URL"}
		}
		if c.ResellerPass, err = m.secret("RESELLER_PASSWORD"); err != nil {
			return c, err
		}
		if c.ResellerPass == "" {
			return c, &configError{"RESELLER_PASSWORD", "required with RESELLER_API_URL (or RESELLER_PASSWORD_FILE)"}
		}
	}
	if c.ResellerPaths, err = reseller.PathsPreset(paths); err != nil {
		return c, &configError{"RESELLER_PATHS", "want default or legacy"}
	}
	if err := checkListen(c.Listen); err != nil {
		return c, err
	}
	if c.WebhookURL != "" {
		u, err := url.Parse(c.WebhookURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return c, &configError{"ESIMBOT_WEBHOOK_URL", "want an https:// URL that Telegram can reach"}
		}
		if strings.IndexFunc(u.Path, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._~-", r))
		}) >= 0 || u.RawQuery != "" {
			return c, &configError{"ESIMBOT_WEBHOOK_URL", "the path may hold only letters, digits and / . _ ~ -, and no query"}
		}
		if c.WebhookSecret, err = m.secret("ESIMBOT_WEBHOOK_SECRET"); err != nil {
			return c, err
		}
		if len(c.WebhookSecret) < 16 || strings.IndexFunc(c.WebhookSecret, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
		}) >= 0 || len(c.WebhookSecret) > 256 {
			return c, &configError{"ESIMBOT_WEBHOOK_SECRET", "required in webhook mode: 16 to 256 characters of A-Z a-z 0-9 _ -"}
		}
	}
	if c.Agents, err = userIDs("ESIMBOT_AGENTS", agents); err != nil {
		return c, err
	}
	if c.Admins, err = userIDs("ESIMBOT_ADMINS", admins); err != nil {
		return c, err
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return c, &configError{"ESIMBOT_LOG_LEVEL", "want debug, info, warn or error"}
	}
	switch c.LogFormat {
	case "auto", "text", "json":
	default:
		return c, &configError{"ESIMBOT_LOG_FORMAT", "want text, json or auto"}
	}
	switch c.Price {
	case flows.PriceRetail, flows.PriceSubscriber:
	default:
		return c, &configError{"ESIMBOT_PRICE", "want reseller_retail_price or subscriber_price"}
	}
	if len(c.Currency) != 3 {
		return c, &configError{"ESIMBOT_CURRENCY", "want an ISO 4217 code such as USD"}
	}
	if err := (flows.Config{OrderPrefix: c.OrderPrefix}).Validate(); err != nil {
		return c, &configError{"ESIMBOT_ORDER_PREFIX", "want at most 8 letters or digits"}
	}
	if c.SendRate, err = rate("ESIMBOT_SEND_RATE", sendRate); err != nil {
		return c, err
	}
	if c.ChatRate, err = rate("ESIMBOT_CHAT_RATE", chatRate); err != nil {
		return c, err
	}
	if c.Workers, err = strconv.Atoi(workers); err != nil || c.Workers < 1 || c.Workers > 100_000 {
		return c, &configError{"ESIMBOT_WORKERS", fmt.Sprintf("%q: want a number of chats from 1 to 100000", workers)}
	}
	if c.CatalogTTL, err = time.ParseDuration(catalogTTL); err != nil || c.CatalogTTL < time.Second || c.CatalogTTL > 24*time.Hour {
		return c, &configError{"ESIMBOT_CATALOG_TTL", fmt.Sprintf("%q: want a Go duration from 1s to 24h, such as 10m", catalogTTL)}
	}
	if c.InviteTTL, err = time.ParseDuration(inviteTTL); err != nil || c.InviteTTL < time.Minute {
		return c, &configError{"ESIMBOT_INVITE_TTL", fmt.Sprintf("%q: want a duration of a minute or more, such as 24h", inviteTTL)}
	}
	if c.LowBalance, err = decimal.NewFromString(lowBalance); err != nil || c.LowBalance.IsNegative() {
		return c, &configError{"ESIMBOT_LOW_BALANCE", fmt.Sprintf("%q: want an amount such as 50 (0: no alert)", lowBalance)}
	}
	if c.DeliveryAlert, err = time.ParseDuration(deliveryAlert); err != nil || c.DeliveryAlert < time.Minute {
		return c, &configError{"ESIMBOT_DELIVERY_ALERT", fmt.Sprintf("%q: want a duration of a minute or more, such as 10m", deliveryAlert)}
	}
	if err := c.sellingPolicy(payments, openSales, starsPerUnit, invoiceTTL); err != nil {
		return c, err
	}
	if c.SupportChat, err = supportChat(); err != nil {
		return c, err
	}
	if termsFile != "" {
		b, err := os.ReadFile(termsFile)
		if err != nil || len(strings.TrimSpace(string(b))) == 0 || len(b) > 4000 {
			return c, &configError{"ESIMBOT_TERMS_FILE", "want a readable file of 1 to 4000 bytes"}
		}
		c.Terms = strings.TrimSpace(string(b))
	}
	return c, nil
}

// sellingPolicy reads who may complete a sale and how they pay
// (ESIMBOT_PAYMENTS, ESIMBOT_OPEN_SALES, ESIMBOT_SUPPORT).
func (c *config) sellingPolicy(payments, openSales, starsPerUnit, invoiceTTL string) error {
	switch c.Payments = flows.Payments(payments); c.Payments {
	case flows.PaymentsNone:
	case flows.PaymentsStars:
		d, err := decimal.NewFromString(starsPerUnit)
		if err != nil || !d.IsPositive() {
			return &configError{"ESIMBOT_STARS_PER_UNIT", fmt.Sprintf("%q: want a positive number of Stars per unit of the price's currency, such as 50", starsPerUnit)}
		}
		c.StarsPerUnit = d
	default:
		return &configError{"ESIMBOT_PAYMENTS", fmt.Sprintf("%q: want stars or none", payments)}
	}
	ttl, err := time.ParseDuration(invoiceTTL)
	if err != nil || ttl < time.Minute || ttl > 24*time.Hour {
		return &configError{"ESIMBOT_INVOICE_TTL", fmt.Sprintf("%q: want a duration from 1m to 24h, such as 30m", invoiceTTL)}
	}
	c.InvoiceTTL = ttl
	switch openSales {
	case "":
		c.OpenSales = c.ResellerURL == "" // the embedded sandbox: anyone may try the whole journey
	case "true", "false":
		c.OpenSales = openSales == "true"
	default:
		return &configError{"ESIMBOT_OPEN_SALES", fmt.Sprintf("%q: want true or false", openSales)}
	}
	if len(c.Support) > 200 || strings.ContainsAny(c.Support, "\n\r") {
		return &configError{"ESIMBOT_SUPPORT", "want one line of at most 200 characters, such as @my_shop"}
	}
	return nil
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
func rate(name, v string) (float64, error) {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, &configError{name, fmt.Sprintf("%q: want messages per second, a number such as 30 (0: no budget)", v)}
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

func checkURL(name, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &configError{name, "want an http(s):// URL"}
	}
	return nil
}

// userIDs parses a comma-separated list of Telegram user IDs.
func userIDs(name, v string) ([]flows.UserID, error) {
	var out []flows.UserID
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n <= 0 {
			return nil, &configError{name, fmt.Sprintf("%q is not a Telegram user ID (want numbers separated by commas)", f)}
		}
		out = append(out, flows.UserID(n))
	}
	return out, nil
}
