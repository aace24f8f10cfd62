package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/locales"
)

// Engine handles flows events; *flows.Engine is one.
type Engine interface {
	Handle(ctx context.Context, ev flows.Event) (flows.Outcome, error)
}

// Inbox is the durable queue of received updates; *storage.Store is one.
// Telegram numbers updates per bot, so every method takes the bot's ID
// (its Telegram user ID) with the update's.
type Inbox interface {
	// PutUpdate stores an update of the bot unless the bot saw its ID, and
	// reports whether it was new.
	PutUpdate(ctx context.Context, bot, id int64, payload []byte) (bool, error)
	// PutUpdates stores updates of the bot (ids[i] with payloads[i], one
	// getUpdates answer) in one transaction, each as PutUpdate would, and
	// reports which were new.
	PutUpdates(ctx context.Context, bot int64, ids []int64, payloads [][]byte) ([]bool, error)
	// UnseenUpdates reports which of the bot's update IDs PutUpdates would
	// find new (neither pending nor handled lately), writing nothing: a
	// polled answer's new updates are queued while it is stored.
	UnseenUpdates(ctx context.Context, bot int64, ids []int64) ([]bool, error)
	// PendingUpdates returns the bot's stored updates not yet handled, in
	// order.
	PendingUpdates(ctx context.Context, bot int64) ([][]byte, error)
	// UpdateDone removes a handled update of the bot.
	UpdateDone(ctx context.Context, bot, id int64) error
}

// Users lets the bot mark a user who blocked it; *storage.Store is one.
type Users interface {
	User(ctx context.Context, id flows.UserID) (flows.User, error)
	SaveUser(ctx context.Context, u flows.User) error
}

// Metrics receives the bot's counts; all methods may be called concurrently.
// A nil Metrics in Config counts nothing.
type Metrics interface {
	// UpdateHandled counts an update of a kind (message, command, callback,
	// contact, group, other) and how long handling it took.
	UpdateHandled(kind string, took time.Duration)
	// SendFailed counts a Bot API call that failed for good.
	SendFailed(method string)
}

// Config configures a Bot.
type Config struct {
	// Token is the bot token from BotFather. It is never logged.
	Token string
	// ServerURL is the Bot API server (default https://api.telegram.org).
	ServerURL string
	// WebhookURL, when set, selects webhook mode: Telegram POSTs updates
	// there (the program serves WebhookHandler on it). Empty: long polling.
	WebhookURL string
	// WebhookSecret is the secret Telegram sends with every webhook request.
	WebhookSecret string
	// Payments says customers pay in the chat (Stars): the command menu
	// then lists /paysupport.
	Payments bool
	// Workers bounds the chats handled at once (default 128). Handling
	// mostly waits (for the reseller API, a commit, Telegram), so the bound
	// is well above the CPUs: a purchase holds its worker for seconds.
	Workers int
	// PollTimeout is the long-polling timeout (default 50 s).
	PollTimeout time.Duration
	// GlobalRate and ChatRate are the pre-emptive budget of the messages
	// the bot starts itself (deliveries by the reconciler, alerts,
	// broadcasts: whatever is sent outside the handling of a chat's
	// update): calls per second overall and in one chat (defaults 30 and
	// 1; a negative rate turns that budget off), with bursts of GlobalBurst
	// and ChatBurst (30, 3). Replies to a user's own action (the answer of
	// a tap, the edit of the screen tapped, what is sent to the chat while
	// its update is handled) go out at once. A 429 holds back the chat
	// and every call for its retry_after, whatever the budget.
	GlobalRate, ChatRate   float64
	GlobalBurst, ChatBurst int
	// ActionDelay is how long a reply may take before a chat action
	// ("typing…") is shown: an action is sent only if no reply went out
	// within it (default 1 s).
	ActionDelay time.Duration
	// SendTimeout bounds one try of a Bot API call that sends (a message, a
	// photo upload, an edit, a button's answer), apart from long polling's
	// PollTimeout (default 30 s).
	SendTimeout time.Duration
	// MaxRetries bounds the retries of one send after a 429 (default 3).
	MaxRetries int
	// AnswerWithin is how long a button press may wait for the engine
	// before it is answered without a notice (default 2 s).
	AnswerWithin time.Duration
	// PanicRetries is how many times an update whose handling panics is
	// tried before it is skipped (default 3).
	PanicRetries int
	// Logger receives the bot's logs (default: discarded).
	Logger *slog.Logger
	// Metrics receives counts (optional).
	Metrics Metrics
	// SupportChat, when not 0, is the support desk's staff chat (a group):
	// its messages and button presses reach the engine as
	// flows.EventStaff, where every other group is answered with a pointer
	// to the private chat (support.go).
	SupportChat int64
}

func (c *Config) defaults() {
	if c.ServerURL == "" {
		c.ServerURL = "https://api.telegram.org"
	}
	if c.Workers <= 0 {
		c.Workers = 128
	}
	if c.PollTimeout <= 0 {
		c.PollTimeout = 50 * time.Second
	}
	if c.GlobalRate == 0 {
		c.GlobalRate = 30
	}
	if c.ChatRate == 0 {
		c.ChatRate = 1
	}
	if c.ActionDelay <= 0 {
		c.ActionDelay = time.Second
	}
	if c.GlobalBurst <= 0 {
		c.GlobalBurst = 30
	}
	if c.ChatBurst <= 0 {
		c.ChatBurst = 3
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 30 * time.Second
	}
	if c.MaxRetries <= 0 {
		c.MaxRetries = 3
	}
	if c.AnswerWithin <= 0 {
		c.AnswerWithin = 2 * time.Second
	}
	if c.PanicRetries <= 0 {
		c.PanicRetries = 3
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Bot is the Telegram channel. Create it with New, give Messenger to the
// engine, then Run it.
type Bot struct {
	cfg   Config
	id    int64 // the bot's Telegram user ID: the number before the token's colon
	tg    *tg.Bot
	http  *http.Client // shared by the library's calls and the long poll
	inbox Inbox
	log   *slog.Logger
	out   *sender
	cat   *locales.Catalog

	mu       sync.Mutex
	username string // the bot's @username, from getMe
	engine   Engine
	disp     *dispatcher
	// While Run queues what the inbox kept (leftovers), webhook updates
	// wait in held, to be queued after them; an update among the leftovers
	// is queued from the inbox only.
	holding   bool
	held      []*models.Update
	leftovers map[int64]bool
	writes    writes // polled updates queued before their inbox write is done
}

// New prepares a bot. It does not call Telegram: Run does.
func New(cfg Config, inbox Inbox, users Users, cat *locales.Catalog) (*Bot, error) {
	cfg.defaults()
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("bot: token is empty")
	}
	if cfg.WebhookURL != "" && cfg.WebhookSecret == "" {
		return nil, errors.New("bot: webhook mode needs a secret")
	}
	prefix, _, _ := strings.Cut(cfg.Token, ":")
	id, err := strconv.ParseInt(prefix, 10, 64)
	if err != nil || id <= 0 {
		return nil, errors.New("bot: the token does not start with the bot's numeric ID (<id>:<secret>)")
	}
	b := &Bot{cfg: cfg, id: id, inbox: inbox, cat: cat}
	b.log = slog.New(RedactSecrets(cfg.Logger.Handler(), cfg.Token))
	b.http = newHTTPClient(cfg)
	// The library only sends: the bot polls on its own (poll), so that an
	// answer's offset is confirmed only once the whole answer is stored.
	api, err := tg.New(cfg.Token,
		tg.WithServerURL(strings.TrimRight(cfg.ServerURL, "/")),
		tg.WithSkipGetMe(),
		tg.WithHTTPClient(cfg.PollTimeout, sizedBodies{b.http}),
		tg.WithErrorsHandler(func(err error) {
			b.log.Warn("telegram", "err", err)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	b.tg = api
	b.out = newSender(api, cfg, users, b.log)
	return b, nil
}

// Messenger is the flows.Messenger that sends through this bot.
func (b *Bot) Messenger() flows.Messenger { return b.out }

// Username returns the bot's @username once Run has asked Telegram.
func (b *Bot) Username() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.username
}

// Ping asks Telegram who the bot is (getMe), for readiness checks. Its
// error says whether the token was refused or the Bot API not reached.
func (b *Bot) Ping(ctx context.Context) error {
	me, err := b.tg.GetMe(ctx)
	if err != nil {
		return fmt.Errorf("getMe: %s", b.explain(err))
	}
	if me.ID != b.id {
		// Telegram's bot IDs are the tokens' prefixes; a proxy or a fake
		// might say otherwise. The inbox stays keyed by the token's.
		b.log.Warn("getMe names another bot ID than the token", "token_id", b.id, "getme_id", me.ID)
	}
	b.mu.Lock()
	b.username = me.Username
	b.mu.Unlock()
	return nil
}

// Run serves until ctx is done: it asks Telegram who the bot is, sets the
// command menu and the descriptions (in the background), handles the
// inbox's pending updates, then polls (after deleteWebhook) or registers
// the webhook. In webhook mode the program
// must serve WebhookHandler. On return, in-flight updates have finished
// or drain is over.
func (b *Bot) Run(ctx context.Context, engine Engine, drain time.Duration) error {
	if err := b.Ping(ctx); err != nil {
		return fmt.Errorf("bot: %w", err)
	}
	// The command menu and the descriptions (up to 20 calls) are set
	// meanwhile: users are answered from the start, not seconds later.
	var profile sync.WaitGroup
	defer profile.Wait()
	profile.Go(func() {
		b.setCommands(ctx)
		b.setDescriptions(ctx)
	})
	// Updates run with their own context, so a shutdown lets them finish.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	d := newDispatcher(b.cfg.Workers, func(upd *models.Update) { b.handle(work, engine, upd) })
	b.mu.Lock()
	b.engine, b.disp, b.holding = engine, d, true
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.disp, b.holding, b.held = nil, false, nil // no more updates taken; what arrives stays in the inbox
		b.mu.Unlock()
	}()
	if err := b.queueLeftovers(ctx, d); err != nil {
		return err
	}

	if b.cfg.WebhookURL != "" {
		ok, err := b.tg.SetWebhook(ctx, &tg.SetWebhookParams{URL: b.cfg.WebhookURL, SecretToken: b.cfg.WebhookSecret,
			AllowedUpdates: allowedUpdates})
		if err != nil || !ok {
			return fmt.Errorf("bot: setWebhook: %s", redact(err, b.cfg.Token))
		}
		b.log.Info("webhook registered", "url", b.cfg.WebhookURL)
		<-ctx.Done()
	} else {
		if _, err := b.tg.DeleteWebhook(ctx, &tg.DeleteWebhookParams{}); err != nil {
			return fmt.Errorf("bot: deleteWebhook: %s", redact(err, b.cfg.Token))
		}
		b.log.Info("polling Telegram for updates", "bot", b.Username())
		b.poll(ctx)
	}
	b.mu.Lock()
	b.disp = nil // no more updates taken
	b.mu.Unlock()
	if !d.wait(drain) {
		b.log.Warn("shutdown: updates still running after the drain time", "drain", drain)
	}
	return nil
}

// explain returns the text of a Bot API error, without the token, naming
// the two causes an operator must act on: a refused token and an
// unreachable server.
func (b *Bot) explain(err error) string {
	var ue *url.Error
	switch {
	case errors.Is(err, tg.ErrorUnauthorized):
		return "Telegram refused the bot token (401 Unauthorized)"
	case errors.Is(err, tg.ErrorNotFound):
		return "Telegram refused the bot token (404 Not Found)"
	case errors.As(err, &ue):
		return fmt.Sprintf("cannot reach the Bot API at %s: %s", strings.TrimRight(b.cfg.ServerURL, "/"), redact(ue.Err, b.cfg.Token))
	}
	return redact(err, b.cfg.Token)
}
