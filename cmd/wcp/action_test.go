package main

import (
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// TestActionMirrorsConformFlags keeps the GitHub action (action.yml) and
// wcp conform in step: every input but the artifact's name is a flag, every
// flag a CI run would set is an input, and the script passes each input on.
func TestActionMirrorsConformFlags(t *testing.T) {
	b, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]struct {
			Description string `yaml:"description"`
		} `yaml:"inputs"`
		Runs struct {
			Using string `yaml:"using"`
			Steps []struct {
				Run string            `yaml:"run"`
				Env map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(b, &action); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if action.Runs.Using != "composite" {
		t.Errorf("runs.using %q, want composite", action.Runs.Using)
	}
	var script strings.Builder
	env := map[string]string{}
	for _, s := range action.Runs.Steps {
		script.WriteString(s.Run)
		for k, v := range s.Env {
			env[k] = v
		}
	}

	flags := newConformCmd(io.Discard, io.Discard).Flags()
	// Inputs named for what a workflow holds (lines of args and env).
	flagOf := map[string]string{"args": "arg", "artifact-name": ""}
	for name, in := range action.Inputs {
		if in.Description == "" {
			t.Errorf("input %q has no description", name)
		}
		flag, ok := flagOf[name]
		if !ok {
			flag = name
		}
		if flag == "" {
			continue
		}
		if flags.Lookup(flag) == nil {
			t.Errorf("input %q has no flag --%s", name, flag)
		}
		v := "WCP_IN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if env[v] != "${{ inputs."+name+" }}" || !strings.Contains(script.String(), "$"+v) || !strings.Contains(script.String(), "--"+flag) {
			t.Errorf("input %q is not passed on as --%s through $%s", name, flag, v)
		}
	}
	// Flags a CI run sets that have no input.
	notInCI := []string{"write-baseline", "verbose", "help"}
	flags.VisitAll(func(f *pflag.Flag) {
		if slices.Contains(notInCI, f.Name) {
			return
		}
		in := f.Name
		if in == "arg" {
			in = "args"
		}
		if _, ok := action.Inputs[in]; !ok {
			t.Errorf("flag --%s has no input in action.yml", f.Name)
		}
	})
}
