package main

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver"
)

// ParseKubeVersion turns "1.30", "v1.30.2" into .Capabilities.KubeVersion.
func ParseKubeVersion(s string) (KubeVersion, error) {
	v, err := semver.NewVersion(strings.TrimPrefix(s, "v"))
	if err != nil {
		return KubeVersion{}, fmt.Errorf("kube version %q: %v", s, err)
	}
	full := fmt.Sprintf("v%d.%d.%d", v.Major(), v.Minor(), v.Patch())
	return KubeVersion{Version: full, Major: fmt.Sprint(v.Major()), Minor: fmt.Sprint(v.Minor()), GitVersion: full}, nil
}

// CheckKubeVersion refuses a cluster version outside Chart.yaml's kubeVersion, as Helm does.
func CheckKubeVersion(c *Chart, version string) error {
	constraint, ok := c.Metadata["kubeVersion"].(string)
	if !ok || constraint == "" {
		return nil
	}
	cons, err := semver.NewConstraint(constraint)
	if err != nil {
		return fmt.Errorf("Chart.yaml kubeVersion %q: %v", constraint, err)
	}
	v, err := semver.NewVersion(strings.TrimPrefix(version, "v"))
	if err != nil {
		return err
	}
	if !cons.Check(v) {
		return fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", constraint, version)
	}
	return nil
}
