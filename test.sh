#!/usr/bin/env bash
# The project's one test command (README "Test it"; .ci/run calls it):
# formatting, vet, and every test under the race detector. GOTOOLCHAIN=auto
# fetches the Go 1.27 toolchain pinned in go.mod when the machine's Go is
# older.
set -euo pipefail
cd "$(dirname "$0")"
export GOTOOLCHAIN=auto
# The browser tests fail rather than skip when their tools are missing.
export BROWSER_TESTS=required

# The README walkthrough test drives the app with curl and jq.
if ! command -v jq >/dev/null || ! command -v curl >/dev/null; then
	apt-get update -qq && apt-get install -y -qq jq curl >/dev/null
fi

# The web inbox: its built files (webinbox/dist, embedded in the binary)
# must be what its sources build to, and its browser tests need node,
# Debian's chromium and web/node_modules (playwright-core, axe-core).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -x /usr/bin/chromium ]; then
	apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent >/dev/null)
if ! git diff --quiet --exit-code -- webinbox/dist 2>/dev/null || [ -n "$(git status --porcelain -- webinbox/dist 2>/dev/null)" ]; then
	git status --short -- webinbox/dist >&2
	echo "webinbox/dist does not match web/: run npm run build in web/ and commit the result" >&2
	exit 1
fi

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
go vet ./...
go test -race -count=1 -timeout 30m ./...
# The relation guard's attacker test sends its 8,000 requests one after the
# other; the race detector would only make it five times slower, so it runs
# here, without -race.
go test -count=1 -run 'TestRelationGuard_AttackerLearnsNothing' ./messaging
