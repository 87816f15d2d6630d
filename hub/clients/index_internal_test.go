package clients

import (
	"reflect"
	"slices"
	"testing"
)

// members returns the slots of block b, sorted; nil for a big block.
func (ix *identityIndex) members(b int64) []uint32 {
	head := ix.blocks[b]
	if head == bigBlock {
		return nil
	}
	var out []uint32
	for n := head; n != 0; n = ix.nodes.at(n - 1).next {
		out = append(out, ix.nodes.at(n-1).slot)
	}
	slices.Sort(out)
	return out
}

func TestIndexBlocks(t *testing.T) {
	ix := newIdentityIndex(3)
	ix.reset()
	rec := func(key string, blocks ...int64) indexRecord {
		return indexRecord{recordKey: key, clientID: "kc-" + key, features: []byte{1, 2}, blocks: blocks}
	}
	ix.put(10, 0, rec("a", 1, 2))
	ix.put(11, 0, rec("b", 1))
	ix.put(12, 0, rec("c", 1, 3))
	if got := ix.members(1); !reflect.DeepEqual(got, []uint32{0, 1, 2}) {
		t.Fatalf("block 1: %v", got)
	}
	// A changed identity leaves its old blocks.
	ix.put(11, 0, rec("b", 3))
	if got := ix.members(1); !reflect.DeepEqual(got, []uint32{0, 2}) {
		t.Fatalf("block 1 after change: %v", got)
	}
	if got := ix.members(3); !reflect.DeepEqual(got, []uint32{1, 2}) {
		t.Fatalf("block 3 after change: %v", got)
	}
	if got := ix.record(ix.slots.at(1).record, true); got.recordKey != "b" || got.clientID != "kc-b" || !reflect.DeepEqual(got.blocks, []int64{3}) {
		t.Fatalf("record after change: %+v", got)
	}
	// The fourth member makes block 1 big for good, and frees its nodes.
	ix.put(13, 0, rec("d", 1))
	ix.put(14, 0, rec("e", 1))
	if ix.blocks[1] != bigBlock {
		t.Fatalf("block 1 with 4 members is not big: %v", ix.members(1))
	}
	nodes := ix.nodes.len()
	ix.put(15, 0, rec("f", 4, 5))
	if ix.nodes.len() != nodes {
		t.Fatalf("freed nodes were not reused: %d nodes, was %d", ix.nodes.len(), nodes)
	}
	ix.put(15, 0, rec("f"))
	if _, ok := ix.blocks[4]; ok {
		t.Fatal("an empty block stays")
	}
	if ix.garbage == 0 {
		t.Fatal("replaced records are not counted as garbage")
	}
}
