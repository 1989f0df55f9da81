{{/* Labels on every object. No Helm-specific labels: the same objects ship as manifests/install.yaml. */}}
{{- define "stockade.labels" -}}
app.kubernetes.io/name: stockade-operator
app.kubernetes.io/part-of: stockade
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{- define "stockade.selectorLabels" -}}
app.kubernetes.io/name: stockade-operator
app.kubernetes.io/part-of: stockade
{{- end }}

{{- define "stockade.installerLabels" -}}
app.kubernetes.io/name: stockade-installer
app.kubernetes.io/part-of: stockade
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
