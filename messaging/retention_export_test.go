package messaging

// DeletedBodiesTableForTest is the table of kept deleted bodies.
const DeletedBodiesTableForTest = deletedBodiesTable
