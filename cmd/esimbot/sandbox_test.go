package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// sandboxDo sends a request to a running `esimbot sandbox` and decodes
// its JSON answer.
func sandboxDo(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s %s: %d %q: %v", req.Method, req.URL, resp.StatusCode, body, err)
	}
	return resp.StatusCode, m
}

func TestSandboxControl(t *testing.T) {
	addr, stdout, _ := runMain(t, "sandbox", "-listen", "127.0.0.1:0", "-password", "s3cret")
	if out := stdout.String(); !strings.Contains(out, "curl -s -u demo:s3cret -d price=9.99 http://"+addr+"/_sandbox/bundles/FRA_5GB_30D") {
		t.Errorf("start banner lacks the control:\n%s", out)
	}
	control := func(t *testing.T, user, pass string, form url.Values) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/_sandbox/bundles/FRA_5GB_30D", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(user, pass)
		return sandboxDo(t, req)
	}
	api := func(t *testing.T, method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/Agent/login", strings.NewReader(`{"username":"demo","password":"s3cret"}`))
		req.Header.Set("Content-Type", "application/json")
		_, login := sandboxDo(t, req)
		req, _ = http.NewRequest(method, "http://"+addr+"/api/v1"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Access-Token", login["access_token"].(string))
		return sandboxDo(t, req)
	}
	listedRetail := func(t *testing.T) (any, bool) {
		t.Helper()
		_, list := api(t, http.MethodGet, "/Bundles?country_code=FRA&bundle_category=country", "")
		for _, b := range list["bundles"].([]any) {
			if b := b.(map[string]any); b["bundle_code"] == "FRA_5GB_30D" {
				return b["reseller_retail_price"], true
			}
		}
		return nil, false
	}
	sale := `{"bundle_code":"FRA_5GB_30D","email":"a@example.com","name":"Ada","order_reference":"CTL-`

	for _, tc := range []struct {
		name   string
		pass   string
		form   url.Values
		status int
		listed bool
		retail float64 // listed, when listed
		sold   bool
	}{
		{"ErrWrongPassword", "demo", url.Values{"price": {"9.99"}}, http.StatusUnauthorized, true, 0, true},
		{"OKPrice", "s3cret", url.Values{"price": {"9.99"}}, http.StatusOK, true, 9.99, true},
		{"OKWithdraw", "s3cret", url.Values{"withdraw": {"true"}}, http.StatusOK, false, 0, false},
		{"OKBringBack", "s3cret", url.Values{"withdraw": {"false"}}, http.StatusOK, true, 9.99, true},
		{"ErrBadPrice", "s3cret", url.Values{"price": {"free"}}, http.StatusBadRequest, true, 9.99, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := control(t, "demo", tc.pass, tc.form); status != tc.status {
				t.Fatalf("control: status %d, want %d: %v", status, tc.status, body)
			}
			retail, listed := listedRetail(t)
			if listed != tc.listed || (tc.retail != 0 && retail != tc.retail) {
				t.Errorf("listed %v at %v, want %v at %v", listed, retail, tc.listed, tc.retail)
			}
			status, body := api(t, http.MethodPost, "/Bundle", sale+tc.name+`"}`)
			if sold := status == http.StatusOK; sold != tc.sold {
				t.Errorf("sale: status %d %v, want sold %v", status, body, tc.sold)
			}
			if !tc.sold && body["message"] != "Bundle is not available" {
				t.Errorf("refused sale: %v", body)
			}
		})
	}
}

func TestSandboxControlOff(t *testing.T) {
	addr, stdout, _ := runMain(t, "sandbox", "-listen", "127.0.0.1:0", "-control=false")
	if strings.Contains(stdout.String(), "_sandbox") {
		t.Errorf("banner shows the control with -control=false:\n%s", stdout)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/_sandbox/bundles/FRA_5GB_30D?withdraw=true", nil)
	req.SetBasicAuth("demo", "demo")
	if status, body := sandboxDo(t, req); status != http.StatusNotFound {
		t.Errorf("status %d %v, want 404", status, body)
	}
}

func TestSandboxHelpShowsControl(t *testing.T) {
	stdout, _, code := runCmd(t, nil, "sandbox", "-h")
	for _, want := range []string{"-control", "POST /_sandbox/bundles/CODE  price=AMOUNT", "withdraw=true"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("exit %d, help lacks %q:\n%s", code, want, stdout)
		}
	}
}
