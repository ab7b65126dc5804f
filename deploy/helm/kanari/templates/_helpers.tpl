{{/* Common labels of every object of the chart. */}}
{{- define "kanari.labels" -}}
app.kubernetes.io/name: kanari
app.kubernetes.io/component: controller
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kanari.selector" -}}
app.kubernetes.io/name: kanari
app.kubernetes.io/component: controller
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
