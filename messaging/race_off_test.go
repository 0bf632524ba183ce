//go:build !race

package messaging_test

// raceDetector reports a test binary built with -race.
const raceDetector = false
