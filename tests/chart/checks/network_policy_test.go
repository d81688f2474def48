package main

import "testing"

// The optional NetworkPolicy of the bundled InfluxDB: off by default; on, the write port is open
// to all and the admin port only to the operator pods and networkPolicy.adminFrom.
func TestNetworkPolicyClosesTheAdminPortToAllButOperatorAndScraper(t *testing.T) {
	if np := find(render(t, []string{"influxdb.yaml"}), "NetworkPolicy", "edgerepl-influxdb"); np != nil {
		t.Fatalf("NetworkPolicy rendered by default")
	}
	objs := render(t, []string{"influxdb.yaml"}, "networkPolicy.enabled=true")
	np := mustFind(t, objs, "NetworkPolicy", "edgerepl-influxdb")
	if c := str(np, "spec", "podSelector", "matchLabels", "app.kubernetes.io/component"); c != "edgerepl-agent" {
		t.Errorf("podSelector component %q", c)
	}
	ingress := list(np, "spec", "ingress")
	if len(ingress) != 2 {
		t.Fatalf("ingress %v: want the write rule and the admin rule", ingress)
	}
	write, admin := ingress[0], ingress[1]
	if p := get(list(write, "ports")[0], "port"); p != 8186.0 {
		t.Errorf("write rule port %v", p)
	}
	if get(write, "from") != nil {
		t.Errorf("write rule limits its peers: %v", get(write, "from"))
	}
	if p := get(list(admin, "ports")[0], "port"); p != 9186.0 {
		t.Errorf("admin rule port %v", p)
	}
	from := list(admin, "from")
	if len(from) != 2 {
		t.Fatalf("admin peers %v: want the operator and the default scraper", from)
	}
	if c := str(from[0], "podSelector", "matchLabels", "app.kubernetes.io/component"); c != "operator" {
		t.Errorf("first admin peer %v is not the operator", from[0])
	}
	if n := str(from[1], "podSelector", "matchLabels", "app.kubernetes.io/name"); n != "prometheus" {
		t.Errorf("second admin peer %v is not the default scraper", from[1])
	}
	// The operator's pods carry the labels the policy selects.
	dep := mustFind(t, objs, "Deployment", "edgerepl-operator")
	if c := str(dep, "spec", "template", "metadata", "labels", "app.kubernetes.io/component"); c != "operator" {
		t.Errorf("operator pod component label %q", c)
	}
}
