{{/*
Names. The release name is used as is when it already contains the chart name, as in most charts.
*/}}
{{- define "edgerepl.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "edgerepl.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "edgerepl.operatorName" -}}
{{- printf "%s-operator" (include "edgerepl.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "edgerepl.influxdbName" -}}
{{- printf "%s-influxdb" (include "edgerepl.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "edgerepl.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels every object carries (Helm's recommended set). Selector labels are a stable subset: they
never change between chart versions, because a Deployment's selector is immutable.
*/}}
{{- define "edgerepl.labels" -}}
helm.sh/chart: {{ include "edgerepl.chart" . }}
{{ include "edgerepl.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: edgerepl
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "edgerepl.selectorLabels" -}}
app.kubernetes.io/name: {{ include "edgerepl.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "edgerepl.operatorSelectorLabels" -}}
{{ include "edgerepl.selectorLabels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{/*
The operator finds agent pods by this component label (docs/crd-reference.md); it is part of the
StatefulSet's selector, so it must never change.
*/}}
{{- define "edgerepl.agentSelectorLabels" -}}
{{ include "edgerepl.selectorLabels" . }}
app.kubernetes.io/component: edgerepl-agent
{{- end }}

{{- define "edgerepl.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "edgerepl.operatorName" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
An image reference: repository, then @digest when given, else :tag (default: the chart's appVersion).
Call with (dict "image" .Values.x.image "root" $).
*/}}
{{- define "edgerepl.image" -}}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) }}
{{- end }}
{{- end }}

{{/*
Namespaces whose resources the operator reconciles; empty means all namespaces (cluster-wide RBAC).
*/}}
{{- define "edgerepl.watchNamespaces" -}}
{{- join "," (uniq .Values.operator.watchNamespaces) }}
{{- end }}

{{- define "edgerepl.leaderElection" -}}
{{- if or .Values.operator.leaderElection.enabled (gt (int .Values.operator.replicaCount) 1) }}true{{ end }}
{{- end }}
