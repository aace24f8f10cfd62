package main

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/esimbot/esimbot/flows"
)

// supportChatSetting registers ESIMBOT_SUPPORT_CHAT (and its flag) and
// returns the function that reads it once the flags are parsed: the chat
// ID of the support desk's staff group (negative, as every group's), or 0
// for none ("Contact support" then shows ESIMBOT_SUPPORT).
func supportChatSetting(fs *flag.FlagSet, env func(name, def string) string) func() (flows.ChatID, error) {
	const name = "ESIMBOT_SUPPORT_CHAT"
	v := env(name, "")
	fs.StringVar(&v, "support-chat", v, "chat `ID` of the staff group that answers customers' support messages, such as -1001234567890; empty: none ("+name+")")
	return func() (flows.ChatID, error) {
		if v == "" {
			return 0, nil
		}
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id >= 0 {
			return 0, &configError{name, fmt.Sprintf("%q: want the negative chat ID of a group, such as -1001234567890", v)}
		}
		return flows.ChatID(id), nil
	}
}
