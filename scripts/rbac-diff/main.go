// rbac-diff answers access questions with the API server's own RBAC
// authorizer (k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac), for the
// differential test in scripts/rbac-diff.sh.
//
// Input (stdin): {"roles": [...], "clusterRoles": [...], "roleBindings": [...],
// "clusterRoleBindings": [...], "queries": [{"user", "groups", "verb",
// "namespace", "apiGroup", "resource", "subresource", "name", "path"}]}.
// Output (stdout): one JSON boolean per query, in order.
//
// ClusterRoles with an aggregationRule are first given their rules by the
// API server's ClusterRole aggregation controller
// (k8s.io/kubernetes/pkg/controller/clusterroleaggregation), run against a
// fake clientset until nothing changes.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/kubernetes/pkg/controller/clusterroleaggregation"
	"k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac"
)

// aggregate runs the aggregation controller over the ClusterRoles until
// no more changes happen, and returns them as it left them.
func aggregate(roles []rbacv1.ClusterRole) []rbacv1.ClusterRole {
	any := false
	objs := []runtime.Object{}
	for i := range roles {
		objs = append(objs, roles[i].DeepCopy())
		any = any || roles[i].AggregationRule != nil
	}
	if !any {
		return roles
	}
	client := fake.NewSimpleClientset(objs...)
	gvr := rbacv1.SchemeGroupVersion.WithResource("clusterroles")
	client.PrependReactor("patch", "clusterroles", func(a clienttesting.Action) (bool, runtime.Object, error) {
		pa := a.(clienttesting.PatchAction)
		var applied struct {
			Rules []rbacv1.PolicyRule `json:"rules"`
		}
		if err := json.Unmarshal(pa.GetPatch(), &applied); err != nil {
			return true, nil, err
		}
		obj, err := client.Tracker().Get(gvr, "", pa.GetName())
		if err != nil {
			return true, nil, err
		}
		cr := obj.(*rbacv1.ClusterRole).DeepCopy()
		cr.Rules = applied.Rules
		return true, cr, client.Tracker().Update(gvr, cr, "")
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	c := clusterroleaggregation.NewClusterRoleAggregation(factory.Rbac().V1().ClusterRoles(), client.RbacV1())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	factory.Start(ctx.Done())
	go c.Run(ctx, 1)
	last, stable := -1, 0
	for stable < 10 {
		time.Sleep(50 * time.Millisecond)
		if n := len(client.Actions()); n == last {
			stable++
		} else {
			last, stable = n, 0
		}
	}
	out := []rbacv1.ClusterRole{}
	list, err := client.Tracker().List(gvr, rbacv1.SchemeGroupVersion.WithKind("ClusterRole"), "")
	if err != nil {
		panic(err)
	}
	for _, r := range list.(*rbacv1.ClusterRoleList).Items {
		out = append(out, r)
	}
	return out
}

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
	in.ClusterRoles = aggregate(in.ClusterRoles)
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
