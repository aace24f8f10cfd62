package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/esimbot/esimbot/reseller/sandbox"
)

var hex24 = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestLogin(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	login := func(body any) resp {
		return e.post("/Agent/login", body, withToken(""), lenient)
	}

	t.Run("OK", func(t *testing.T) {
		m := login(map[string]string{"username": "demo", "password": "demo"}).want(t, http.StatusOK).obj(t)
		for k, want := range map[string]any{
			"token_type": "Bearer", "role": "reseller", "show_global_esim_bundles": false,
			"expires_in": json.Number("3600"), "refresh_expires_in": json.Number("86400"),
		} {
			if m[k] != want {
				t.Errorf("%s = %v, want %v", k, m[k], want)
			}
		}
		if id, _ := m["reseller_id"].(string); !hex24.MatchString(id) {
			t.Errorf("reseller_id %v, want 24 hex digits", m["reseller_id"])
		}
		if m["access_token"] == "" || m["refresh_token"] == "" || m["access_token"] == m["refresh_token"] {
			t.Errorf("tokens %v / %v", m["access_token"], m["refresh_token"])
		}
	})
	t.Run("TokensUnique", func(t *testing.T) {
		seen := map[string]bool{}
		for range 20 {
			m := login(map[string]string{"username": "demo", "password": "demo"}).want(t, http.StatusOK).obj(t)
			for _, k := range []string{"access_token", "refresh_token"} {
				tok := m[k].(string)
				if seen[tok] {
					t.Fatalf("token %s issued twice", tok)
				}
				seen[tok] = true
			}
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		login(map[string]string{"username": "demo", "password": "nope"}).wantError(t, http.StatusUnauthorized, "Invalid username or password")
	})
	t.Run("ErrWrongUsername", func(t *testing.T) {
		login(map[string]string{"username": "root", "password": "demo"}).wantError(t, http.StatusUnauthorized, "Invalid username or password")
	})
	t.Run("ErrMalformedJSON", func(t *testing.T) {
		login(`{"username":`).wantError(t, http.StatusBadRequest, "Invalid JSON body")
	})
	t.Run("ErrMissingPassword", func(t *testing.T) {
		login(map[string]string{"username": "demo"}).wantError(t, http.StatusBadRequest, "password is required")
	})
	t.Run("ErrMissingUsername", func(t *testing.T) {
		login(map[string]string{"password": "demo"}).wantError(t, http.StatusBadRequest, "username is required")
	})
}

func TestLoginOptions(t *testing.T) {
	e := newEnv(t, sandbox.Options{Username: "agent", Password: "s3cret", ShowGlobalESIMBundles: true, AccessTTL: 5 * time.Minute, RefreshTTL: time.Hour, Seed: 7})
	if u, p := e.srv.Credentials(); u != "agent" || p != "s3cret" {
		t.Fatalf("Credentials() = %q, %q", u, p)
	}
	m := e.post("/Agent/login", map[string]string{"username": "agent", "password": "s3cret"}).want(t, http.StatusOK).obj(t)
	if m["show_global_esim_bundles"] != true || m["expires_in"] != json.Number("300") || m["refresh_expires_in"] != json.Number("3600") {
		t.Errorf("login %v", m)
	}
	e.srv.SetShowGlobalESIMBundles(false)
	m = e.post("/Agent/login", map[string]string{"username": "agent", "password": "s3cret"}).want(t, http.StatusOK).obj(t)
	if m["show_global_esim_bundles"] != false {
		t.Errorf("show_global_esim_bundles %v after SetShowGlobalESIMBundles(false)", m["show_global_esim_bundles"])
	}
}

func TestAccessToken(t *testing.T) {
	e := newEnv(t, sandbox.Options{AccessTTL: 10 * time.Minute, RefreshTTL: time.Hour})
	regions := func(opts ...requestOption) resp { return e.get("/Regions", nil, opts...) }

	t.Run("OK", func(t *testing.T) {
		regions().want(t, http.StatusOK)
	})
	t.Run("ErrMissing", func(t *testing.T) {
		regions(withToken("")).wantError(t, http.StatusUnauthorized, "Invalid or expired token")
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		regions(withToken("not-a-token")).wantError(t, http.StatusUnauthorized, "Invalid or expired token")
	})
	t.Run("ErrRefreshTokenIsNotAccessToken", func(t *testing.T) {
		var tok struct {
			Refresh string `json:"refresh_token"`
		}
		e.post("/Agent/login", map[string]string{"username": "demo", "password": "demo"}).decode(t, &tok)
		regions(withToken(tok.Refresh)).wantError(t, http.StatusUnauthorized, "Invalid or expired token")
	})
	t.Run("ErrExpired", func(t *testing.T) {
		tok := e.login()
		e.clock.Advance(9 * time.Minute)
		regions(withToken(tok)).want(t, http.StatusOK)
		e.clock.Advance(time.Minute)
		regions(withToken(tok)).wantError(t, http.StatusUnauthorized, "Invalid or expired token")
	})
	t.Run("ErrExpireAccessTokens", func(t *testing.T) {
		tok := e.login()
		e.srv.ExpireAccessTokens()
		regions(withToken(tok)).wantError(t, http.StatusUnauthorized, "Invalid or expired token")
		regions(withToken(e.login())).want(t, http.StatusOK)
	})
}

func TestRefreshToken(t *testing.T) {
	e := newEnv(t, sandbox.Options{AccessTTL: 10 * time.Minute, RefreshTTL: time.Hour})
	type tokens struct {
		Access    string `json:"access_token"`
		Refresh   string `json:"refresh_token"`
		Type      string `json:"token_type"`
		ExpiresIn int64  `json:"expires_in"`
		RefreshIn int64  `json:"refresh_expires_in"`
	}
	var first tokens
	e.post("/Agent/login", map[string]string{"username": "demo", "password": "demo"}).want(t, http.StatusOK).decode(t, &first)
	refresh := func(tok string) resp {
		return e.post("/Token/Refresh", map[string]string{"refresh_token": tok}, withToken(""))
	}

	e.srv.ExpireAccessTokens()
	var second tokens
	refresh(first.Refresh).want(t, http.StatusOK).decode(t, &second)
	if second.Access == "" || second.Access == first.Access || second.Refresh == first.Refresh || second.Refresh == "" {
		t.Fatalf("refresh gave %+v after %+v", second, first)
	}
	if second.Type != "Bearer" || second.ExpiresIn != 600 || second.RefreshIn != 3600 {
		t.Errorf("refresh answer %+v", second)
	}
	e.get("/Regions", nil, withToken(second.Access)).want(t, http.StatusOK)

	t.Run("ErrRotated", func(t *testing.T) {
		refresh(first.Refresh).wantError(t, http.StatusUnauthorized, "Invalid refresh token")
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		refresh("sbx.rt.nothing").wantError(t, http.StatusUnauthorized, "Invalid refresh token")
	})
	t.Run("ErrMissing", func(t *testing.T) {
		e.post("/Token/Refresh", map[string]string{}, withToken(""), lenient).wantError(t, http.StatusBadRequest, "refresh_token is required")
	})
	t.Run("ErrMalformedJSON", func(t *testing.T) {
		e.post("/Token/Refresh", "[1,2", withToken(""), lenient).wantError(t, http.StatusBadRequest, "Invalid JSON body")
	})
	t.Run("ErrExpired", func(t *testing.T) {
		var third tokens
		refresh(second.Refresh).want(t, http.StatusOK).decode(t, &third)
		e.clock.Advance(time.Hour)
		refresh(third.Refresh).wantError(t, http.StatusUnauthorized, "Invalid refresh token")
		// Expired tokens are forgotten at the next login.
		e.login()
		refresh(third.Refresh).wantError(t, http.StatusUnauthorized, "Invalid refresh token")
	})
}

func TestRouting(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	t.Run("ErrOutsidePrefix", func(t *testing.T) {
		for _, p := range []string{"/api/v0/Bundles", "/Bundles", "/api/v10/Regions"} {
			r, err := e.client.Get(e.ts.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != http.StatusNotFound || r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("GET %s: %d %s", p, r.StatusCode, r.Header.Get("Content-Type"))
			}
		}
		e.get("", nil).wantError(t, http.StatusNotFound, "Resource not found")
	})
	t.Run("ErrUnknownPath", func(t *testing.T) {
		e.get("/Nope", nil).wantError(t, http.StatusNotFound, "Resource not found")
		e.get("/Orders/Consumption", url.Values{"iccid": {"1"}}).wantError(t, http.StatusNotFound, "Resource not found")
	})
	t.Run("ErrMethod", func(t *testing.T) {
		r := e.do(http.MethodDelete, "/Bundles", nil, nil)
		r.wantError(t, http.StatusMethodNotAllowed, "Method not allowed")
		if r.header.Get("Allow") != "GET" {
			t.Errorf("Allow %q", r.header.Get("Allow"))
		}
		e.get("/Bundle", nil).wantError(t, http.StatusMethodNotAllowed, "Method not allowed")
		e.get("/Agent/login", nil).wantError(t, http.StatusMethodNotAllowed, "Method not allowed")
	})
	t.Run("GetWithBodyAndUnknownParams", func(t *testing.T) {
		r := e.do(http.MethodGet, "/Regions", url.Values{"foo": {"bar"}, "lang": {"fr"}}, map[string]string{"x": "y"})
		r.want(t, http.StatusOK)
	})
	t.Run("TrailingSlash", func(t *testing.T) {
		e.get("/Regions/", nil).want(t, http.StatusOK)
	})
	t.Run("Calls", func(t *testing.T) {
		before := e.srv.Calls("GET", "/Regions")
		e.get("/Regions", nil)
		e.get("/Regions", nil, withToken(""))
		if got := e.srv.Calls("GET", "/Regions"); got != before+2 {
			t.Errorf("Calls = %d, want %d", got, before+2)
		}
		if got := e.srv.Calls("POST", "/Agent/login"); got < 1 {
			t.Errorf("Calls(POST /Agent/login) = %d", got)
		}
	})
}

func TestPrefix(t *testing.T) {
	for _, tc := range []struct{ name, prefix string }{{"V0", "/api/v0/"}, {"Root", "/"}, {"Custom", "reseller"}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{Prefix: tc.prefix})
			if e.srv.Prefix() != e.prefix {
				t.Errorf("Prefix() = %q, want %q", e.srv.Prefix(), e.prefix)
			}
			e.get("/Regions", nil).want(t, http.StatusOK)
			if tc.prefix != "/" {
				r, err := e.client.Get(e.ts.URL + "/api/v1/Regions")
				if err != nil {
					t.Fatal(err)
				}
				r.Body.Close()
				if r.StatusCode != http.StatusNotFound {
					t.Errorf("/api/v1 answered %d", r.StatusCode)
				}
			}
		})
	}
}
