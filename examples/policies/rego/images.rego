# conftest-style policy: package main, rules deny / violation / warn.
package main

import rego.v1

# METADATA
# custom:
#   severity: high
deny contains msg if {
	some c in input.spec.template.spec.containers
	endswith(c.image, ":latest")
	msg := sprintf("container %s uses the mutable tag :latest (%s)", [c.name, c.image])
}

deny contains msg if {
	some c in input.spec.template.spec.containers
	not contains(c.image, ":")
	msg := sprintf("container %s has no image tag (%s)", [c.name, c.image])
}

warn contains {"msg": msg, "details": {"field": "metadata.labels.team"}} if {
	input.kind in {"Deployment", "StatefulSet", "DaemonSet"}
	not input.metadata.labels.team
	msg := sprintf("%s %s has no team label", [input.kind, input.metadata.name])
}
