// Command bao builds the OpenBao server and CLI from Go modules, pinned by go.mod in this directory.
package main

import (
	"os"

	"github.com/openbao/openbao/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
