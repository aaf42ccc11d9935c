// rbac-diff answers access questions with the API server's own RBAC
// authorizer (k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac), for the
// differential test in scripts/rbac-diff.sh.
//
// Input (stdin): {"roles": [...], "clusterRoles": [...], "roleBindings": [...],
// "clusterRoleBindings": [...], "queries": [{"user", "groups", "verb",
// "namespace", "apiGroup", "resource", "subresource", "name", "path"}]}.
// Output (stdout): one JSON boolean per query, in order.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac"
)

type query struct {
	User        string   `json:"user"`
	Groups      []string `json:"groups"`
	Verb        string   `json:"verb"`
	Namespace   string   `json:"namespace"`
	APIGroup    string   `json:"apiGroup"`
	Resource    string   `json:"resource"`
	Subresource string   `json:"subresource"`
	Name        string   `json:"name"`
	Path        string   `json:"path"`
}

type input struct {
	Roles               []rbacv1.Role               `json:"roles"`
	ClusterRoles        []rbacv1.ClusterRole        `json:"clusterRoles"`
	RoleBindings        []rbacv1.RoleBinding        `json:"roleBindings"`
	ClusterRoleBindings []rbacv1.ClusterRoleBinding `json:"clusterRoleBindings"`
	Queries             []query                     `json:"queries"`
}

type store struct{ in *input }

func (s store) GetRole(_ context.Context, ns, name string) (*rbacv1.Role, error) {
	for i := range s.in.Roles {
		if r := &s.in.Roles[i]; r.Namespace == ns && r.Name == name {
			return r, nil
		}
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "roles"}, name)
}

func (s store) ListRoleBindings(_ context.Context, ns string) ([]*rbacv1.RoleBinding, error) {
	var out []*rbacv1.RoleBinding
	for i := range s.in.RoleBindings {
		if b := &s.in.RoleBindings[i]; b.Namespace == ns {
			out = append(out, b)
		}
	}
	return out, nil
}

func (s store) GetClusterRole(_ context.Context, name string) (*rbacv1.ClusterRole, error) {
	for i := range s.in.ClusterRoles {
		if r := &s.in.ClusterRoles[i]; r.Name == name {
			return r, nil
		}
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "clusterroles"}, name)
}

func (s store) ListClusterRoleBindings(_ context.Context) ([]*rbacv1.ClusterRoleBinding, error) {
	var out []*rbacv1.ClusterRoleBinding
	for i := range s.in.ClusterRoleBindings {
		out = append(out, &s.in.ClusterRoleBindings[i])
	}
	return out, nil
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "rbac-diff:", err)
		os.Exit(2)
	}
	s := store{&in}
	a := rbac.New(s, s, s, s)
	enc := json.NewEncoder(os.Stdout)
	for _, q := range in.Queries {
		attrs := authorizer.AttributesRecord{
			User:            &user.DefaultInfo{Name: q.User, Groups: q.Groups},
			Verb:            q.Verb,
			Namespace:       q.Namespace,
			APIGroup:        q.APIGroup,
			Resource:        q.Resource,
			Subresource:     q.Subresource,
			Name:            q.Name,
			Path:            q.Path,
			ResourceRequest: q.Path == "",
		}
		d, _, _ := a.Authorize(context.Background(), attrs)
		_ = enc.Encode(d == authorizer.DecisionAllow)
	}
}
