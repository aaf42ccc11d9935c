{{- define "kubefort.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kubefort.service" -}}
{{- printf "%s-webhook" (include "kubefort.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kubefort.secretName" -}}
{{- default (printf "%s-tls" (include "kubefort.fullname" .)) .Values.certificates.secretName -}}
{{- end -}}

{{- define "kubefort.selectorLabels" -}}
app.kubernetes.io/name: kubefort
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end -}}

{{- define "kubefort.labels" -}}
{{ include "kubefort.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kubefort.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* The generated CA and serving pair, made once per render and reused when the Secret exists. */}}
{{- define "kubefort.generatedCerts" -}}
{{- $secret := lookup "v1" "Secret" .Release.Namespace (include "kubefort.secretName" .) -}}
{{- if and $secret (index $secret.data "ca.crt") -}}
caCert: {{ index $secret.data "ca.crt" }}
tlsCert: {{ index $secret.data "tls.crt" }}
tlsKey: {{ index $secret.data "tls.key" }}
{{- else -}}
{{- $svc := include "kubefort.service" . -}}
{{- $ns := .Release.Namespace -}}
{{- $ca := genCA "kubefort-webhook-ca" (int .Values.certificates.validityDays) -}}
{{- $names := list (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) (printf "%s.%s" $svc $ns) $svc -}}
{{- $cert := genSignedCert (first $names) nil $names (int .Values.certificates.validityDays) $ca -}}
caCert: {{ $ca.Cert | b64enc }}
tlsCert: {{ $cert.Cert | b64enc }}
tlsKey: {{ $cert.Key | b64enc }}
{{- end -}}
{{- end -}}
