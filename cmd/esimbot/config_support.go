package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/locales"
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

// supportLangSetting is ESIMBOT_SUPPORT_LANG: the language of the bot's
// posts in the staff group (a thread's header, closing notices), one of
// the catalog's.
var supportLangSetting = setting{name: "ESIMBOT_SUPPORT_LANG", flag: "support-lang", def: "en",
	usage: "`language` of the bot's posts in the staff group: " + strings.Join(locales.Tags(), ", "),
	set: func(c *config, v string) error {
		if !slices.Contains(locales.Tags(), v) {
			return fmt.Errorf("%q: want one of %s", v, strings.Join(locales.Tags(), ", "))
		}
		c.SupportLang = v
		return nil
	}}
