package sandbox

import (
	"crypto/subtle"
	"net/http"
)

// Handlers of authentication: login and token refresh.

func (s *Server) login(r *http.Request) reply {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if rep := decodeBody(r, &req); rep != nil {
		return *rep
	}
	switch {
	case req.Username == "":
		return *badRequest("username is required")
	case req.Password == "":
		return *badRequest("password is required")
	}
	userOK := subtle.ConstantTimeCompare([]byte(req.Username), []byte(s.opts.Username))
	passOK := subtle.ConstantTimeCompare([]byte(req.Password), []byte(s.opts.Password))
	if userOK&passOK != 1 {
		return errorReply(http.StatusUnauthorized, "Unauthorized", "Invalid username or password")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.issueTokens()
	out.ResellerID = s.resellerID()
	out.Role = "reseller"
	show := s.showGlobal
	out.ShowGlobal = &show
	return reply{http.StatusOK, out}
}

func (s *Server) refreshToken(r *http.Request) reply {
	var req struct {
		RefreshToken string `json:"refresh_token"`
	}
	if rep := decodeBody(r, &req); rep != nil {
		return *rep
	}
	if req.RefreshToken == "" {
		return *badRequest("refresh_token is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.refresh[req.RefreshToken]
	if !ok || !s.now().Before(exp) {
		return errorReply(http.StatusUnauthorized, "Unauthorized", "Invalid refresh token")
	}
	delete(s.refresh, req.RefreshToken) // rotation: the old one stops working
	return reply{http.StatusOK, s.issueTokens()}
}

// issueTokens creates an access and a refresh token, forgetting expired
// ones. The caller holds s.mu.
func (s *Server) issueTokens() tokensJSON {
	now := s.now()
	for tok, exp := range s.access {
		if !now.Before(exp) {
			delete(s.access, tok)
		}
	}
	for tok, exp := range s.refresh {
		if !now.Before(exp) {
			delete(s.refresh, tok)
		}
	}
	access, refresh := newToken("at"), newToken("rt")
	s.access[access] = now.Add(s.opts.AccessTTL)
	s.refresh[refresh] = now.Add(s.opts.RefreshTTL)
	return tokensJSON{
		AccessToken:      access,
		RefreshToken:     refresh,
		TokenType:        "Bearer",
		ExpiresIn:        s.lifetime(s.opts.AccessTTL, now),
		RefreshExpiresIn: s.lifetime(s.opts.RefreshTTL, now),
	}
}
