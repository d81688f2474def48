// chartrender renders a Helm chart the way `helm template` does, for the subset of Helm the
// edgerepl chart uses: Go text/template with the sprig functions, plus include, tpl, required,
// fail, toYaml/fromYaml/toJson/fromJson, .Files (Get, Glob, Lines), .Release, .Chart and a fixed
// .Capabilities. Values are merged like Helm's (-f files in order, then --set) and validated
// against values.schema.json before anything is rendered. See helm/edgerepl/README.md for what it
// does not do.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// Input is everything one render needs besides the chart.
type Input struct {
	ValueFiles  []string
	Sets        []string
	Options     Options
	ExtraAPIs   []string
	DefineName  string
	ShowOnly    string
	SkipSchema  bool
	ChartDir    string
	OutputNotes bool
	// SkipKubeVersionCheck renders for a cluster older than Chart.yaml's kubeVersion allows
	// (Helm has no such switch; the dry-run test uses it against an old envtest API server).
	SkipKubeVersionCheck bool
	// DropUnserved leaves out objects whose apiVersion is not in .Capabilities.APIVersions and
	// names them on stderr, so a dry run against an older API server checks the rest.
	DropUnserved bool
}

// Values loads the chart's defaults and overlays the -f files and --set assignments.
func Values(c *Chart, files, sets []string) (map[string]interface{}, error) {
	vals := c.Values
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		over, err := parseValues(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
		vals = MergeValues(vals, over)
	}
	over := map[string]interface{}{}
	for _, s := range sets {
		if err := SetValue(over, s); err != nil {
			return nil, err
		}
	}
	return MergeValues(vals, over), nil
}

// CheckValues validates values against the chart's schema; no schema means no check.
func CheckValues(c *Chart, vals map[string]interface{}) error {
	if c.Schema == nil {
		return nil
	}
	s, err := ParseSchema(c.Schema)
	if err != nil {
		return err
	}
	if errs := s.Validate(vals); len(errs) > 0 {
		return fmt.Errorf("values don't meet the specifications of the schema(s):\n- %s", strings.Join(errs, "\n- "))
	}
	return nil
}

func run(in Input) (string, error) {
	c, err := LoadChart(in.ChartDir)
	if err != nil {
		return "", err
	}
	vals, err := Values(c, in.ValueFiles, in.Sets)
	if err != nil {
		return "", err
	}
	if !in.SkipSchema {
		if err := CheckValues(c, vals); err != nil {
			return "", err
		}
	}
	opts := in.Options
	if !in.SkipKubeVersionCheck {
		if err := CheckKubeVersion(c, opts.Capabilities.KubeVersion.Version); err != nil {
			return "", err
		}
	}
	opts.Capabilities.APIVersions = append(append(VersionSet{}, opts.Capabilities.APIVersions...), in.ExtraAPIs...)
	if in.DefineName != "" {
		return RenderDefine(c, vals, opts, in.DefineName)
	}
	if in.OutputNotes {
		return RenderNotes(c, vals, opts)
	}
	ms, err := Render(c, vals, opts)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, m := range ms {
		if in.ShowOnly != "" && m.Source != c.Name()+"/"+in.ShowOnly {
			continue
		}
		if in.DropUnserved {
			if api, kind, name := identify(m.Body); !opts.Capabilities.APIVersions.Has(api) {
				fmt.Fprintf(os.Stderr, "not served by this cluster, left out: %s %s %s\n", api, kind, name)
				continue
			}
		}
		fmt.Fprintf(&b, "---\n# Source: %s\n%s", m.Source, m.Body)
	}
	return b.String(), nil
}

// identify returns a manifest's apiVersion, kind and name.
func identify(body string) (string, string, string) {
	var o struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	_ = yaml.Unmarshal([]byte(body), &o)
	return o.APIVersion, o.Kind, o.Metadata.Name
}

func main() {
	var in Input
	var files, sets, apis multiFlag
	in.Options = DefaultOptions()
	flag.Var(&files, "f", "values file (repeatable, later wins)")
	flag.Var(&sets, "set", "key.path=value, value parsed as YAML (repeatable)")
	flag.Var(&apis, "api-versions", "extra API group/version the cluster serves, e.g. monitoring.coreos.com/v1 (repeatable)")
	flag.StringVar(&in.Options.Release.Name, "release-name", in.Options.Release.Name, "release name")
	flag.StringVar(&in.Options.Release.Namespace, "namespace", in.Options.Release.Namespace, "release namespace")
	flag.StringVar(&in.DefineName, "define", "", "render only this named template")
	flag.StringVar(&in.ShowOnly, "show-only", "", "print only manifests from this template, e.g. templates/operator/deployment.yaml")
	kubeVersion := flag.String("kube-version", in.Options.Capabilities.KubeVersion.Version, "Kubernetes version for .Capabilities.KubeVersion")
	flag.BoolVar(&in.SkipKubeVersionCheck, "skip-kube-version-check", false, "render even when Chart.yaml's kubeVersion excludes --kube-version")
	serverAPIs := flag.String("server-api-versions", "", "file with `kubectl api-versions` output: exactly these API versions are served (replaces the defaults)")
	flag.BoolVar(&in.DropUnserved, "drop-unserved", false, "leave out objects whose apiVersion is not among --api-versions and the defaults")
	usedMetrics := flag.Bool("used-metrics", false, "print the metric names the alert rules and the dashboard query, one per line")
	flag.BoolVar(&in.OutputNotes, "notes", false, "print the rendered NOTES.txt instead of manifests")
	flag.BoolVar(&in.SkipSchema, "skip-schema-validation", false, "do not validate values against values.schema.json")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [flags] CHART_DIR\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	in.ChartDir = flag.Arg(0)
	if *usedMetrics {
		out, err := printUsedMetrics(in.ChartDir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "Error:", err)
			os.Exit(1)
		}
		fmt.Print(out)
		return
	}
	kv, err := ParseKubeVersion(*kubeVersion)
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(2)
	}
	in.Options.Capabilities.KubeVersion = kv
	in.ValueFiles, in.Sets, in.ExtraAPIs = files, sets, apis
	if *serverAPIs != "" {
		data, err := os.ReadFile(*serverAPIs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "Error:", err)
			os.Exit(2)
		}
		in.Options.Capabilities.APIVersions = strings.Fields(string(data))
	}
	out, err := run(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	fmt.Print(out)
}
