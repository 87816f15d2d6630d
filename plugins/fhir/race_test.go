//go:build race

package main

// raceEnabled makes the large tests smaller under the race detector.
const raceEnabled = true
