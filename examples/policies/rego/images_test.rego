package main

import rego.v1

test_latest_is_denied if {
	deny["container web uses the mutable tag :latest (nginx:latest)"] with input as {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:latest"}]}}}}
}

test_pinned_is_allowed if {
	count(deny) == 0 with input as {"kind": "Deployment", "metadata": {"name": "web", "labels": {"team": "a"}}, "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}
}
