// Package objects reads Kubernetes objects from JSON the way client tools do (integers stay int64),
// accepting one object, a List, a JSON array or a stream of objects.
package objects

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Read decodes every object in r, flattening Lists and arrays.
func Read(r io.Reader) ([]*unstructured.Unstructured, error) {
	dec := json.NewDecoder(r)
	var out []*unstructured.Unstructured
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		objs, err := decode(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
}

func decode(raw json.RawMessage) ([]*unstructured.Unstructured, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, err
		}
		var out []*unstructured.Unstructured
		for _, item := range items {
			objs, err := decode(item)
			if err != nil {
				return nil, err
			}
			out = append(out, objs...)
		}
		return out, nil
	}
	u := &unstructured.Unstructured{}
	// UnmarshalJSON converts JSON numbers to int64 where they are whole, as the API machinery does.
	if err := u.UnmarshalJSON(trimmed); err != nil {
		return nil, fmt.Errorf("decoding object: %w", err)
	}
	if !u.IsList() {
		return []*unstructured.Unstructured{u}, nil
	}
	list, err := u.ToList()
	if err != nil {
		return nil, err
	}
	out := make([]*unstructured.Unstructured, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, &list.Items[i])
	}
	return out, nil
}

// Ref names an object as namespace/name (or name for cluster-scoped objects).
func Ref(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetName()
	}
	return u.GetNamespace() + "/" + u.GetName()
}
