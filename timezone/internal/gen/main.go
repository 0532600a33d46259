// Command gen writes zonenames.go, package timezone's list of the zone
// names in the Go toolchain's embedded tz database. Run it with
// go generate in timezone/ after a Go upgrade; TestZoneNamesUpToDate fails
// until then if the toolchain's zones changed.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/myblog/apikit/timezone/internal/zonelist"
)

func main() {
	out := flag.String("o", zonelist.File, "the file to write")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	path, err := zonelist.Zip()
	if err != nil {
		return err
	}
	names, err := zonelist.Names(path)
	if err != nil {
		return err
	}
	src, err := zonelist.Source(names)
	if err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644)
}
