package messaging

// MigrateSearchDownForTest and MigrateSearchUpForTest run the search
// index migration, to test the backfill and the down.
var (
	MigrateSearchDownForTest = migrateSearchDown
	MigrateSearchUpForTest   = migrateSearchUp
)

// SearchThreadsInQueryForTest is how many conversations a member may be
// in for their search to filter by thread inside the FTS query.
const SearchThreadsInQueryForTest = searchThreadsInQuery
