package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// The chart is rendered by the real helm (scripts/kube-tools.sh installs it): EDGEREPL_HELM names
// the current one (helm 4), EDGEREPL_HELM_LEGACY the oldest we support (helm 3.8). Without them,
// the tools script is run to find (or install) them.
func helmBinary(legacy bool) (string, error) {
	env := "EDGEREPL_HELM"
	if legacy {
		env = "EDGEREPL_HELM_LEGACY"
	}
	if p := os.Getenv(env); p != "" {
		return p, nil
	}
	root, err := sourceRoot()
	if err != nil {
		return "", err
	}
	args := []string{filepath.Join(root, "scripts", "kube-tools.sh")}
	if legacy {
		args = append(args, "--legacy")
	}
	out, err := exec.Command("bash", args...).Output()
	if err != nil {
		return "", fmt.Errorf("%s is unset and scripts/kube-tools.sh failed: %v", env, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return filepath.Join(lines[len(lines)-1], "helm"), nil
}

// sourceRoot is the repository: EDGEREPL_SOURCE_DIR, else three levels above this package.
func sourceRoot() (string, error) {
	if d := os.Getenv("EDGEREPL_SOURCE_DIR"); d != "" {
		return d, nil
	}
	return filepath.Abs("../../..")
}

// helmRun runs helm with args and returns stdout, or an error carrying stderr (helm's message).
// Helm's notes about the files/crds symbolic link are not errors and are dropped.
func helmRun(helm string, args ...string) (string, error) {
	cmd := exec.Command(helm, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+os.TempDir()+"/edgerepl-helm-cache",
		"HELM_CONFIG_HOME="+os.TempDir()+"/edgerepl-helm-config", "HELM_DATA_HOME="+os.TempDir()+"/edgerepl-helm-data")
	err := cmd.Run()
	if err != nil {
		var msg []string
		for _, l := range strings.Split(stderr.String(), "\n") {
			if !strings.Contains(l, "symbolic link") && strings.TrimSpace(l) != "" {
				msg = append(msg, l)
			}
		}
		return stdout.String(), fmt.Errorf("helm %s: %v\n%s", strings.Join(args, " "), err, strings.Join(msg, "\n"))
	}
	return stdout.String(), nil
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

// splitDocuments splits helm's multi-document output and drops documents that hold only
// comments (helm's "# Source:" lines) or nothing.
func splitDocuments(out string) []string {
	var docs []string
	for _, doc := range docSeparator.Split(out, -1) {
		empty := true
		for _, l := range strings.Split(doc, "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
				empty = false
				break
			}
		}
		if !empty {
			docs = append(docs, doc)
		}
	}
	return docs
}

// alertRulesText is the text of the chart's "edgerepl.alertRules" template with the given --set
// values: the PrometheusRule's spec block, un-indented (monitoring/edgerepl-rules.yaml is this with
// the default values).
func alertRulesText(helm, chartDir string, sets ...string) (string, error) {
	args := []string{"template", "edgerepl", chartDir, "--namespace", "edgerepl",
		"--show-only", "templates/monitoring/prometheusrule.yaml", "--set", "metrics.prometheusRule.enabled=true"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	out, err := helmRun(helm, args...)
	if err != nil {
		return "", err
	}
	i := strings.Index(out, "\nspec:\n")
	if i < 0 {
		return "", fmt.Errorf("no spec in the rendered PrometheusRule:\n%s", out)
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(out[i+len("\nspec:\n"):], "\n"), "\n") {
		if l != "" && !strings.HasPrefix(l, "  ") {
			return "", fmt.Errorf("PrometheusRule spec is not indented by two: %q", l)
		}
		b.WriteString(strings.TrimPrefix(l, "  "))
		b.WriteString("\n")
	}
	return b.String(), nil
}
