package bot

import (
	"context"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// commands are the bot's commands, in menu order, with the locale key of
// their description.
var commands = []struct{ name, key string }{
	{"start", "cmd_start"}, {"buy", "cmd_buy"}, {"esims", "cmd_esims"}, {"usage", "cmd_usage"},
	{"language", "cmd_language"}, {"help", "cmd_help"}, {"cancel", "cmd_cancel"}, {"forget", "cmd_forget"},
}

// setCommands sets the command menu in every language of the catalog
// (English also as the default), best effort.
func (b *Bot) setCommands(ctx context.Context) {
	for i, tag := range b.cat.Languages() {
		loc := b.cat.For(tag.String())
		list := make([]models.BotCommand, 0, len(commands))
		for _, c := range commands {
			list = append(list, models.BotCommand{Command: c.name, Description: loc.T(c.key)})
		}
		langs := []string{tag.String()}
		if i == 0 {
			langs = append(langs, "") // the default menu
		}
		for _, lang := range langs {
			if _, err := b.tg.SetMyCommands(ctx, &tg.SetMyCommandsParams{Commands: list, LanguageCode: lang}); err != nil {
				b.log.Warn("set the command menu", "lang", lang, "err", redact(err, b.cfg.Token))
			}
		}
	}
}
