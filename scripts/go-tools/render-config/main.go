// render-config renders a Go template of the official Temporal images (docker/config_template.yaml
// of go.temporal.io/server) from the environment, as their entrypoint does with
// `dockerize -template`: the data is `.Env` (the process environment; a variable that is not set
// is missing, so `default .Env.X "y"` gives "y"), with sprig's functions and dockerize's own on
// top (its `default` takes the value first, its `split` returns a list). dockerize itself is not
// served by the module proxy here; the template is Temporal's, unchanged.
//
//	render-config <template> <output>
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// The functions dockerize adds over sprig (the ones a config template can use without I/O).
var dockerizeFuncs = template.FuncMap{
	"default": func(args ...any) (string, error) {
		if len(args) == 0 {
			return "", fmt.Errorf("default called with no values")
		}
		if args[0] != nil {
			return fmt.Sprint(args[0]), nil
		}
		if len(args) < 2 {
			return "", fmt.Errorf("default called with no default value")
		}
		s, ok := args[1].(string)
		if !ok {
			return "", fmt.Errorf("default value %v is not a string", args[1])
		}
		return s, nil
	},
	"split":   strings.Split,
	"replace": strings.Replace,
	"lower":   strings.ToLower,
	"upper":   strings.ToUpper,
	"atoi":    strconv.Atoi,
	"isTrue":  func(s string) (bool, error) { return strconv.ParseBool(s) },
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: render-config <template> <output>")
		os.Exit(2)
	}
	if err := render(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintf(os.Stderr, "render-config: %v\n", err)
		os.Exit(1)
	}
}

func render(src, dst string) error {
	text, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	funcs := sprig.TxtFuncMap()
	for name, fn := range dockerizeFuncs {
		funcs[name] = fn
	}
	tpl, err := template.New(src).Funcs(funcs).Parse(string(text))
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	var out strings.Builder
	if err := tpl.Execute(&out, map[string]any{"Env": env}); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	return os.WriteFile(dst, []byte(out.String()), 0o644)
}
