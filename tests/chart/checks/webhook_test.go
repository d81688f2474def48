package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The sidecar the webhook injects is the bundled StatefulSet's agent container: same image, args,
// env, ports, probes, resources and securityContext; only the volume names carry a prefix.
func TestWebhookSidecarIsTheBundledSidecar(t *testing.T) {
	objs := render(t, nil, "webhook.enabled=true", "influxdb.enabled=true")
	cm := mustFind(t, objs, "ConfigMap", "edgerepl-operator-webhook-sidecar")
	var doc map[string]interface{}
	if err := json.Unmarshal([]byte(str(cm, "data", "sidecar.json")), &doc); err != nil {
		t.Fatalf("sidecar.json: %v", err)
	}
	injected := doc["container"].(map[string]interface{})
	var bundled map[string]interface{}
	for _, c := range containers(mustFind(t, objs, "StatefulSet", "edgerepl-influxdb")) {
		if c["name"] == "edgerepl-agent" {
			bundled = c
		}
	}
	for _, key := range []string{"name", "image", "imagePullPolicy", "args", "env", "ports",
		"livenessProbe", "readinessProbe", "resources", "securityContext"} {
		if !reflect.DeepEqual(injected[key], bundled[key]) {
			t.Errorf("%s: injected %v, bundled %v", key, injected[key], bundled[key])
		}
	}
	mounts := map[string]string{}
	for _, m := range list(injected, "volumeMounts") {
		mounts[str(m, "name")] = str(m, "mountPath")
	}
	want := map[string]string{"edgerepl-queue": "/var/lib/edgerepl",
		"edgerepl-agent-config": "/etc/edgerepl", "edgerepl-podinfo": "/etc/podinfo"}
	if !reflect.DeepEqual(mounts, want) {
		t.Errorf("mounts %v, want %v", mounts, want)
	}
	// The fixture the webhook's tests inject is what the chart renders by default.
	def := render(t, nil, "webhook.enabled=true")
	var fixture, rendered interface{}
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "tests", "fixtures", "webhook", "sidecar.json"))
	if err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(raw, &fixture)
	_ = json.Unmarshal([]byte(str(mustFind(t, def, "ConfigMap", "edgerepl-operator-webhook-sidecar"),
		"data", "sidecar.json")), &rendered)
	if !reflect.DeepEqual(fixture, rendered) {
		t.Errorf("tests/fixtures/webhook/sidecar.json differs from the chart's default rendering")
	}
}

func TestWebhookConfigurationFollowsTheValues(t *testing.T) {
	objs := render(t, nil, "webhook.enabled=true", "webhook.failurePolicy=Fail")
	mwc := mustFind(t, objs, "MutatingWebhookConfiguration", "edgerepl-sidecar-injector")
	hooks := list(mwc, "webhooks")
	if len(hooks) != 3 {
		t.Fatalf("webhooks %v", hooks)
	}
	for _, h := range hooks {
		if str(h, "failurePolicy") != "Fail" {
			t.Errorf("%s: failurePolicy %s", str(h, "name"), str(h, "failurePolicy"))
		}
		if !contains(list(h, "admissionReviewVersions"), "v1beta1") || !contains(list(h, "admissionReviewVersions"), "v1") {
			t.Errorf("%s: admissionReviewVersions %v", str(h, "name"), list(h, "admissionReviewVersions"))
		}
		if str(h, "clientConfig", "service", "name") != "edgerepl-operator-webhook" {
			t.Errorf("%s: service %v", str(h, "name"), get(h, "clientConfig"))
		}
	}
	// Only labelled pods reach the first webhook, so the operator's own pods and kube-system are
	// never blocked, whatever the failure policy.
	if str(hooks[0], "objectSelector", "matchLabels", "edgerepl.io/inject") != "true" {
		t.Errorf("pods webhook objectSelector %v", get(hooks[0], "objectSelector"))
	}
	if str(hooks[1], "namespaceSelector", "matchLabels", "edgerepl.io/injection") != "enabled" {
		t.Errorf("annotated-pods webhook namespaceSelector %v", get(hooks[1], "namespaceSelector"))
	}
	op := mustFind(t, objs, "Deployment", "edgerepl-operator")
	a := strings.Join(args(containers(op)[0]), " ")
	for _, want := range []string{"--webhook-bind-address=:9443", "--webhook-config-name=edgerepl-sidecar-injector",
		"--webhook-service=edgerepl-operator-webhook", "--webhook-secret=edgerepl-operator-webhook-tls"} {
		if !strings.Contains(a, want) {
			t.Errorf("operator args lack %s: %s", want, a)
		}
	}
	cm := render(t, nil, "webhook.enabled=true", "webhook.certManager.enabled=true")
	mwc = mustFind(t, cm, "MutatingWebhookConfiguration", "edgerepl-sidecar-injector")
	if str(mwc, "metadata", "annotations", "cert-manager.io/inject-ca-from") != "edgerepl/edgerepl-operator-webhook" {
		t.Errorf("cert-manager annotation %v", get(mwc, "metadata", "annotations"))
	}
	mustFind(t, cm, "Certificate", "edgerepl-operator-webhook")
	op = mustFind(t, cm, "Deployment", "edgerepl-operator")
	if !strings.Contains(strings.Join(args(containers(op)[0]), " "), "--webhook-cert-dir=/etc/edgerepl-webhook/certs") {
		t.Errorf("cert-manager: no --webhook-cert-dir")
	}
	if find(render(t, nil), "MutatingWebhookConfiguration", "edgerepl-sidecar-injector") != nil {
		t.Errorf("webhook rendered while webhook.enabled is false")
	}
}
