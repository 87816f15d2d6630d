package sdk_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

type testPlan struct{ name string }

func TestCurrent(t *testing.T) {
	var c sdk.Current[testPlan]
	doc := sdk.Document{ID: "doc-1"}
	t.Run("ErrNotConfigured", func(t *testing.T) {
		if p, err := c.Get("poll"); p != nil || !errors.Is(err, sdk.ErrNotConfigured) || err.Error() != "poll: adapter is not configured" {
			t.Errorf("Get = %v, %v; want ErrNotConfigured as \"poll: adapter is not configured\"", p, err)
		}
		called := false
		err := c.Decode(doc, func(*testPlan) error { called = true; return nil })
		if called || !errors.Is(err, sdk.ErrNotConfigured) || err.Error() != `decode document "doc-1": adapter is not configured` {
			t.Errorf("Decode = %v (decode called: %v), want ErrNotConfigured for the document", err, called)
		}
	})
	first := &testPlan{name: "first"}
	t.Run("Set", func(t *testing.T) {
		if err := c.Set(first, nil); err != nil {
			t.Fatal(err)
		}
		if p, err := c.Get("poll"); p != first || err != nil {
			t.Errorf("Get = %v, %v; want the plan Set stored", p, err)
		}
	})
	t.Run("ErrSetKeepsPrevious", func(t *testing.T) {
		refused := errors.New("refused")
		if err := c.Set(&testPlan{name: "refused"}, refused); err != refused {
			t.Errorf("Set = %v, want the error it was given", err)
		}
		if c.Load() != first {
			t.Errorf("Load = %v after a refused Set, want the previous plan", c.Load())
		}
	})
	t.Run("Decode", func(t *testing.T) {
		var got *testPlan
		if err := c.Decode(doc, func(p *testPlan) error { got = p; return nil }); err != nil || got != first {
			t.Errorf("Decode = %v with plan %v, want nil with the plan in force", err, got)
		}
		broken := errors.New("broken")
		err := c.Decode(doc, func(*testPlan) error { return broken })
		if !errors.Is(err, broken) || err.Error() != `decode document "doc-1": broken` {
			t.Errorf("Decode = %v, want the error of decode, wrapped with the document", err)
		}
	})
	t.Run("Swap", func(t *testing.T) {
		second := &testPlan{name: "second"}
		if old := c.Swap(second); old != first {
			t.Errorf("Swap = %v, want the previous plan", old)
		}
		if c.Load() != second {
			t.Errorf("Load = %v, want the swapped-in plan", c.Load())
		}
	})
}

// TestCurrentConcurrent stores and loads from several goroutines; run with
// -race.
func TestCurrentConcurrent(t *testing.T) {
	var c sdk.Current[testPlan]
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			c.Store(&testPlan{name: string(rune('a' + i))})
		}()
		go func() {
			defer wg.Done()
			if p := c.Load(); p != nil && p.name == "" {
				t.Error("Load gave a plan without name")
			}
		}()
	}
	wg.Wait()
	if c.Load() == nil {
		t.Error("no plan after 8 stores")
	}
}

func TestDescriptionClone(t *testing.T) {
	d := sdk.Description{Name: "x", Version: "1", Capabilities: []string{"decode"}, ConfigSchema: []byte(`{}`)}
	c := d.Clone()
	c.Capabilities[0] = "changed"
	c.ConfigSchema[0] = '['
	if d.Capabilities[0] != "decode" || string(d.ConfigSchema) != `{}` {
		t.Errorf("changing the clone changed the original: %+v", d)
	}
	if c.Name != d.Name || c.Version != d.Version {
		t.Errorf("Clone = %+v, want the name and version of %+v", c, d)
	}
}
