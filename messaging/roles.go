package messaging

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Roles are the values of users.roles (send roles, unblockable roles,
// later moderators). Only superusers and server code may change them.

// bindRoleHooks keeps roles in the hands of superusers: a member can't
// give themself a role through signup or a profile update. Server code
// (Go, JS hooks) is trusted and may set roles.
func (m *Messaging) bindRoleHooks() {
	guard := func(e *core.RecordRequestEvent) error {
		if !e.HasSuperuserAuth() {
			var before []string
			if !e.Record.IsNew() {
				before = e.Record.Original().GetStringSlice("roles")
			}
			after := e.Record.GetStringSlice("roles")
			if !slices.Equal(slices.Sorted(slices.Values(before)), slices.Sorted(slices.Values(after))) {
				return e.ForbiddenError("Only superusers can change roles.", nil)
			}
		}
		return e.Next()
	}
	m.app.OnRecordCreateRequest(CollectionNameUsers).Bind(&hook.Handler[*core.RecordRequestEvent]{
		Id: "__messagingRolesCreate__", Func: guard,
	})
	m.app.OnRecordUpdateRequest(CollectionNameUsers).Bind(&hook.Handler[*core.RecordRequestEvent]{
		Id: "__messagingRolesUpdate__", Func: guard,
	})
}
