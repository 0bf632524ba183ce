package messaging_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/types"
)

// guardRefusal is the start of the 400 for a refused path in param.
func guardRefusal(param string) string {
	return fieldError(param, "private_relation")
}

func q(filter string) string { return url.QueryEscape(filter) }

// The guard per caller: the attack and its relatives are refused
// for members, non-members and guests alike, answered for superusers, and
// everything members do with their own data keeps working.
func TestRelationGuard_RecordsAPI(t *testing.T) {
	t.Parallel()
	attack := "?filter=" + q("thread.members.messages_via_author.body !~ 'pin is 4711'")
	get := func(name, who, url string, status int, content []string, notContent ...string) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as(who, http.MethodGet, url, nil), status, content, notContent...)
		})
	}
	refused := func(name, who, url, param string) apiCase {
		return get(name, who, url, 400, []string{guardRefusal(param)}, `"items"`)
	}
	withURL := func(name, who string, status int, content []string, build func(f *fixture, w world) string) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as(who, http.MethodGet, build(f, w), nil), status, content)
		})
	}
	runCases(t, []apiCase{
		refused("member: the issue's attack → 400", "alice", recordsURL("messages", attack), "filter"),
		refused("non-member: the issue's attack → 400", "dave", recordsURL("messages", attack), "filter"),
		refused("guest: the issue's attack → 400", "", recordsURL("messages", attack), "filter"),
		get("superuser: any filter", "superuser", recordsURL("messages", attack), 200, []string{`"totalItems":`}),
		refused("another member's read state through a back-relation", "alice",
			recordsURL("thread_members", "?filter="+q("thread.thread_members_via_thread.last_read_seq > 0")), "filter"),
		refused("a multiple relation out of messaging data", "alice",
			recordsURL("threads", "?filter="+q("members.email ~ '@'")), "filter"),
		refused("whether someone blocked a user", "alice",
			recordsURL("users", "?filter="+q("blocks_via_blocked.id ?= ''")), "filter"),
		refused("someone's preferences through users", "alice",
			recordsURL("users", "?filter="+q("messaging_preferences_via_user.messaging_off = true")), "filter"),
		refused("someone's tags through users", "alice",
			recordsURL("users", "?filter="+q("tags_via_user.name ~ 'work'")), "filter"),
		refused("a relation from @collection", "alice",
			recordsURL("users", "?filter="+q("@collection.messages.body ~ 'x'")), "filter"),
		refused("a relation inside a function", "alice",
			recordsURL("messages", "?filter="+q("strftime('%Y', thread.members.messages_via_author.created) = '2026'")), "filter"),
		refused("a relation inside a group", "alice",
			recordsURL("messages", "?filter="+q("(seq > 0 && (thread.members.messages_via_author.body ~ 'x'))")), "filter"),
		refused("a sort through a back-relation", "alice",
			recordsURL("users", "?sort="+q("-messages_via_author.created")), "sort"),
		refused("an expand of a back-relation", "alice",
			recordsURL("users", "?expand="+q("messages_via_author")), "expand"),
		refused("an expand of a back-relation behind a forward one", "alice",
			recordsURL("messages", "?expand="+q("author.thread_members_via_user")), "expand"),
		get("unparsable filter → 400, no rows", "alice", recordsURL("messages", "?filter="+q("thread.members.x ~ 'a")), 400,
			[]string{`"status":400`}),
		withURL("own data: a thread's messages", "alice", 200, []string{`"totalItems":4`, `"body":"` + bodyGroupAlice + `"`},
			func(f *fixture, w world) string {
				return recordsURL("messages", "?filter="+q("thread = '"+w.group+"'"))
			}),
		withURL("own data: single forward hops", "alice", 200, []string{`"totalItems":4`, bodyGroupBob},
			func(f *fixture, w world) string {
				return recordsURL("messages", "?filter="+q("thread.subject = 'Weekend plans' && thread.last_message.seq > 3"))
			}),
		withURL("own data: a single hop to users, under the users list rule", "alice", 200, []string{`"totalItems":2`, bodyDirectAlice},
			func(f *fixture, w world) string {
				return recordsURL("messages", "?filter="+q("author.name = 'Alice' && thread.kind = 'direct'"))
			}),
		withURL("own data: memberships by thread kind, with their tags", "alice", 200, []string{`"totalItems":1`, `"expand":{"tags":[`},
			func(f *fixture, w world) string {
				f.must(f.pm.SetTags(f.id("alice"), w.group, []string{f.tag("alice", "work").Id}))
				return recordsURL("thread_members", "?filter="+q("thread.kind = 'group' && tags:length > 0")+"&expand=tags,thread")
			}),
		withURL("own data: threads with a member, expanded", "alice", 200, []string{`"totalItems":2`, `"last_message":`},
			func(f *fixture, w world) string {
				return recordsURL("threads", "?filter="+q("members.id ?= '"+f.id("alice")+"' && members ~ '"+f.id("bob")+"'")+"&expand=members,last_message")
			}),
		withURL("own data: tags by name, sorted", "alice", 200, []string{`"totalItems":1`, `"name":"work"`},
			func(f *fixture, w world) string {
				f.tag("alice", "work")
				return recordsURL("tags", "?filter="+q("name ~ 'wo'")+"&sort=-name")
			}),
		withURL("own data: messages sorted by thread subject, author expanded", "alice", 200, []string{`"expand":{"author":`},
			func(f *fixture, w world) string {
				return recordsURL("messages", "?sort="+q("thread.subject,-seq")+"&expand=author,thread")
			}),
		withURL("own data: preferences", "off", 200, []string{`"totalItems":1`, `"messaging_off":true`},
			func(f *fixture, w world) string {
				return recordsURL(messaging.CollectionNamePreferences, "?filter="+q("user = '"+f.id("off")+"'"))
			}),
	})
}

// A site's own collection with a relation to users is a way in too.
func TestRelationGuard_SiteCollections(t *testing.T) {
	t.Parallel()
	posts := func(f *fixture) {
		users, _ := f.app.FindCollectionByNameOrId("users")
		users.ListRule = types.Pointer("") // the site shows profiles
		f.must(f.app.Save(users))
		c := core.NewBaseCollection("posts")
		c.ListRule, c.ViewRule = types.Pointer(""), types.Pointer("")
		c.Fields.Add(&core.RelationField{Name: "author", CollectionId: users.Id, MaxSelect: 1},
			&core.RelationField{Name: "likes", CollectionId: users.Id, MaxSelect: 50})
		f.must(f.app.Save(c))
		r := core.NewRecord(c)
		r.Set("author", f.id("bob"))
		r.Set("likes", []string{f.id("alice")})
		f.must(f.app.Save(r))
	}
	site := func(name, filter string, status int, content string) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			posts(f)
			return expect(f.as("dave", http.MethodGet, recordsURL("posts", "?filter="+q(filter)), nil), status, []string{content})
		})
	}
	runCases(t, []apiCase{
		site("a site collection into messages → 400", "author.messages_via_author.body ~ 'x'", 400, guardRefusal("filter")),
		site("a site collection's multiple relation into blocks → 400", "likes.blocks_via_user.blocked ?= ''", 400, guardRefusal("filter")),
		site("a site collection into a member's read state → 400", "author.thread_members_via_user.unread > 0", 400, guardRefusal("filter")),
		site("the site's own relations still work", "author.name = 'Bob' && likes.name ?= 'Alice'", 200, `"totalItems":1`),
		worldCase("a sort through a field whose name starts with a digit → 400", func(f *fixture, w world) tests.ApiScenario {
			posts(f)
			c, _ := f.app.FindCollectionByNameOrId("posts")
			users, _ := f.app.FindCollectionByNameOrId("users")
			c.Fields.Add(&core.RelationField{Name: "1st_owner", CollectionId: users.Id, MaxSelect: 1})
			f.must(f.app.Save(c))
			return expect(f.as("dave", http.MethodGet, recordsURL("posts", "?sort="+q("1st_owner.blocks_via_blocked.id")), nil),
				400, []string{guardRefusal("sort")})
		}),
	})
}

// Batch requests carry expands; each is checked before the transaction.
func TestRelationGuard_Batch(t *testing.T) {
	t.Parallel()
	runCases(t, []apiCase{
		worldCase("a batch create with a back-relation expand → 400, nothing written", func(f *fixture, w world) tests.ApiScenario {
			s := f.app.Settings()
			s.Batch.Enabled = true
			f.must(f.app.Save(s))
			req := map[string]any{"method": "POST", "url": "/api/collections/messages/records?expand=author.messages_via_author",
				"body": map[string]any{"thread": w.group, "body": "batch-probe"}}
			return countIs(expect(f.as("alice", http.MethodPost, "/api/batch", map[string]any{"requests": []any{req}}), 400,
				[]string{guardRefusal("expand")}, "batch-probe"), messaging.CollectionNameMessages, 9)
		}),
		worldCase("a batch create with a forward expand works", func(f *fixture, w world) tests.ApiScenario {
			s := f.app.Settings()
			s.Batch.Enabled = true
			f.must(f.app.Save(s))
			req := map[string]any{"method": "POST", "url": "/api/collections/messages/records?expand=author,thread",
				"body": map[string]any{"thread": w.group, "body": "batch-ok"}}
			return countIs(expect(f.as("alice", http.MethodPost, "/api/batch", map[string]any{"requests": []any{req}}), 200,
				[]string{`"body":"batch-ok"`, `"expand":{"author":`}), messaging.CollectionNameMessages, 10)
		}),
	})
}

// Realtime subscriptions carry filters and expands in their options: a
// refused one refuses the whole subscription request.
func TestRelationGuard_Realtime(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	f.world()
	srv := f.serve()
	c := f.connect(srv, "alice", "messaging")

	options := func(query string) string {
		return "messages/*?options=" + url.QueryEscape(`{"query":`+query+`}`)
	}
	for _, tc := range []struct {
		name, topic string
		want        int
	}{
		{"filter through a back-relation", options(`{"filter":"thread.members.messages_via_author.body !~ 'x'"}`), 400},
		{"expand of a back-relation", options(`{"expand":"author.messages_via_author"}`), 400},
		{"sort through a multiple relation", options(`{"sort":"thread.members.name"}`), 400},
		{"own-data filter", options(`{"filter":"thread.subject != ''","expand":"author"}`), 204},
		{"no options", "messages/*", 204},
	} {
		if got := f.subscribe(srv, c, "alice", "messaging", tc.topic); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	// Superusers may subscribe with any options (connect fails on any
	// status but 204).
	f.connect(srv, "superuser", options(`{"filter":"thread.members.messages_via_author.body !~ 'x'"}`))
}
