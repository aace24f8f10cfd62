package main

import (
	"fmt"
	"strconv"

	"github.com/esimbot/esimbot/flows"
)

// supportChatSetting is ESIMBOT_SUPPORT_CHAT: the chat ID of the support
// desk's staff group (negative, as every group's), or empty for none
// ("Contact support" then shows ESIMBOT_SUPPORT).
var supportChatSetting = setting{name: "ESIMBOT_SUPPORT_CHAT", flag: "support-chat",
	usage: "chat `ID` of the staff group that answers customers' support messages, such as -1001234567890; empty: none",
	set: func(c *config, v string) error {
		if v == "" {
			return nil
		}
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id >= 0 {
			return fmt.Errorf("%q: want the negative chat ID of a group, such as -1001234567890", v)
		}
		c.SupportChat = flows.ChatID(id)
		return nil
	}}
