package main

import (
	"strings"
	"testing"
)

type rule struct {
	groups, resources, verbs, names []interface{}
}

func rules(o Object) []rule {
	var out []rule
	for _, r := range list(o, "rules") {
		out = append(out, rule{list(r, "apiGroups"), list(r, "resources"), list(r, "verbs"), list(r, "resourceNames")})
	}
	return out
}

// allowed reports whether the rules allow verb on resource (optionally a named object).
func allowed(rs []rule, group, resource, verb, name string) bool {
	for _, r := range rs {
		if !contains(r.groups, group) && !contains(r.groups, "*") {
			continue
		}
		if !contains(r.resources, resource) && !contains(r.resources, "*") {
			continue
		}
		if !contains(r.verbs, verb) && !contains(r.verbs, "*") {
			continue
		}
		if len(r.names) > 0 && (name == "" || !contains(r.names, name)) {
			continue
		}
		return true
	}
	return false
}

func checkOperatorRules(t *testing.T, where string, rs []rule) {
	t.Helper()
	for _, r := range rs {
		for _, l := range [][]interface{}{r.groups, r.resources, r.verbs} {
			if contains(l, "*") {
				t.Errorf("%s: wildcard in %v", where, r)
			}
		}
	}
	must := []struct{ group, resource, verb, name string }{
		{"edgerepl.io", "remotes", "watch", ""},
		{"edgerepl.io", "replications", "list", ""},
		{"edgerepl.io", "replications/status", "patch", ""},
		{"edgerepl.io", "remotes/status", "patch", ""},
		{"", "secrets", "get", "token"},
		{"", "secrets", "watch", ""},
		{"", "secrets", "create", ""},
		{"", "secrets", "update", "edgerepl-agent-config"},
		{"", "secrets", "update", "edgerepl-agent-admin"},
		{"", "pods", "list", ""},
		{"", "events", "create", ""},
	}
	for _, m := range must {
		if !allowed(rs, m.group, m.resource, m.verb, m.name) {
			t.Errorf("%s: %s %s/%s (%s) is not allowed", where, m.verb, m.group, m.resource, m.name)
		}
	}
	never := []struct{ group, resource, verb, name string }{
		{"", "secrets", "update", "someone-elses-secret"},
		{"", "secrets", "delete", "someone-elses-secret"},
		{"", "secrets", "patch", "token"},
		{"edgerepl.io", "replications", "update", ""},
		{"edgerepl.io", "remotes", "delete", ""},
		{"", "pods", "delete", ""},
		{"", "pods/exec", "create", ""},
		{"", "pods/proxy", "get", ""},
		{"apps", "statefulsets", "patch", ""},
		{"apiextensions.k8s.io", "customresourcedefinitions", "create", ""},
		{"coordination.k8s.io", "leases", "update", "edgerepl-operator"},
	}
	for _, n := range never {
		if allowed(rs, n.group, n.resource, n.verb, n.name) {
			t.Errorf("%s: %s %s/%s (%s) is allowed, but must not be", where, n.verb, n.group, n.resource, n.name)
		}
	}
}

func TestClusterWideRBACIsLeastPrivilege(t *testing.T) {
	objs := render(t, []string{"default.yaml"})
	cr := mustFind(t, objs, "ClusterRole", "edgerepl-operator")
	checkOperatorRules(t, "ClusterRole", rules(cr))
	crb := mustFind(t, objs, "ClusterRoleBinding", "edgerepl-operator")
	subj := list(crb, "subjects")
	if len(subj) != 1 || str(subj[0], "name") != "edgerepl-operator" || str(subj[0], "namespace") != "edgerepl" {
		t.Errorf("ClusterRoleBinding subjects %v", subj)
	}
	if ofKind(objs, "Role")[0].Name() != "edgerepl-operator-leader-election" || len(ofKind(objs, "Role")) != 1 {
		t.Errorf("cluster-wide mode: Roles %v, want only leader election", ofKind(objs, "Role"))
	}
	le := rules(mustFind(t, objs, "Role", "edgerepl-operator-leader-election"))
	if !allowed(le, "coordination.k8s.io", "leases", "update", "edgerepl-operator") ||
		allowed(le, "coordination.k8s.io", "leases", "update", "another-lease") ||
		!allowed(le, "coordination.k8s.io", "leases", "create", "") {
		t.Errorf("leader election rules %v", le)
	}
	if allowed(le, "", "secrets", "get", "x") {
		t.Errorf("leader election Role reads Secrets")
	}
}

func TestWatchNamespacesGetRolesAndNoClusterRole(t *testing.T) {
	objs := render(t, []string{"namespaced.yaml"})
	if n := len(ofKind(objs, "ClusterRole")) + len(ofKind(objs, "ClusterRoleBinding")); n != 0 {
		t.Fatalf("%d cluster-scoped RBAC objects with watchNamespaces", n)
	}
	got := map[string]bool{}
	for _, r := range ofKind(objs, "Role") {
		if r.Name() == "edgerepl-operator" {
			got[r.Namespace()] = true
			checkOperatorRules(t, "Role in "+r.Namespace(), rules(r))
		}
	}
	if !got["edge-a"] || !got["edge-b"] || len(got) != 2 {
		t.Fatalf("operator Roles in %v, want edge-a and edge-b", got)
	}
	bindings := 0
	for _, b := range ofKind(objs, "RoleBinding") {
		if b.Name() == "edgerepl-operator" {
			bindings++
			if str(list(b, "subjects")[0], "namespace") != "edgerepl" {
				t.Errorf("RoleBinding in %s binds %v", b.Namespace(), list(b, "subjects"))
			}
		}
	}
	if bindings != 2 {
		t.Errorf("%d RoleBindings, want 2", bindings)
	}
	dep := mustFind(t, objs, "Deployment", "edgerepl-operator")
	if a := strings.Join(args(containers(dep)[0]), " "); !strings.Contains(a, "--namespace=edge-a --namespace=edge-b") {
		t.Errorf("operator args %q do not name the watched namespaces", a)
	}
}

func TestRBACAndServiceAccountCanBeLeftToTheUser(t *testing.T) {
	objs := render(t, []string{"minimal.yaml"})
	for _, kind := range []string{"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount",
		"CustomResourceDefinition", "ConfigMap"} {
		if n := len(ofKind(objs, kind)); n != 0 {
			t.Errorf("%d %s rendered with minimal.yaml", n, kind)
		}
	}
	dep := mustFind(t, objs, "Deployment", "edgerepl-operator")
	if sa := str(podSpec(dep), "serviceAccountName"); sa != "edgerepl-operator-preprovisioned" {
		t.Errorf("serviceAccountName %q", sa)
	}
}
