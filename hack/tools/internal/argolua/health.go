// Package argolua evaluates Argo CD resource health customizations written in Lua, following Argo
// CD's util/lua (the VM it builds, how `obj` is passed and how the returned table is read) and
// gitops-engine's GetResourceHealth (objects being deleted are "Pending deletion" before any Lua).
// Only what health checks need is mirrored: no resource actions, no built-in script directory.
package argolua

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gobwas/glob"
	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	luajson "layeh.com/gopher-json"
	"sigs.k8s.io/yaml"
)

// Health is Argo CD's HealthStatus.
type Health struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
}

// Override is the health part of Argo CD's ResourceOverride.
type Override struct {
	HealthLua   string
	UseOpenLibs bool
}

// Overrides are keyed like Argo CD's: "group/Kind", "Kind" for the core group, globs allowed.
type Overrides map[string]Override

const (
	healthPrefix   = "resource.customizations.health."
	openLibsPrefix = "resource.customizations.useOpenLibs."
	hookFinalizer  = "argocd.argoproj.io/hook-finalizer"
)

var validStatuses = []string{"Unknown", "Progressing", "Suspended", "Healthy", "Degraded", "Missing"}

// OverridesFromConfigMap reads the resource.customizations.health.<group>_<kind> keys of an
// argocd-cm ConfigMap.
func OverridesFromConfigMap(manifest []byte) (Overrides, error) {
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(manifest, &cm); err != nil {
		return nil, err
	}
	out := Overrides{}
	for k, v := range cm.Data {
		if gk, ok := strings.CutPrefix(k, healthPrefix); ok {
			key, err := overrideKey(gk)
			if err != nil {
				return nil, err
			}
			o := out[key]
			o.HealthLua = v
			out[key] = o
		}
		if gk, ok := strings.CutPrefix(k, openLibsPrefix); ok {
			key, err := overrideKey(gk)
			if err != nil {
				return nil, err
			}
			o := out[key]
			o.UseOpenLibs = v == "true"
			out[key] = o
		}
	}
	return out, nil
}

// overrideKey turns "group_Kind" into "group/Kind", as Argo CD's settings do.
func overrideKey(groupKind string) (string, error) {
	parts := strings.Split(groupKind, "_")
	if len(parts) == 2 {
		return parts[0] + "/" + parts[1], nil
	} else if len(parts) == 1 && groupKind != "" {
		return groupKind, nil
	}
	return "", fmt.Errorf("bad group kind %q in a resource.customizations key", groupKind)
}

// ResourceHealth is what Argo CD shows for obj: errors become Unknown with the error as message,
// and an object no script covers has no health (empty status), as for an unknown custom resource.
func ResourceHealth(obj *unstructured.Unstructured, overrides Overrides) Health {
	if obj.GetDeletionTimestamp() != nil && !slices.Contains(obj.GetFinalizers(), hookFinalizer) {
		return Health{Status: "Progressing", Message: "Pending deletion"}
	}
	o, ok := overrides.find(obj)
	if !ok {
		return Health{}
	}
	h, err := executeHealthLua(obj, o)
	if err != nil {
		return Health{Status: "Unknown", Message: err.Error()}
	}
	return h
}

func (overrides Overrides) find(obj *unstructured.Unstructured) (Override, bool) {
	gvk := obj.GroupVersionKind()
	key := gvk.Kind
	if gvk.Group != "" {
		key = gvk.Group + "/" + gvk.Kind
	}
	if o, ok := overrides[key]; ok && o.HealthLua != "" {
		return o, true
	}
	for pattern, o := range overrides {
		g, err := glob.Compile(pattern)
		if err == nil && g.Match(key) && o.HealthLua != "" {
			return o, true
		}
	}
	return Override{}, false
}

func executeHealthLua(obj *unstructured.Unstructured, o Override) (Health, error) {
	l, err := runLua(obj, o)
	if err != nil {
		return Health{}, err
	}
	defer l.Close()
	ret := l.Get(-1)
	switch ret.Type() {
	case lua.LTNil:
		return Health{}, nil
	case lua.LTTable:
		raw, err := luajson.Encode(ret)
		if err != nil {
			return Health{}, err
		}
		var h Health
		if err := json.Unmarshal(raw, &h); err != nil {
			// An empty Lua table encodes as [], which Argo CD reads as an empty health.
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) && typeErr.Value == "array" {
				return Health{}, nil
			}
			return Health{}, err
		}
		if !slices.Contains(validStatuses, h.Status) {
			return Health{Status: "Unknown", Message: "Lua returned an invalid health status"}, nil
		}
		return h, nil
	}
	return Health{}, fmt.Errorf("expect table output from Lua script, not %s", ret.Type())
}

// runLua builds the VM as Argo CD does: no standard libraries unless useOpenLibs, then package,
// base, table and an os reduced to time and date; `obj` is a global; one second to finish.
func runLua(obj *unstructured.Unstructured, o Override) (*lua.LState, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: !o.UseOpenLibs})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), Protect: true}, lua.LString(lib.name)); err != nil {
			l.Close()
			return nil, err
		}
	}
	if err := openSafeOs(l, o.UseOpenLibs); err != nil {
		l.Close()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", decodeValue(l, obj.Object))
	fn, err := l.LoadString(o.HealthLua)
	if err == nil {
		l.Push(fn)
		err = l.PCall(0, lua.MultRet, nil)
	}
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) && apiErr.Type == lua.ApiErrorRun {
		apiErr.StackTrace = "" // Argo CD drops the Lua stack trace from what users see
		err = apiErr
	}
	if err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// openSafeOs exposes only os.time and os.date (Argo CD ships its own copy of these two functions
// from gopher-lua; here gopher-lua's originals are kept and everything else is dropped).
func openSafeOs(l *lua.LState, openLibs bool) error {
	if err := l.CallByParam(lua.P{Fn: l.NewFunction(lua.OpenOs), Protect: true}, lua.LString(lua.OsLibName)); err != nil {
		return err
	}
	full := l.GetGlobal(lua.OsLibName).(*lua.LTable)
	if openLibs {
		return nil
	}
	safe := l.NewTable()
	safe.RawSetString("time", full.RawGetString("time"))
	safe.RawSetString("date", full.RawGetString("date"))
	l.SetGlobal(lua.OsLibName, safe)
	l.PreloadModule(lua.OsLibName, func(l *lua.LState) int { l.Push(safe); return 1 })
	return nil
}

// decodeValue converts an unstructured value to Lua as Argo CD does (unknown types become nil).
func decodeValue(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case []any:
		arr := l.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(decodeValue(l, item))
		}
		return arr
	case map[string]any:
		tbl := l.CreateTable(0, len(v))
		for key, item := range v {
			tbl.RawSetH(lua.LString(key), decodeValue(l, item))
		}
		return tbl
	}
	return lua.LNil
}
