package reseller

import (
	"fmt"
	"net/url"
	"strings"
)

// LPA returns the activation string of an eSIM, "LPA:1$<SM-DP+>$<matching
// ID>", the content of its QR code. activationCode may already be a full
// LPA string (returned as is, never prefixed twice) or a "1$…" string
// missing its "LPA:" prefix; otherwise the string is built from the SM-DP+
// address and the matching ID (the activation code standing in for a
// missing matching ID). It returns an error wrapping ErrNoActivationData
// when the data is not there yet.
func LPA(smdpAddress, matchingID, activationCode string) (string, error) {
	smdpAddress = strings.TrimSpace(smdpAddress)
	matchingID = strings.TrimSpace(matchingID)
	code := strings.TrimSpace(activationCode)
	switch {
	case len(code) >= 4 && strings.EqualFold(code[:4], "LPA:"):
		return "LPA:" + code[4:], nil
	case strings.HasPrefix(code, "1$"):
		return "LPA:" + code, nil
	}
	if matchingID == "" {
		matchingID = code
	}
	if smdpAddress == "" || matchingID == "" {
		return "", fmt.Errorf("build LPA string: %w", ErrNoActivationData)
	}
	return "LPA:1$" + smdpAddress + "$" + matchingID, nil
}

// SplitLPA returns the SM-DP+ address and the matching ID of an LPA
// string, for showing them as text for manual entry.
func SplitLPA(lpa string) (smdpAddress, matchingID string, ok bool) {
	rest, found := strings.CutPrefix(lpa, "LPA:")
	if !found {
		return "", "", false
	}
	parts := strings.Split(rest, "$")
	if len(parts) < 3 || parts[0] != "1" || parts[1] == "" {
		return "", "", false
	}
	return parts[1], parts[2], true
}

// InstallLinks are the one-tap installation links of an eSIM.
type InstallLinks struct {
	// IOS opens the eSIM setup on iOS 17.4 and later.
	IOS string
	// Android opens the eSIM setup on Android devices that support it.
	Android string
}

// InstallLinksFor returns the one-tap installation links for an LPA string.
func InstallLinksFor(lpa string) InstallLinks {
	q := url.QueryEscape(lpa)
	return InstallLinks{
		IOS:     "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=" + q,
		Android: "https://esimsetup.android.com/esim_qrcode_provisioning?carddata=" + q,
	}
}
