package main

import rego.v1

pod_spec := input.spec if input.kind == "Pod"

pod_spec := input.spec.template.spec if input.kind != "Pod"

deny contains msg if {
	not input.metadata.labels["app.kubernetes.io/name"]
	msg := sprintf("%s %s has no app.kubernetes.io/name label", [input.kind, input.metadata.name])
}

deny contains msg if {
	some c in pod_spec.containers
	endswith(c.image, ":latest")
	msg := sprintf("container %s uses :latest", [c.name])
}

deny contains msg if {
	pod_spec.hostNetwork == true
	msg := "hostNetwork is not allowed"
}
