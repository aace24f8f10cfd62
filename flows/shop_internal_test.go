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
