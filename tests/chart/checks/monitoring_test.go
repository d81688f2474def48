package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func loadRules(t *testing.T) []alertRule {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "monitoring", "edgerepl-rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var g ruleGroups
	if err := yaml.UnmarshalStrict(data, &g); err != nil {
		t.Fatal(err)
	}
	var out []alertRule
	for _, grp := range g.Groups {
		out = append(out, grp.Rules...)
	}
	return out
}

// The alerts the chart must ship (issue: not sending, queue 80%, drops, lag, unauthorized, agent
// down, operator reconcile errors), each with severity, summary, description and a runbook link.
func TestAlertsAreCompleteAndLinkToRunbooks(t *testing.T) {
	rules := loadRules(t)
	want := []string{"EdgereplReplicationNotSending", "EdgereplQueueAlmostFull", "EdgereplDataDropped",
		"EdgereplReplicationLagHigh", "EdgereplRemoteUnauthorized", "EdgereplAgentDown",
		"EdgereplOperatorReconcileErrors"}
	have := map[string]alertRule{}
	for _, r := range rules {
		have[r.Alert] = r
	}
	for _, w := range want {
		if _, ok := have[w]; !ok {
			t.Errorf("alert %s is missing", w)
		}
	}
	runbooks, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "runbooks.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^## (\S+)\s*$`).FindAllStringSubmatch(string(runbooks), -1) {
		anchors[strings.ToLower(m[1])] = true
	}
	for _, r := range rules {
		if s := r.Labels["severity"]; s != "critical" && s != "warning" && s != "info" {
			t.Errorf("%s: severity %q", r.Alert, s)
		}
		if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
			t.Errorf("%s: summary and description are required", r.Alert)
		}
		url := r.Annotations["runbook_url"]
		i := strings.LastIndexByte(url, '#')
		if i < 0 || !strings.HasSuffix(url[:i], "/docs/runbooks.md") {
			t.Errorf("%s: runbook_url %q does not point into docs/runbooks.md", r.Alert, url)
			continue
		}
		if url[i+1:] != strings.ToLower(r.Alert) || !anchors[url[i+1:]] {
			t.Errorf("%s: docs/runbooks.md has no section '## %s' for %s", r.Alert, r.Alert, url)
		}
	}
}

// Every alert has a promtool case where it fires and one where it must not.
func TestEveryAlertHasFiringAndQuietUnitTests(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "tests", "alerts", "edgerepl-rules.test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string        `json:"alertname"`
				ExpAlerts []interface{} `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range f.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	for _, r := range loadRules(t) {
		if !fires[r.Alert] {
			t.Errorf("%s has no unit test where it fires", r.Alert)
		}
		if !quiet[r.Alert] {
			t.Errorf("%s has no unit test where it stays quiet", r.Alert)
		}
	}
}

// The PrometheusRule rendered with non-default values is still a valid rules document.
func TestRenderedPrometheusRulePassesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian prometheus); skipping")
	}
	pr := mustFind(t, render(t, []string{"influxdb.yaml"}), "PrometheusRule", "edgerepl")
	spec, _ := yaml.Marshal(pr["spec"])
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, spec, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	if !strings.Contains(string(spec), "> 600") || !strings.Contains(string(spec), "team: edge") {
		t.Errorf("values did not reach the rules:\n%s", spec)
	}
}

func TestMetricNameExtraction(t *testing.T) {
	got := metricNames(`sum by (job, le) (rate(a_total{x="b{c}"}[5m])) / on (job) group_left(pod) b_bytes > 0.8 and time() - c_seconds unless d == 1 or e offset 10m * 1e3`)
	sort.Strings(got)
	if strings.Join(got, ",") != "a_total,b_bytes,c_seconds,d,e" {
		t.Fatalf("got %v", got)
	}
}

// The metric contract of DESIGN.md §7: what the agent and the operator export.
var contractMetrics = map[string]string{
	"edgerepl_write_requests_total": "counter", "edgerepl_write_points_total": "counter",
	"edgerepl_write_bytes_total": "counter", "edgerepl_write_duration_seconds": "histogram",
	"edgerepl_local_write_duration_seconds": "histogram", "edgerepl_queue_enqueued_points_total": "counter",
	"edgerepl_queue_enqueued_bytes_total": "counter", "edgerepl_queue_bytes": "gauge",
	"edgerepl_queue_max_bytes": "gauge", "edgerepl_queue_pending_points": "gauge",
	"edgerepl_queue_oldest_pending_age_seconds": "gauge", "edgerepl_queue_dropped_points_total": "counter",
	"edgerepl_queue_dropped_bytes_total": "counter", "edgerepl_queue_fsync_duration_seconds": "histogram",
	"edgerepl_remote_requests_total": "counter", "edgerepl_remote_request_duration_seconds": "histogram",
	"edgerepl_remote_sent_points_total": "counter", "edgerepl_remote_sent_bytes_total": "counter",
	"edgerepl_remote_sent_wire_bytes_total": "counter", "edgerepl_remote_last_success_timestamp_seconds": "gauge",
	"edgerepl_replication_state": "gauge", "edgerepl_config_last_reload_successful": "gauge",
	"edgerepl_build_info": "gauge",
	// operator
	"controller_runtime_reconcile_total": "counter", "controller_runtime_reconcile_errors_total": "counter",
	"controller_runtime_reconcile_time_seconds": "histogram", "workqueue_depth": "gauge",
	"workqueue_adds_total": "counter", "workqueue_retries_total": "counter",
	"workqueue_queue_duration_seconds": "histogram", "workqueue_work_duration_seconds": "histogram",
	"leader_election_master_status": "gauge", "rest_client_requests_total": "counter",
	"edgerepl_agents_reachable": "gauge",
	// Exported beside the DESIGN list (operator/app/metrics.cc, agent/frontdoor/write_metrics.cc).
	"edgerepl_agents": "gauge", "edgerepl_write_added_duration_seconds": "histogram",
	"edgerepl_write_refused_points_total": "counter", "edgerepl_write_unreplicated_points_total": "counter",
	// agent/backfill/backfill_metrics.cc (docs/backfill.md).
	"edgerepl_backfill_read_points_total": "counter", "edgerepl_backfill_local_query_duration_seconds": "histogram",
	"edgerepl_backfill_local_query_errors_total": "counter", "edgerepl_backfill_done_until_timestamp_seconds": "gauge",
	"edgerepl_backfill_progress_ratio": "gauge", "edgerepl_backfill_pending_points": "gauge",
	"edgerepl_backfill_queue_bytes": "gauge", "edgerepl_backfill_state": "gauge",
	// agent/sender/sender_metrics.cc (docs/deletes.md).
	"edgerepl_deletes_total": "counter",
	// Prometheus' own per-target series.
	"up": "gauge",
}

func TestRulesAndDashboardUseOnlyExportedMetrics(t *testing.T) {
	used, err := UsedMetrics(helmPath(t, false), chartDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < 20 {
		t.Fatalf("only %d metrics found in rules and dashboard: %v", len(used), used)
	}
	for n, where := range used {
		if _, ok := contractMetrics[n]; !ok {
			t.Errorf("metric %s (used by %v) is not exported by the agent or the operator (DESIGN §7)", n, where)
		}
	}
	// The dashboard covers what the issue asks for.
	for _, n := range []string{"edgerepl_write_points_total", "edgerepl_remote_sent_points_total",
		"edgerepl_queue_bytes", "edgerepl_queue_max_bytes", "edgerepl_queue_oldest_pending_age_seconds",
		"edgerepl_remote_requests_total", "edgerepl_queue_dropped_points_total",
		"edgerepl_queue_fsync_duration_seconds", "edgerepl_write_refused_points_total",
		"edgerepl_write_unreplicated_points_total"} {
		if _, ok := used[n]; !ok {
			t.Errorf("nothing shows %s", n)
		}
	}
}
