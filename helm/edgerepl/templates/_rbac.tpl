{{/*
The operator's permissions in a watched namespace (DESIGN §9: least privilege). It reads its
resources and the Secrets they reference, writes only status and its own config Secret, reads
agent pods and sets one annotation on them (operator.nudgeAgentPods), and records events. It
never deletes user objects.
*/}}
{{- define "edgerepl.operatorRules" -}}
- apiGroups: ["edgerepl.io"]
  resources: ["remotes", "replications"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["edgerepl.io"]
  resources: ["remotes/status", "replications/status"]
  verbs: ["get", "patch", "update"]
# Token and CA Secrets referenced by Remotes.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch"]
# The agents' config Secret and the admin token Secret. RBAC cannot limit create by name, so
# create is granted alone and every other write is limited to the operator's own two Secrets.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["create"]
- apiGroups: [""]
  resources: ["secrets"]
  resourceNames: ["edgerepl-agent-config", "edgerepl-agent-admin"]
  verbs: ["update", "patch", "delete"]
# Agent pods (label app.kubernetes.io/component=edgerepl-agent), polled on their admin port.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
{{- if .Values.operator.nudgeAgentPods }}
# The annotation edgerepl.io/agent-config-version on agent pods, which makes the kubelet deliver
# a changed config at once (operator.nudgeAgentPods).
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["patch"]
{{- end }}
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}
