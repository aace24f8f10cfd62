package bot

import (
	"context"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/esimbot/esimbot/flows"
)

// setCommands sets the command menu (flows.Commands; /paysupport only
// with Config.Payments) in every language of
// the catalog (English also as the default), best effort.
func (b *Bot) setCommands(ctx context.Context) {
	commands := flows.Commands(b.cfg.Payments)
	for i, tag := range b.cat.Languages() {
		loc := b.cat.For(tag.String())
		list := make([]models.BotCommand, 0, len(commands))
		for _, c := range commands {
			list = append(list, models.BotCommand{Command: c.Name, Description: loc.T(c.Key)})
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

// setDescriptions sets the bot's description (the text of the empty chat)
// and short description (its profile page) in every language of the
// catalog, English also as the default, best effort. A text Telegram
// already has is not set again: Telegram limits how often a bot may
// change them.
func (b *Bot) setDescriptions(ctx context.Context) {
	for i, tag := range b.cat.Languages() {
		loc := b.cat.For(tag.String())
		long, short := loc.Plain("bot_description"), loc.Plain("bot_short_description")
		langs := []string{tag.String()}
		if i == 0 {
			langs = append(langs, "") // the default
		}
		for _, lang := range langs {
			if d, err := b.tg.GetMyDescription(ctx, &tg.GetMyDescriptionParams{LanguageCode: lang}); err != nil || d.Description != long {
				if _, err := b.tg.SetMyDescription(ctx, &tg.SetMyDescriptionParams{Description: long, LanguageCode: lang}); err != nil {
					b.log.Warn("set the bot description", "lang", lang, "err", redact(err, b.cfg.Token))
				}
			}
			if d, err := b.tg.GetMyShortDescription(ctx, &tg.GetMyShortDescriptionParams{LanguageCode: lang}); err != nil || d.ShortDescription != short {
				if _, err := b.tg.SetMyShortDescription(ctx, &tg.SetMyShortDescriptionParams{ShortDescription: short, LanguageCode: lang}); err != nil {
					b.log.Warn("set the bot short description", "lang", lang, "err", redact(err, b.cfg.Token))
				}
			}
		}
	}
}
