package flows

// alertsCases drive /alerts and the buttons of the usage alerts
// (alertsettings.go) in TestTransitions.
func alertsCases() []transitionCase {
	esims := Draft{Choices: []string{iccid1}}
	return []transitionCase{
		{name: "Alerts", step: stepMenu, ev: cmd("alerts", ""), want: stepAlerts, effects: "show"},
		{name: "AlertsAgent", step: stepMenu, agent: true, ev: cmd("alerts", ""), want: stepAlerts, effects: "show"},
		{name: "Important", step: stepAlerts, draft: esims, ev: tap(actLevel, "important"), want: stepAlerts, effects: "alerts important show"},
		{name: "None", step: stepAlerts, draft: esims, ev: tap(actLevel, "none"), want: stepAlerts, effects: "alerts none show"},
		{name: "LevelUnknown", step: stepAlerts, draft: esims, ev: tap(actLevel, "loud"), want: stepAlerts, effects: "stale show"},
		{name: "LevelAgent", step: stepAlerts, agent: true, ev: tap(actLevel, "all"), want: stepAlerts, effects: "stale show"},
		{name: "Mute", step: stepAlerts, draft: esims, ev: tap(actToggle, "0"), want: stepAlerts, effects: "mute " + iccid1 + " true show"},
		{name: "MuteGone", step: stepAlerts, draft: esims, ev: tap(actToggle, "1"), want: stepAlerts, effects: "stale show"},
		{name: "Back", step: stepAlerts, draft: esims, ev: tap(actBack), want: stepMenu, effects: "show"},
		{name: "GlobalTopup", step: stepMenu, ev: global(actTopupOf, iccid1), want: stepTopupBundles, effects: "show"},
		{name: "GlobalTopupNotMine", step: stepMenu, ev: global(actTopupOf, iccid2), want: stepMenu, effects: "stale show"},
		{name: "GlobalMute", step: stepMenu, ev: global(actMute, iccid1), want: stepMenu, effects: "mute " + iccid1 + " true say alerts_muted"},
		{name: "GlobalMuteNotMine", step: stepMenu, ev: global(actMute, iccid2), want: stepMenu, effects: "stale show"},
	}
}
