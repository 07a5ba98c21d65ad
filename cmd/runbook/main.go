// Command runbook runs Lua runbooks locally or over SSH, records every
// session as ttyrec, and replays, checks and publishes the recordings.
package main

import "os"

func main() {
	os.Exit(Main(os.Args[1:], StdIO()))
}
