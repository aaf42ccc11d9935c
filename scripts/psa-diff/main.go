// Command psa-diff evaluates pods with the upstream Pod Security Admission
// policy package, for comparison with kubefort (scripts/psa-diff.sh).
//
// Input: JSON lines on stdin, each {"id": "...", "pod": <v1 Pod>}.
// Output: JSON lines, one per pod, level and version:
// {"id", "level", "version", "failures": ["reason (detail)", ...]}.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type input struct {
	ID  string          `json:"id"`
	Pod json.RawMessage `json:"pod"`
}

type output struct {
	ID       string   `json:"id"`
	Level    string   `json:"level"`
	Version  string   `json:"version"`
	Failures []string `json:"failures"`
}

func main() {
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		panic(err)
	}
	versions := []string{"latest"}
	for m := 0; m <= 40; m++ {
		versions = append(versions, fmt.Sprintf("v1.%d", m))
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := json.NewEncoder(bufio.NewWriter(os.Stdout))
	w := bufio.NewWriter(os.Stdout)
	out = json.NewEncoder(w)
	defer w.Flush()
	for in.Scan() {
		var rec input
		if err := json.Unmarshal(in.Bytes(), &rec); err != nil {
			panic(err)
		}
		var pod corev1.Pod
		if err := json.Unmarshal(rec.Pod, &pod); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", rec.ID, err)
			continue
		}
		for _, level := range []api.Level{api.LevelBaseline, api.LevelRestricted} {
			for _, v := range versions {
				version, err := api.ParseVersion(v)
				if err != nil {
					panic(err)
				}
				results := evaluator.EvaluatePod(api.LevelVersion{Level: level, Version: version}, &pod.ObjectMeta, &pod.Spec)
				failures := []string{}
				for _, r := range results {
					if !r.Allowed {
						agg := policy.AggregateCheckResults([]policy.CheckResult{r})
						failures = append(failures, agg.ForbiddenDetail())
					}
				}
				if err := out.Encode(output{ID: rec.ID, Level: string(level), Version: v, Failures: failures}); err != nil {
					panic(err)
				}
			}
		}
	}
	if err := in.Err(); err != nil {
		panic(err)
	}
}
