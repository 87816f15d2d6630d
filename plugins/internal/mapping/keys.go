package mapping

// KeyIndex finds record keys that occur twice in a document. It remembers
// the FNV-1a hash of every key with the line it was first seen on: some 20
// to 40 bytes per record, so a few million records fit in tens of
// megabytes. Two different keys with the same 64-bit hash would be taken for
// duplicates; with a million keys the chance of that is about one in 30
// million.
//
// Exports are usually sorted by their key, and while every key is greater
// than the one before, none can repeat: the index then only appends the
// hashes to a list, which is much cheaper than a hash table of a million
// entries. The first key out of order moves the list into a map.
type KeyIndex struct {
	sorted bool    // every key so far was greater than the one before
	last   string  // the previous key, while sorted
	list   []keyAt // the keys' hashes, while sorted
	m      map[uint64]uint32
}

type keyAt struct {
	hash uint64
	line uint32
}

// NewKeyIndex returns an empty KeyIndex.
func NewKeyIndex() *KeyIndex { return &KeyIndex{sorted: true} }

// First returns the line that key was first seen on, if it was.
func (x *KeyIndex) First(key string) (int, bool) {
	if x.sorted {
		if len(x.list) == 0 || key > x.last {
			return 0, false
		}
		x.unsort()
	}
	line, ok := x.m[keyHash(key)]
	return int(line), ok
}

// Add remembers key, first seen on line; First must have reported it new.
func (x *KeyIndex) Add(key string, line int) {
	l := uint32(min(line, 1<<32-1))
	if x.sorted {
		x.list = append(x.list, keyAt{keyHash(key), l})
		x.last = key
		return
	}
	x.m[keyHash(key)] = l
}

// unsort moves the list into the map.
func (x *KeyIndex) unsort() {
	x.sorted = false
	x.m = make(map[uint64]uint32, 2*len(x.list))
	for _, k := range x.list {
		if _, ok := x.m[k.hash]; !ok {
			x.m[k.hash] = k.line
		}
	}
	x.list, x.last = nil, ""
}

// keyHash is the 64-bit FNV-1a hash of a record key.
func keyHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
