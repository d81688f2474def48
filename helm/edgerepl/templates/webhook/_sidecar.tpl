{{/*
The agent container the webhook injects: the bundled StatefulSet's sidecar (templates/influxdb/
statefulset.yaml) with the same image, args, env, ports, probes, resources and securityContext,
its volumes named with an edgerepl- prefix so they never meet a pod's own.
*/}}
{{- define "edgerepl.webhookSidecar" -}}
{{- $agent := .Values.agent -}}
name: edgerepl-agent
image: {{ include "edgerepl.image" (dict "image" $agent.image "root" $) | quote }}
imagePullPolicy: {{ $agent.image.pullPolicy }}
args:
  - --config=/etc/edgerepl/agent.yaml
  - --waiting-admin-listen=:{{ $agent.adminPort }}
  - --log-level={{ $agent.logLevel }}
  - --log-format={{ $agent.logFormat }}
  {{- range $agent.extraArgs }}
  - {{ . | quote }}
  {{- end }}
env:
  - name: POD_NAME
    valueFrom:
      fieldRef:
        fieldPath: metadata.name
  {{- with $agent.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
ports:
  - name: edgerepl-write
    containerPort: {{ $agent.writePort }}
    protocol: TCP
  - name: edgerepl-admin
    containerPort: {{ $agent.adminPort }}
    protocol: TCP
livenessProbe:
  httpGet:
    path: /healthz
    port: edgerepl-admin
  periodSeconds: 10
readinessProbe:
  httpGet:
    path: /readyz
    port: edgerepl-admin
  periodSeconds: 5
resources:
  {{- toYaml $agent.resources | nindent 2 }}
securityContext:
  {{- toYaml $agent.securityContext | nindent 2 }}
volumeMounts:
  - name: edgerepl-queue
    mountPath: /var/lib/edgerepl
  - name: edgerepl-agent-config
    mountPath: /etc/edgerepl
    readOnly: true
  - name: edgerepl-podinfo
    mountPath: /etc/podinfo
    readOnly: true
{{- end }}
