package flows

// shopCases are the transition cases of the shop's commands and buttons:
// what admins get, and that customers and agents get nothing of it.
func shopCases() []transitionCase {
	token := "inv_" + "AAAAAAAAAAAAAAAAAAAAAA"
	return []transitionCase{
		{name: "InviteAdmin", step: stepMenu, admin: true, ev: cmd("invite", ""), want: stepMenu, effects: "create invite"},
		{name: "InviteCustomer", step: stepMenu, ev: cmd("invite", ""), want: stepMenu, effects: "say unknown_command"},
		{name: "InviteAgent", step: stepMenu, agent: true, ev: cmd("invite", ""), want: stepMenu, effects: "say unknown_command"},
		{name: "AgentsAdmin", step: stepMenu, admin: true, ev: cmd("agents", ""), want: stepMenu, effects: "list agents"},
		{name: "AgentsCustomer", step: stepMenu, ev: cmd("agents", ""), want: stepMenu, effects: "say unknown_command"},
		{name: "AgentsAgent", step: stepMenu, agent: true, ev: cmd("agents", ""), want: stepMenu, effects: "say unknown_command"},
		{name: "RevokeAdmin", step: stepMenu, admin: true, ev: global(actRevoke, "901"), want: stepMenu, effects: "revoke 901 list agents"},
		{name: "RevokeAdminBadID", step: stepMenu, admin: true, ev: global(actRevoke, "x"), want: stepMenu, effects: "stale show"},
		{name: "RevokeCustomer", step: stepMenu, ev: global(actRevoke, "901"), want: stepMenu, effects: "stale show"},
		{name: "RevokeAgent", step: stepMenu, agent: true, ev: global(actRevoke, "901"), want: stepMenu, effects: "stale show"},
		{name: "InviteLink", step: stepMenu, ev: cmd("start", token), want: stepMenu, effects: "redeem invite show"},
		{name: "InviteLinkAgent", step: stepMenu, agent: true, ev: cmd("start", token), want: stepMenu, effects: "say invite_already show"},
		{name: "InviteLinkAdmin", step: stepBundle, admin: true, ev: cmd("start", token), want: stepMenu, effects: "say invite_already show"},
	}
}

// reportCases are the transition cases of /sales and the export buttons.
func reportCases() []transitionCase {
	return []transitionCase{
		{name: "SalesAgent", step: stepMenu, agent: true, ev: cmd("sales", ""), want: stepMenu, effects: "sales report"},
		{name: "SalesAdmin", step: stepMenu, admin: true, ev: cmd("sales", ""), want: stepMenu, effects: "sales report"},
		{name: "SalesCustomer", step: stepMenu, ev: cmd("sales", ""), want: stepMenu, effects: "say unknown_command"},
		{name: "SalesCSVAdmin", step: stepMenu, admin: true, ev: cmd("sales", "csv 2026-11-01 2026-11-30"), want: stepMenu, effects: "export 2026-11-01 2026-11-30"},
		{name: "SalesCSVBadDates", step: stepMenu, admin: true, ev: cmd("sales", "csv 2026-11-30 2026-11-01"), want: stepMenu, effects: "say export_usage"},
		{name: "SalesCSVAgent", step: stepMenu, agent: true, ev: cmd("sales", "csv 2026-11-01 2026-11-30"), want: stepMenu, effects: "say export_usage"},
		{name: "ExportAdmin", step: stepMenu, admin: true, ev: global(actExport, "w"), want: stepMenu, effects: "export w"},
		{name: "ExportAdminBad", step: stepMenu, admin: true, ev: global(actExport, "y"), want: stepMenu, effects: "stale show"},
		{name: "ExportAgent", step: stepMenu, agent: true, ev: global(actExport, "w"), want: stepMenu, effects: "stale show"},
		{name: "ExportCustomer", step: stepMenu, ev: global(actExport, "w"), want: stepMenu, effects: "stale show"},
		{name: "FindAgent", step: stepMenu, agent: true, ev: cmd("find", "EB-1"), want: stepMenu, effects: "find EB-1"},
		{name: "FindAdminEmpty", step: stepMenu, admin: true, ev: cmd("find", ""), want: stepMenu, effects: "say find_usage"},
		{name: "FindCustomer", step: stepMenu, ev: cmd("find", "EB-1"), want: stepMenu, effects: "say unknown_command"},
	}
}
