{{/* Object name prefix: the release name, or <release>-fortisync when it does not contain "fortisync". */}}
{{- define "fortisync.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object; the same keys as config/default's, plus Helm's own. */}}
{{- define "fortisync.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/part-of: fortisync
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The operator pods, as config/manager selects them (a Deployment selector never changes). */}}
{{- define "fortisync.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/component: controller-manager
{{- end -}}

{{- define "fortisync.serviceAccountName" -}}
{{ include "fortisync.fullname" . }}-controller-manager
{{- end -}}

{{- define "fortisync.leaderElectionId" -}}
{{ .Values.leaderElection.id | default (printf "%s-leader" (include "fortisync.fullname" .)) }}
{{- end -}}

{{- define "fortisync.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "fortisync.fmgSessionSecret" -}}
{{- .Values.fortimanager.sessionSecret.name | default (printf "%s-fmg-sessions" (include "fortisync.fullname" .)) -}}
{{- end }}
