// Command oracle loads yaml plugin files the way each target Optimus does, with the real
// go-yaml (Debian's golang-gopkg-yaml.v2-dev 2.4.0 and golang-gopkg-yaml.v3-dev 3.0.1, the
// versions upstream pins), and prints one JSON line per file: {"ok":true} or
// {"ok":false,"error":"<err.Error()>"}.
//
// Input: a file whose lines are "<target>\t<path>", target one of raystack, raystack-0.5, goto.
// Built in GOPATH mode, no network (tests/it/go_yaml.rs builds and runs it).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	gotoplugin "oracle/goto/plugin"
	r05 "oracle/r05/yaml"
	raystack "oracle/raystack/yaml"
)

type verdict struct {
	Ok    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

func load(target string, b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	switch target {
	case "raystack":
		return raystack.Load(b)
	case "raystack-0.5":
		return r05.Load(b)
	case "goto":
		return gotoplugin.Load(b)
	}
	return fmt.Errorf("unknown target %q", target)
}

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "\t", 2)
		b, err := os.ReadFile(parts[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		v := verdict{Ok: true}
		if err := load(parts[0], b); err != nil {
			v = verdict{Ok: false, Error: err.Error()}
		}
		enc.Encode(v)
	}
}
