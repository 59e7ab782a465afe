// Command tinyinit is a stand-in init for tests of the ramdisk builder: it
// only prints a line and waits. It is not a useful PID 1.
package main

import (
	"os"
	"time"
)

func main() {
	os.Stdout.WriteString("tinyinit: started\n")
	for {
		time.Sleep(time.Hour)
	}
}
