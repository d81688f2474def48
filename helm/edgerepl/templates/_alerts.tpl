{{/*
The edgerepl alerts as a Prometheus rules document ("groups: ..."). The PrometheusRule embeds it,
and monitoring/edgerepl-rules.yaml is this template rendered with the default values (tests/chart
checks that they agree), so there is one source. Every alert has a severity (critical pages,
warning is worked in office hours) and a runbook_url into docs/runbooks.md, and is unit-tested by
tests/alerts/edgerepl-rules.test.yaml.
*/}}
{{- define "edgerepl.alertRules" -}}
{{- $r := .Values.metrics.prometheusRule }}
{{- $agent := printf "job=%q" $r.agentJob }}
{{- $operator := printf "job=%q" $r.operatorJob }}
{{- $runbook := $r.runbookBaseURL }}
{{- $extra := $r.extraAlertLabels -}}
groups:
  - name: edgerepl-agent
    rules:
      - alert: EdgereplReplicationNotSending
        expr: |
          (
            edgerepl_queue_pending_points{ {{- $agent -}} } > 0
            and
            increase(edgerepl_remote_sent_points_total{ {{- $agent -}} }[{{ $r.notSendingMinutes }}m]) == 0
          )
          unless on (job, instance, replication)
            edgerepl_replication_state{ {{- $agent -}} ,state="Suspended"} == 1
        for: 5m
        labels:
          severity: critical
          {{- with $extra }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: Replication has pending data but sent nothing for {{ $r.notSendingMinutes }} minutes.
          description: >-
            Replication {{`{{ $labels.replication }}`}} on {{`{{ $labels.instance }}`}} has
            {{`{{ $value | humanize }}`}} points pending and delivered none to the remote in
            {{ $r.notSendingMinutes }} minutes. The queue grows until it is full and data is dropped.
          runbook_url: {{ $runbook }}#{{ lower "EdgereplReplicationNotSending" }}
      - alert: EdgereplQueueAlmostFull
        expr: |
          edgerepl_queue_bytes{ {{- $agent -}} } / edgerepl_queue_max_bytes{ {{- $agent -}} } > {{ $r.queueFullRatio }}
        for: 5m
        labels:
          severity: warning
          {{- with $extra }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: Replication queue is more than {{ mulf $r.queueFullRatio 100 }}% full.
          description: >-
            The queue of replication {{`{{ $labels.replication }}`}} on {{`{{ $labels.instance }}`}}
            is at {{`{{ $value | humanizePercentage }}`}} of its maxQueueSizeBytes. When it is full,
            new points are dropped (queueFullPolicy drop) or refused (reject).
          runbook_url: {{ $runbook }}#{{ lower "EdgereplQueueAlmostFull" }}
      - alert: EdgereplDataDropped
        # The second half catches the first drop of a series that did not exist 10 minutes ago
        # (a reason's counter may appear only when it first counts), which increase() cannot see.
        expr: |
          increase(edgerepl_queue_dropped_points_total{ {{- $agent -}} }[10m]) > 0
          or
          (
            edgerepl_queue_dropped_points_total{ {{- $agent -}} } * 1 > 0
            unless
            edgerepl_queue_dropped_points_total{ {{- $agent -}} } offset 10m
          )
        labels:
          severity: warning
          {{- with $extra }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: Replication dropped points that will never reach the remote.
          description: >-
            Replication {{`{{ $labels.replication }}`}} on {{`{{ $labels.instance }}`}} dropped
            {{`{{ $value | humanize }}`}} points in the last 10 minutes, reason
            {{`{{ $labels.reason }}`}}.
          runbook_url: {{ $runbook }}#{{ lower "EdgereplDataDropped" }}
      - alert: EdgereplReplicationLagHigh
        expr: |
          edgerepl_queue_oldest_pending_age_seconds{ {{- $agent -}} } > {{ $r.lagThresholdSeconds }}
        for: 5m
        labels:
          severity: warning
          {{- with $extra }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: Oldest unsent data is older than {{ $r.lagThresholdSeconds }} seconds.
          description: >-
            The oldest point queued by replication {{`{{ $labels.replication }}`}} on
            {{`{{ $labels.instance }}`}} has waited {{`{{ $value | humanizeDuration }}`}}. Points
            older than maxAgeSeconds are dropped (reason expired).
          runbook_url: {{ $runbook }}#{{ lower "EdgereplReplicationLagHigh" }}
      - alert: EdgereplRemoteUnauthorized
        expr: |
          edgerepl_replication_state{ {{- $agent -}} ,state="Unauthorized"} == 1
        for: 5m
        labels:
          severity: critical
          {{- with $extra }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: The remote refuses the replication's token (401/403).
          description: >-
            Replication {{`{{ $labels.replication }}`}} on {{`{{ $labels.instance }}`}} is
            Unauthorized: the remote answered 401 or 403. Nothing is sent until the token or its
            permissions are fixed; data keeps queueing.
          runbook_url: {{ $runbook }}#{{ lower "EdgereplRemoteUnauthorized" }}
      - alert: EdgereplAgentDown
        expr: |
          up{ {{- $agent -}} } == 0
        for: 5m
        labels:
          severity: critical
          {{- with $extra }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: An edgerepl agent cannot be scraped.
          description: >-
            The agent {{`{{ $labels.instance }}`}} has not answered /metrics for 5 minutes. While it
            is down, its InfluxDB accepts no writes through the Service.
          runbook_url: {{ $runbook }}#{{ lower "EdgereplAgentDown" }}
      - alert: EdgereplConfigReloadFailed
        expr: |
          edgerepl_config_last_reload_successful{ {{- $agent -}} } == 0
        for: 5m
        labels:
          severity: warning
          {{- with $extra }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: An agent refused its new config file and runs the previous one.
          description: >-
            The agent {{`{{ $labels.instance }}`}} could not load its changed config; it keeps
            running the last valid config, so recent Remote and Replication changes are not applied.
          runbook_url: {{ $runbook }}#{{ lower "EdgereplConfigReloadFailed" }}
  - name: edgerepl-operator
    rules:
      - alert: EdgereplOperatorReconcileErrors
        expr: |
          sum by (job, namespace, controller) (rate(controller_runtime_reconcile_errors_total{ {{- $operator -}} }[5m]))
            /
          sum by (job, namespace, controller) (rate(controller_runtime_reconcile_total{ {{- $operator -}} }[5m]))
            > {{ $r.reconcileErrorRatio }}
        for: 15m
        labels:
          severity: warning
          {{- with $extra }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: The edgerepl operator fails more than {{ mulf $r.reconcileErrorRatio 100 }}% of its reconciles.
          description: >-
            {{`{{ $value | humanizePercentage }}`}} of the reconciles of controller
            {{`{{ $labels.controller }}`}} failed over the last 5 minutes. Status and agent config
            may be stale.
          runbook_url: {{ $runbook }}#{{ lower "EdgereplOperatorReconcileErrors" }}
      - alert: EdgereplAgentsUnreachable
        expr: |
          edgerepl_agents{ {{- $operator -}} } - edgerepl_agents_reachable{ {{- $operator -}} } > 0
          and on (job, instance)
          leader_election_master_status{ {{- $operator -}} } == 1
        for: 15m
        labels:
          severity: warning
          {{- with $extra }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: The operator cannot read some agents' status.
          description: >-
            {{`{{ $value }}`}} agent pod(s) did not answer the operator's status poll for 15 minutes.
            Their replications' status is Unknown and their events are missing; replication itself
            is not affected.
          runbook_url: {{ $runbook }}#{{ lower "EdgereplAgentsUnreachable" }}
      - alert: EdgereplOperatorDown
        expr: |
          sum by (job, namespace) (up{ {{- $operator -}} }) == 0
        for: 10m
        labels:
          severity: warning
          {{- with $extra }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: No edgerepl operator replica can be scraped.
          description: >-
            No operator replica answered /metrics for 10 minutes. Replication keeps running on the
            agents, but Remote and Replication changes and status updates wait for it.
          runbook_url: {{ $runbook }}#{{ lower "EdgereplOperatorDown" }}
{{- end }}
