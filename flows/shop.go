package flows

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// The shop: admins invite agents (/invite, a one-time deep link), list
// and revoke them (/agents). Every check of a role is made by the
// transition of the event, from the role loadUser resolved for it: a
// customer sending these commands is told the command is unknown, and a
// forged revoke button is a stale one.

// invitePrefix starts the /start payload of an invite link.
const invitePrefix = "inv_"

// inviteTokenLen is the length of an invite token (16 random bytes, base64url).
const inviteTokenLen = 22

// actRevoke revokes an agent (global arg: the agent's user ID).
const actRevoke action = "revoke"

// shopKeys are the locale keys of the shop's commands and buttons.
var shopKeys = []string{"invite_created", "invite_invalid", "invite_welcome", "invite_already", "agents_title",
	"agents_none", "agent_line", "agent_line_configured", "btn_revoke", "agent_revoked", "agent_not_found"}

// shopCommands are the commands of admins (left out of the command menu).
func shopCommands() []command {
	return []command{
		{Command{Name: "invite"}, handler{run: inviteCommand}},
		{Command{Name: "agents"}, handler{run: agentsCommand}},
		{Command{Name: "sales"}, handler{run: salesCommand}},
		{Command{Name: "find"}, handler{run: findCommand}},
	}
}

// addShop registers the shop's buttons, keys and commands in the tables
// (called by the tables' init).
func addShop() {
	actions[actRevoke] = true
	globals[actRevoke] = handler{run: revokeButton}
	actions[actExport] = true
	globals[actExport] = handler{run: exportButton}
	commandKeys = append(commandKeys, shopKeys...)
	commandKeys = append(commandKeys, reportKeys...)
	commandKeys = append(commandKeys, lookupKeys...)
	sharedKeys = append(sharedKeys, costKeys...)
	saleKeys = append(saleKeys, receiptKeys...)
	saleKeys = append(saleKeys, alertKeys...)
}

// isAdmin reports whether u is an admin (configured in ESIMBOT_ADMINS).
func isAdmin(u User) bool { return u.Role == RoleAdmin }

// inviteCommand is /invite: a new invite link, for admins.
func inviteCommand(c Conversation, u User, in input) (Conversation, []effect) {
	if !isAdmin(u) {
		return unknownCommand(c, u, in)
	}
	return c, []effect{createInvite{}}
}

// agentsCommand is /agents: the agents, with a revoke button each, for admins.
func agentsCommand(c Conversation, u User, in input) (Conversation, []effect) {
	if !isAdmin(u) {
		return unknownCommand(c, u, in)
	}
	return c, []effect{listAgents{}}
}

// revokeButton revokes the agent of the button, for admins; anyone else
// pressed a stale button.
func revokeButton(c Conversation, u User, in input) (Conversation, []effect) {
	id, err := strconv.ParseInt(in.press.arg, 10, 64)
	if !isAdmin(u) || err != nil || id <= 0 {
		return staling(c, u, in)
	}
	return c, []effect{revokeAgent{UserID(id)}, listAgents{}}
}

// inviteLink opens an invite: the user becomes an agent, if the token is
// good. Staff keep their role and the invite stays unused.
func inviteLink(c Conversation, u User, in input, token string) (Conversation, []effect) {
	c, next := goTo(c, u, in, stepMenu)
	if u.Role != RoleCustomer {
		return c, first(in.say("invite_already"), next)
	}
	return c, first(redeemInvite{token}, next)
}

// createInvite makes an invite and sends its link to the admin.
type createInvite struct{}

// listAgents sends the list of agents with their revoke buttons.
type listAgents struct{}

// revokeAgent revokes an agent given by an invite.
type revokeAgent struct{ user UserID }

// redeemInvite binds an invite to the user and makes them an agent.
type redeemInvite struct{ token string }

func (createInvite) apply(ctx context.Context, t *turn) error {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	token := base64.RawURLEncoding.EncodeToString(b)
	now, ttl := t.e.cfg.Now(), t.e.cfg.InviteTTL
	inv := Invite{Hash: InviteHash(token), By: t.user.ID, Created: now, Expires: now.Add(ttl)}
	if err := t.e.store.CreateInvite(ctx, inv); err != nil {
		return err
	}
	link := "/start " + invitePrefix + token
	if t.e.cfg.BotLink != nil {
		link = t.e.cfg.BotLink(invitePrefix + token)
	}
	hours := int(ttl.Round(time.Hour) / time.Hour)
	return t.send(ctx, Message{Text: t.loc.T("invite_created", "Hours", t.loc.Number(int64(max(hours, 1))), "Link", link)}, false)
}

func (listAgents) apply(ctx context.Context, t *turn) error {
	grants, err := t.e.store.Grants(ctx)
	if err != nil {
		return err
	}
	var lines []string
	var rows [][]Button
	for _, id := range t.e.cfg.Agents {
		if t.e.roles[id] == RoleAgent {
			lines = append(lines, t.loc.T("agent_line_configured", "ID", strconv.FormatInt(int64(id), 10)))
		}
	}
	for _, g := range grants {
		name := clip(g.Name, 32)
		if g.Username != "" {
			name += " @" + clip(g.Username, 32)
		}
		lines = append(lines, t.loc.T("agent_line", "Name", name, "ID", strconv.FormatInt(int64(g.User), 10), "Date", t.loc.Date(g.Since)))
		rows = append(rows, []Button{{Text: t.loc.T("btn_revoke", "Name", clip(g.Name, 32)),
			Data: press{global: true, act: actRevoke, arg: strconv.FormatInt(int64(g.User), 10)}.data()}})
	}
	text := t.loc.T("agents_none")
	if len(lines) > 0 {
		text = t.loc.T("agents_title") + "\n\n" + strings.Join(lines, "\n")
	}
	return t.send(ctx, Message{Text: text, Buttons: rows}, false)
}

func (x revokeAgent) apply(ctx context.Context, t *turn) error {
	err := t.e.store.RevokeGrant(ctx, x.user)
	switch {
	case errors.Is(err, ErrNotFound):
		t.out.Notice = t.loc.T("agent_not_found")
		return nil
	case err != nil:
		return err
	}
	t.e.log.InfoContext(ctx, "agent revoked", "agent", x.user, "by", t.user.ID)
	t.out.Notice = t.loc.T("agent_revoked")
	return nil
}

func (x redeemInvite) apply(ctx context.Context, t *turn) error {
	now := t.e.cfg.Now()
	g := Grant{User: t.user.ID, Role: RoleAgent, Since: now, Name: t.ev.From.FullName(), Username: t.ev.From.Username}
	var err error
	if len(x.token) != inviteTokenLen || !dataChars(x.token) {
		err = ErrNotFound
	} else {
		_, err = t.e.store.RedeemInvite(ctx, InviteHash(x.token), g, now)
	}
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrInviteExpired), errors.Is(err, ErrInviteUsed), errors.Is(err, ErrInviteRevoked):
		t.e.log.InfoContext(ctx, "invite refused", "user", t.user.ID, "why", err.Error())
		return t.send(ctx, Message{Text: t.loc.T("invite_invalid")}, false)
	case err != nil:
		return err
	}
	t.e.log.InfoContext(ctx, "invite used: a new agent", "agent", t.user.ID)
	t.user.Role = RoleAgent
	t.dirty = true
	return t.send(ctx, Message{Text: t.loc.T("invite_welcome")}, false)
}

func (createInvite) String() string  { return "create invite" }
func (listAgents) String() string    { return "list agents" }
func (x revokeAgent) String() string { return "revoke " + strconv.FormatInt(int64(x.user), 10) }
func (redeemInvite) String() string  { return "redeem invite" }
