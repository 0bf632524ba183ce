package seed

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"
	"golang.org/x/crypto/bcrypt"
)

// RoleOptions sizes what RoleMembers creates.
type RoleOptions struct {
	Role     string // the role the new users hold (a users.roles value, added when missing)
	Members  int    // users to create
	Password string // password of every one of them
	// Thread also starts one group conversation of all of them, by the
	// first, with one message that everyone else has not read yet: the
	// benchmark's 10,000-member thread.
	Thread bool
}

// RoleStats reports what RoleMembers wrote.
type RoleStats struct {
	Members int
	Thread  string // the conversation's id, when RoleOptions.Thread
	Elapsed time.Duration
}

// roleEmail is the address of the role's nth member (from 1).
func roleEmail(role string, n int) string { return role + strconv.Itoa(n) + "@example.com" }

// RoleMembers creates o.Members users holding o.Role, named
// <role>1..<role>N@example.com, with raw multi-row INSERTs in one
// transaction (10,000 record saves would take minutes, mostly bcrypt: the
// users share one hash). It adds the role to the users.roles select
// field's values first when the field lacks it. With o.Thread it also
// writes their conversation with every value the hooks would derive
// (members preview, member_count, last_seq, unread, counted_seq), so
// "messaging recount" finds nothing to fix. It works on a site that
// already has data (the demo, a bulk seed), but refuses to create the
// role's members twice.
func RoleMembers(ctx context.Context, app core.App, o RoleOptions) (RoleStats, error) {
	var stats RoleStats
	switch {
	case o.Members < 1:
		return stats, errors.New("seed: --role-members must be at least 1")
	case o.Thread && o.Members < 2:
		return stats, errors.New("seed: a role conversation needs at least 2 members")
	case strings.TrimSpace(o.Role) == "" || strings.ContainsAny(o.Role, " @\"'"):
		return stats, fmt.Errorf("seed: bad role name %q", o.Role)
	case len(o.Password) < 8:
		return stats, errors.New("seed: the password needs at least 8 characters")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if _, err := app.FindAuthRecordByEmail(messaging.CollectionNameUsers, roleEmail(o.Role, 1)); err == nil {
		return stats, fmt.Errorf("seed: %s exists: the %s role's members were seeded already", roleEmail(o.Role, 1), o.Role)
	}
	// Before the raw transaction: saving the collection needs the write
	// connection that the transaction holds.
	if err := EnsureRoleValue(app, o.Role); err != nil {
		return stats, err
	}
	hash, err := sharedHash(app, o.Password)
	if err != nil {
		return stats, err
	}
	// threads.members is a preview of the first MaxSelect members.
	previewMax := 0
	if o.Thread {
		threads, err := app.FindCollectionByNameOrId(messaging.CollectionNameThreads)
		if err != nil {
			return stats, err
		}
		if f, ok := threads.Fields.GetByName("members").(*core.RelationField); ok {
			previewMax = f.MaxSelect
		}
		if previewMax <= 0 {
			return stats, errors.New("seed: threads.members has no MaxSelect")
		}
	}
	db, ok := app.NonconcurrentDB().(*dbx.DB)
	if !ok {
		return stats, errors.New("seed: run outside a transaction")
	}
	conn, err := db.DB().Conn(ctx)
	if err != nil {
		return stats, err
	}
	defer conn.Close()
	began := time.Now()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return stats, err
	}
	committed := false
	defer func() {
		if !committed {
			conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()

	var done atomic.Int64
	date := func(t time.Time) string { return t.Format(types.DefaultDateLayout) }
	now := time.Now().UTC().Truncate(time.Millisecond)
	// Established accounts, as the bulk users: the anti-spam rules for
	// new accounts are not what the role's members are for.
	userTime := date(now.Add(-120 * 24 * time.Hour))
	rolesJSON := `["` + o.Role + `"]`
	label := strings.ToUpper(o.Role[:1]) + o.Role[1:]
	userTab := newBulkTable(ctx, conn, messaging.CollectionNameUsers, []string{"id", "email", "emailVisibility", "verified",
		"password", "tokenKey", "name", "username", "avatar", "roles", "created", "updated"}, &done)
	defer userTab.close()
	uid := newIDGen()
	ids := make([]string, o.Members)
	for i := range o.Members {
		ids[i] = uid.next()
		n := strconv.Itoa(i + 1)
		if err := userTab.add(ids[i], roleEmail(o.Role, i+1), false, true, string(hash),
			security.PseudorandomString(50), label+" "+n, o.Role+n, "", rolesJSON, userTime, userTime); err != nil {
			return stats, err
		}
	}
	if err := userTab.flush(); err != nil {
		return stats, err
	}
	stats.Members = o.Members

	if o.Thread {
		if stats.Thread, err = roleThread(ctx, conn, ids, previewMax, label, date(now), &done); err != nil {
			return stats, err
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return stats, err
	}
	committed = true
	stats.Elapsed = time.Since(began)
	return stats, nil
}

// roleThread writes the role's conversation: started by members[0] with
// one message, everyone else one unread message. The members preview is
// the first previewMax in join order (insertion order, one created time),
// as the plugin derives it.
func roleThread(ctx context.Context, conn *sql.Conn, members []string, previewMax int, label, at string, done *atomic.Int64) (string, error) {
	threadID, msgID := newIDGen().next(), newIDGen().next()
	preview, err := json.Marshal(members[:min(len(members), previewMax)])
	if err != nil {
		return "", err
	}
	body := "Welcome to the " + label + " conversation."
	_, err = conn.ExecContext(ctx, "INSERT INTO `"+messaging.CollectionNameThreads+"` (id, subject, kind, created_by, members, member_count, "+
		"direct_key, last_seq, last_message_at, last_message, created, updated) VALUES (?, ?, ?, ?, ?, ?, '', 1, ?, ?, ?, ?)",
		threadID, label, messaging.KindGroup, members[0], string(preview), len(members), at, msgID, at, at)
	if err != nil {
		return "", fmt.Errorf("seed: role thread: %w", err)
	}
	_, err = conn.ExecContext(ctx, "INSERT INTO `"+messaging.CollectionNameMessages+"` (id, thread, author, body, html, deleted, seq, created, updated) "+
		"VALUES (?, ?, ?, ?, ?, FALSE, 1, ?, ?)", msgID, threadID, members[0], body, "<p>"+body+"</p>", at, at)
	if err != nil {
		return "", fmt.Errorf("seed: role thread message: %w", err)
	}
	memberTab := newBulkTable(ctx, conn, messaging.CollectionNameThreadMembers, []string{"id", "thread", "user", "unread",
		"last_read_seq", "counted_seq", "muted", "archived", "left", "tags", "last_activity", "created", "updated"}, done)
	defer memberTab.close()
	mid := newIDGen()
	for i, u := range members {
		unread, read := 1, 0 // everyone but the creator has the message to read
		if i == 0 {
			unread, read = 0, 1
		}
		if err := memberTab.add(mid.next(), threadID, u, unread, read, 1, false, false, false, "[]", at, at, at); err != nil {
			return "", err
		}
	}
	return threadID, memberTab.flush()
}

// sharedHash is the bcrypt hash of password at the users collection's
// cost: one for every seeded user, since bcrypt is slow by design.
func sharedHash(app core.App, password string) ([]byte, error) {
	users, err := app.FindCollectionByNameOrId(messaging.CollectionNameUsers)
	if err != nil {
		return nil, err
	}
	cost := bcrypt.DefaultCost
	if pf, ok := users.Fields.GetByName("password").(*core.PasswordField); ok && pf.Cost > 0 {
		cost = pf.Cost
	}
	return bcrypt.GenerateFromPassword([]byte(password), cost)
}

// EnsureRoleValue adds role to the values of the users.roles select field
// when it lacks it, raising the field's Max select along when it allowed
// every value before (the migration's default), so a user may still hold
// them all.
func EnsureRoleValue(app core.App, role string) error {
	users, err := app.FindCollectionByNameOrId(messaging.CollectionNameUsers)
	if err != nil {
		return err
	}
	f, ok := users.Fields.GetByName("roles").(*core.SelectField)
	if !ok {
		return errors.New("seed: users.roles is not a select field")
	}
	if slices.Contains(f.Values, role) {
		return nil
	}
	if f.MaxSelect >= len(f.Values) {
		f.MaxSelect = len(f.Values) + 1
	}
	f.Values = append(f.Values, role)
	if err := app.Save(users); err != nil {
		return fmt.Errorf("seed: adding the role %q to users.roles: %w", role, err)
	}
	return nil
}
