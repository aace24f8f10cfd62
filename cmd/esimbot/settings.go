package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller"
)

// settings is the configuration of "run", in the order it is checked (a
// setting's when and set may read the settings above it). Adding a
// variable is adding an entry here, a field to config and a row to the
// README's table.
var settings = []setting{
	{name: "TELEGRAM_BOT_TOKEN", set: func(c *config, v string) error {
		c.Token = v
		return checkToken(v)
	}},
	{name: "TELEGRAM_API_URL", flag: "telegram-api-url", def: "https://api.telegram.org",
		usage: "Bot API server `URL` (a self-hosted one, or a fake in tests)",
		set: func(c *config, v string) error {
			c.TelegramURL = v
			return checkURL(v)
		}},
	{name: "RESELLER_API_URL", flag: "reseller-api-url",
		usage: "reseller API base `URL` including the prefix (…/api/v1); empty: the built-in sandbox",
		set: func(c *config, v string) error {
			if c.ResellerURL = v; v == "" {
				return nil
			}
			return checkURL(v)
		}},
	{name: "RESELLER_USERNAME", flag: "reseller-username",
		usage: "reseller login `name`, required with a reseller URL",
		set: func(c *config, v string) error {
			if c.ResellerUser = v; v == "" && c.ResellerURL != "" {
				return errors.New("required with RESELLER_API_URL")
			}
			return nil
		}},
	{name: "RESELLER_PASSWORD", when: withReseller, set: func(c *config, v string) error {
		if c.ResellerPass = v; v == "" {
			return errors.New("required with RESELLER_API_URL (or RESELLER_PASSWORD_FILE)")
		}
		return nil
	}},
	{name: "RESELLER_PATHS", flag: "reseller-paths", def: "default",
		usage: "reseller endpoint `naming`: default or legacy",
		set: func(c *config, v string) (err error) {
			if c.ResellerPaths, err = reseller.PathsPreset(v); err != nil {
				return errors.New("want default or legacy")
			}
			return nil
		}},
	{name: "ESIMBOT_DB", flag: "db", def: "esimbot.db",
		usage: "bbolt database `file`",
		set:   func(c *config, v string) error { c.DB = v; return nil }},
	{name: "ESIMBOT_LISTEN", flag: "listen", def: "127.0.0.1:8080",
		usage: "`address` of /healthz, /readyz, /metrics and the webhook",
		set: func(c *config, v string) error {
			c.Listen = v
			return checkListen(v)
		}},
	{name: "ESIMBOT_WEBHOOK_URL", flag: "webhook-url",
		usage: "public https `URL` of the webhook; empty: long polling",
		set: func(c *config, v string) error {
			if c.WebhookURL = v; v == "" {
				return nil
			}
			return checkWebhookURL(v)
		}},
	{name: "ESIMBOT_WEBHOOK_SECRET", when: func(c *config) bool { return c.WebhookURL != "" },
		set: func(c *config, v string) error {
			c.WebhookSecret = v
			return checkWebhookSecret(v)
		}},
	{name: "ESIMBOT_AGENTS", flag: "agents",
		usage: "Telegram user `IDs` of the shop agents, comma-separated",
		set: func(c *config, v string) (err error) {
			c.Agents, err = userIDs(v)
			return err
		}},
	{name: "ESIMBOT_ADMINS", flag: "admins",
		usage: "Telegram user `IDs` of the admins, comma-separated",
		set: func(c *config, v string) (err error) {
			c.Admins, err = userIDs(v)
			return err
		}},
	{name: "ESIMBOT_LOG_LEVEL", flag: "log-level", def: "info",
		usage: "log `level`: debug, info, warn, error",
		set: func(c *config, v string) error {
			if c.LogLevel.UnmarshalText([]byte(v)) != nil {
				return errors.New("want debug, info, warn or error")
			}
			return nil
		}},
	{name: "ESIMBOT_LOG_FORMAT", flag: "log-format", def: "auto",
		usage: "log `format`: text, json, or auto (text on a terminal)",
		set: func(c *config, v string) error {
			return oneOf(&c.LogFormat, v, "want text, json or auto", "auto", "text", "json")
		}},
	{name: "ESIMBOT_PRICE", flag: "price", def: string(flows.PriceRetail),
		usage: "price `field` shown: reseller_retail_price (falls back to subscriber_price) or subscriber_price",
		set: func(c *config, v string) error {
			return oneOf(&c.Price, flows.PriceField(v), "want reseller_retail_price or subscriber_price", flows.PriceRetail, flows.PriceSubscriber)
		}},
	{name: "ESIMBOT_CURRENCY", flag: "currency", def: "USD",
		usage: "`currency` (ISO 4217) when the API names none",
		set: func(c *config, v string) error {
			if c.Currency = v; len(v) != 3 {
				return errors.New("want an ISO 4217 code such as USD")
			}
			return nil
		}},
	{name: "ESIMBOT_ORDER_PREFIX", flag: "order-prefix", def: "EB",
		usage: "`start` of every order_reference: at most 8 letters or digits",
		set: func(c *config, v string) error {
			if c.OrderPrefix = v; (flows.Config{OrderPrefix: v}).Validate() != nil {
				return errors.New("want at most 8 letters or digits")
			}
			return nil
		}},
	{name: "ESIMBOT_SEND_RATE", flag: "send-rate", def: "30",
		usage: "`messages` a second the bot may start itself, all chats together (deliveries after a wait, alerts); replies to users go at once; 0: no budget",
		set: func(c *config, v string) (err error) {
			c.SendRate, err = rate(v)
			return err
		}},
	{name: "ESIMBOT_CHAT_RATE", flag: "chat-rate", def: "1",
		usage: "`messages` a second the bot may start itself in one chat, after a burst of 3; 0: no budget",
		set: func(c *config, v string) (err error) {
			c.ChatRate, err = rate(v)
			return err
		}},
	{name: "ESIMBOT_WORKERS", flag: "workers", def: "128",
		usage: "`number` of chats handled at once (each waits for the reseller API, the disk and Telegram)",
		set: func(c *config, v string) (err error) {
			if c.Workers, err = strconv.Atoi(v); err != nil || c.Workers < 1 || c.Workers > 100_000 {
				return fmt.Errorf("%q: want a number of chats from 1 to 100000", v)
			}
			return nil
		}},
	{name: "ESIMBOT_CATALOG_TTL", flag: "catalog-ttl", def: "10m",
		usage: "`duration` catalog reads are cached (a Go duration such as 10m); refreshed in the background before it ends",
		set: duration(func(c *config) *time.Duration { return &c.CatalogTTL },
			time.Second, 24*time.Hour, "want a Go duration from 1s to 24h, such as 10m")},
	{name: "ESIMBOT_INVITE_TTL", flag: "invite-ttl", def: "24h",
		usage: "how long an agent invite link can be opened (a `duration` such as 24h)",
		set: duration(func(c *config) *time.Duration { return &c.InviteTTL },
			time.Minute, 0, "want a duration of a minute or more, such as 24h")},
	{name: "ESIMBOT_LOW_BALANCE", flag: "low-balance", def: "0",
		usage: "wallet `amount` under which admins are alerted; 0: no alert",
		set: func(c *config, v string) (err error) {
			if c.LowBalance, err = decimal.NewFromString(v); err != nil || c.LowBalance.IsNegative() {
				return fmt.Errorf("%q: want an amount such as 50 (0: no alert)", v)
			}
			return nil
		}},
	{name: "ESIMBOT_DELIVERY_ALERT", flag: "delivery-alert", def: "10m",
		usage: "`duration` after which an undelivered sale is reported to admins",
		set: duration(func(c *config) *time.Duration { return &c.DeliveryAlert },
			time.Minute, 0, "want a duration of a minute or more, such as 10m")},
	{name: "ESIMBOT_PAYMENTS", flag: "payments", def: "none",
		usage: "how customers `pay`: stars (Telegram Stars) or none (only agents and admins sell, unless sales are open)",
		set: func(c *config, v string) error {
			return oneOf(&c.Payments, flows.Payments(v), fmt.Sprintf("%q: want stars or none", v), flows.PaymentsNone, flows.PaymentsStars)
		}},
	{name: "ESIMBOT_STARS_PER_UNIT", flag: "stars-per-unit",
		usage: "Telegram Stars per unit of the price's currency (`number`), required for payments in stars; amounts are rounded up",
		when:  func(c *config) bool { return c.Payments == flows.PaymentsStars },
		set: func(c *config, v string) error {
			d, err := decimal.NewFromString(v)
			if err != nil || !d.IsPositive() {
				return fmt.Errorf("%q: want a positive number of Stars per unit of the price's currency, such as 50", v)
			}
			c.StarsPerUnit = d
			return nil
		}},
	{name: "ESIMBOT_INVOICE_TTL", flag: "invoice-ttl", def: "30m",
		usage: "how long an invoice can be paid (`duration`)",
		set: duration(func(c *config) *time.Duration { return &c.InvoiceTTL },
			time.Minute, 24*time.Hour, "want a duration from 1m to 24h, such as 30m")},
	{name: "ESIMBOT_OPEN_SALES", flag: "open-sales",
		usage: "`true` lets customers buy without paying; default true on the embedded sandbox only",
		set: func(c *config, v string) error {
			switch v {
			case "":
				c.OpenSales = c.ResellerURL == "" // the embedded sandbox: anyone may try the whole journey
			case "true", "false":
				c.OpenSales = v == "true"
			default:
				return fmt.Errorf("%q: want true or false", v)
			}
			return nil
		}},
	{name: "ESIMBOT_SUPPORT", flag: "support",
		usage: "the shop's `contact` shown to customers who cannot buy here and by /paysupport (a @username, a phone, a link)",
		set: func(c *config, v string) error {
			if c.Support = v; len(v) > 200 || strings.ContainsAny(v, "\n\r") {
				return errors.New("want one line of at most 200 characters, such as @my_shop")
			}
			return nil
		}},
	supportChatSetting, supportLangSetting, // the support desk (config_support.go)
	{name: "ESIMBOT_TERMS_FILE", flag: "terms-file",
		usage: "`file` of the terms /terms shows (Telegram HTML), instead of the built-in ones",
		set: func(c *config, v string) error {
			if v == "" {
				return nil
			}
			b, err := os.ReadFile(v)
			if err != nil || len(strings.TrimSpace(string(b))) == 0 || len(b) > 4000 {
				return errors.New("want a readable file of 1 to 4000 bytes")
			}
			c.Terms = strings.TrimSpace(string(b))
			return nil
		}},
	// The usage watcher (issue 14, config_usage.go).
	{name: "ESIMBOT_USAGE_INTERVAL", flag: "usage-interval", def: "15m", usage: usageIntervalUsage, set: setUsageInterval},
	{name: "ESIMBOT_DATA_FLOOR", flag: "data-floor", def: "500MB", usage: dataFloorUsage, set: setDataFloor},
	{name: "ESIMBOT_USAGE_RATE", flag: "usage-rate", def: "2", usage: usageRateUsage, set: setUsageRate},
}

// withReseller reports whether the bot uses a reseller API rather than the
// embedded sandbox.
func withReseller(c *config) bool { return c.ResellerURL != "" }

// duration is the set of a setting that is a Go duration from least to
// most (0: no upper bound), stored in the field at returns.
func duration(at func(*config) *time.Duration, least, most time.Duration, want string) func(*config, string) error {
	return func(c *config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < least || most > 0 && d > most {
			return fmt.Errorf("%q: %s", v, want)
		}
		*at(c) = d
		return nil
	}
}

// oneOf stores v in *p if it is one of allowed, else it returns the
// problem want.
func oneOf[T comparable](p *T, v T, want string, allowed ...T) error {
	for _, a := range allowed {
		if v == a {
			*p = v
			return nil
		}
	}
	return errors.New(want)
}

// checkToken checks a bot token as @BotFather gives it.
func checkToken(v string) error {
	if v == "" {
		return errors.New("required: the bot token from @BotFather (or TELEGRAM_BOT_TOKEN_FILE)")
	}
	if id, _, ok := strings.Cut(v, ":"); strings.ContainsAny(v, " \t\n/") || !ok || !isBotID(id) {
		return errors.New("not a bot token: want <id>:<secret> as @BotFather gives it")
	}
	return nil
}

// checkWebhookURL checks the public URL Telegram posts updates to.
func checkWebhookURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return errors.New("want an https:// URL that Telegram can reach")
	}
	if strings.IndexFunc(u.Path, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._~-", r))
	}) >= 0 || u.RawQuery != "" {
		return errors.New("the path may hold only letters, digits and / . _ ~ -, and no query")
	}
	return nil
}

// checkWebhookSecret checks the secret Telegram sends with every update in
// webhook mode.
func checkWebhookSecret(v string) error {
	if len(v) < 16 || len(v) > 256 || strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) >= 0 {
		return errors.New("required in webhook mode: 16 to 256 characters of A-Z a-z 0-9 _ -")
	}
	return nil
}
