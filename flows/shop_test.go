package flows_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// admin is the configured admin of the shop worlds.
const admin = 800

func withAdmin(_ *sandbox.Options, cfg *flows.Config) { cfg.Admins = []flows.UserID{admin} }

var inviteLink = regexp.MustCompile(`inv_[A-Za-z0-9_-]{22}`)

// invite has the admin make an invite and returns its /start payload.
func invite(t *testing.T, a *chat) string {
	t.Helper()
	a.command("/invite")
	payload := inviteLink.FindString(a.lastText())
	if payload == "" {
		t.Fatalf("no invite link in %q", a.lastText())
	}
	return payload
}

// isAgent reports whether the chat's menu greets an agent.
func isAgent(t *testing.T, c *chat) bool {
	t.Helper()
	c.command("/start")
	return strings.Contains(c.lastText(), "Agent mode")
}

// TestInvites: an invite makes its first user an agent, once, before it
// expires; reused, expired, forged and revoked invites give nothing; the
// agent revoked is a customer again.
func TestInvites(t *testing.T) {
	w := newWorld(t, withAdmin)
	a := w.chat(admin, "Owner", "en")
	payload := invite(t, a)
	if !strings.Contains(a.lastText(), "/start "+payload) || !strings.Contains(a.lastText(), "24 h") {
		t.Errorf("invite message %q", a.lastText())
	}

	t.Run("Valid", func(t *testing.T) {
		ag := w.chat(101, "Sam", "en")
		ag.command("/start " + payload)
		if !strings.Contains(ag.log.String(), "You are now an agent") {
			t.Fatalf("no welcome:\n%s", ag.log.String())
		}
		if !isAgent(t, ag) {
			t.Error("the invited user is not an agent")
		}
		ag.command("/start " + payload) // again, by the same user: no harm
		if !strings.Contains(ag.lastText(), "Agent mode") {
			t.Errorf("reopened by its agent: %q", ag.lastText())
		}
	})
	t.Run("Reused", func(t *testing.T) {
		other := w.chat(102, "Eve", "en")
		other.command("/start " + payload)
		if !strings.Contains(other.log.String(), "not valid") || isAgent(t, other) {
			t.Errorf("a second user took the invite:\n%s", other.log.String())
		}
	})
	t.Run("Expired", func(t *testing.T) {
		late := invite(t, a)
		w.clock.Add(24*time.Hour + time.Second)
		c := w.chat(103, "Lea", "en")
		c.command("/start " + late)
		if !strings.Contains(c.log.String(), "not valid") || isAgent(t, c) {
			t.Errorf("an expired invite worked:\n%s", c.log.String())
		}
	})
	t.Run("Forged", func(t *testing.T) {
		c := w.chat(104, "Max", "en")
		for _, p := range []string{"inv_AAAAAAAAAAAAAAAAAAAAAA", "inv_x", "inv_" + strings.Repeat("A", 40), payload + "A"} {
			c.command("/start " + p)
			if isAgent(t, c) {
				t.Fatalf("forged invite %q made an agent", p)
			}
		}
		if n := strings.Count(c.log.String(), "not valid"); n != 4 {
			t.Errorf("%d refusals, want 4:\n%s", n, c.log.String())
		}
	})
	t.Run("CustomerForgesAdmin", func(t *testing.T) {
		c := w.chat(105, "Ivy", "en")
		for _, cmd := range []string{"/invite", "/agents"} {
			c.command(cmd)
			if !strings.Contains(c.lastText(), "I don't know that command") {
				t.Errorf("%s by a customer: %q", cmd, c.lastText())
			}
		}
		c.press("g.revoke.101")
		if !c.outcome.Stale {
			t.Errorf("a customer's revoke was not stale: %+v", c.outcome)
		}
		ag := w.chat(101, "Sam", "en")
		ag.command("/agents") // agents are not admins
		if !strings.Contains(ag.lastText(), "I don't know that command") {
			t.Errorf("/agents by an agent: %q", ag.lastText())
		}
		ag.press("g.revoke.101")
		if !isAgent(t, ag) {
			t.Error("a forged revoke revoked the agent")
		}
		if strings.Contains(c.log.String(), "inv_") || strings.Contains(c.log.String(), "Sam") {
			t.Errorf("a customer saw shop data:\n%s", c.log.String())
		}
	})
	t.Run("Revoked", func(t *testing.T) {
		a.command("/agents")
		if txt := a.lastText(); !strings.Contains(txt, "Sam") || !strings.Contains(txt, "101") || !strings.Contains(txt, "ID 900 (set in ESIMBOT_AGENTS)") {
			t.Fatalf("agents list: %q", txt)
		}
		a.tap("Revoke Sam")
		if a.outcome.Notice != "Agent revoked." || strings.Contains(a.lastText(), "Sam") {
			t.Errorf("after revoking: notice %q, list %q", a.outcome.Notice, a.lastText())
		}
		ag := w.chat(101, "Sam", "en")
		if isAgent(t, ag) {
			t.Error("the revoked agent is still an agent")
		}
		ag.command("/start " + payload)
		if !strings.Contains(ag.log.String(), "not valid") || isAgent(t, ag) {
			t.Errorf("a revoked invite worked again:\n%s", ag.log.String())
		}
		a.press("g.revoke.101")
		if a.outcome.Notice != "That agent was already revoked." {
			t.Errorf("revoking twice: %q", a.outcome.Notice)
		}
	})
}
