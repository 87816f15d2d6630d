package clients

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/ketenhub/ketenhub/hub/identity"
	"github.com/ketenhub/ketenhub/hub/internal/parallel"
)

// identityIndex is the registry's copy in memory of the stored identities
// (registration_identity: client, features, keyed BSN hash, blocks) and of
// the blocks' members, so that finding the match candidates of a chunk reads
// memory instead of two index scans that return about ten rows per
// registration at a million registrations.
//
// It is kept up to date from the database, never from what a transaction
// intends to write: before each use, under the link lock, it reads the links
// whose link_seq (migration 00008) is above the highest it has seen. Every
// writer of registration_identity holds the link lock until it commits, so
// the numbers are committed in order and the index is exactly the committed
// state, whichever hub node wrote it; a transaction that rolls back leaves
// nothing behind in it.
//
// It holds no Go pointers per registration (a record per registration in
// large byte pages, slots and list nodes in flat arrays, maps of integers),
// and keeps the pages, slots and nodes outside the Go heap (offheap), so
// that the garbage collector neither scans them nor lets the heap grow by
// their size before it collects: about 340 bytes per registration
// (docs/clients.md).
type identityIndex struct {
	mu       sync.Mutex
	maxBlock int
	loaded   bool
	seq      int64  // the highest link_seq applied
	lastTx   string // the transaction that read it last (see sync)

	mem    offheap           // slots, nodes and pages live here
	slots  vec[indexSlot]    // one per stored registration
	byID   map[int64]uint32  // registration_identity id → slot
	blocks map[int64]uint32  // block → first member node + 1, or bigBlock
	nodes  vec[memberNode]   // the members of the blocks, as lists
	free   uint32            // first free node + 1
	pages  [][]byte          // the registrations' records (see putRecord)
	names  []string          // partner ids, by number
	nameOf map[string]uint16 // partner id → number
	// garbage counts the bytes of records replaced by a newer one.
	garbage int
}

// bigBlock marks a block with more than maxBlock members: its members are
// not kept, as the registry never compares within it.
const bigBlock = math.MaxUint32

// indexPageSize is the size of one page of records.
const indexPageSize = 1 << 20

type indexSlot struct {
	id      int64
	record  uint64 // page << 32 | offset
	partner uint16
}

type memberNode struct {
	slot, next uint32 // next: the next node + 1, 0 at the end
}

// indexRecord is one registration's record as putRecord writes it.
type indexRecord struct {
	recordKey, clientID string
	features, bsnHash   []byte // bsnHash only of a valid BSN
	blocks              []int64
}

// errIndexSameTx says that the index was already read in this transaction:
// it would then lack the transaction's own writes.
var errIndexSameTx = errors.New("clients: LinkChunk was called twice in one transaction")

func newIdentityIndex(maxBlock int) *identityIndex {
	return &identityIndex{maxBlock: maxBlock}
}

// candidates returns the stored registrations in the given blocks, as the
// database holds them in q, leaving out blocks of more than maxBlock
// registrations and the registrations in skip (those the caller is about to
// change). txID identifies the transaction q when the caller holds the link
// lock in it, else it is "".
func (ix *identityIndex) candidates(ctx context.Context, q querier, txID string, blocks []int64, skip map[int64]bool) (map[int64][]candidate, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.sync(ctx, q, txID); err != nil {
		return nil, err
	}
	// The blocks' members, then each member decoded once, on all cores.
	type member struct {
		block int64
		at    int // in slots
	}
	var members []member
	var slots []uint32
	at := map[uint32]int{}
	for _, b := range uniqueInt64(blocks) {
		head, ok := ix.blocks[b]
		if !ok || head == bigBlock {
			continue
		}
		for n := head; n != 0; n = ix.nodes.at(n - 1).next {
			s := ix.nodes.at(n - 1).slot
			if skip[ix.slots.at(s).id] {
				continue
			}
			k, ok := at[s]
			if !ok {
				k = len(slots)
				at[s] = k
				slots = append(slots, s)
			}
			members = append(members, member{block: b, at: k})
		}
	}
	decoded := make([]identity.Candidate, len(slots))
	errs := make([]error, len(slots))
	parallel.Each(len(slots), func(k int) { decoded[k], errs[k] = ix.candidate(slots[k]) })
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := map[int64][]candidate{}
	for _, m := range members {
		out[m.block] = append(out[m.block], candidate{regID: ix.slots.at(slots[m.at]).id, c: decoded[m.at]})
	}
	return out, nil
}

// candidate decodes the registration in slot s.
func (ix *identityIndex) candidate(s uint32) (identity.Candidate, error) {
	sl := *ix.slots.at(s)
	rec := ix.record(sl.record, false)
	n, err := decodeFeatures(rec.features)
	if err != nil {
		return identity.Candidate{}, fmt.Errorf("read match candidate %d: %w", sl.id, err)
	}
	if rec.bsnHash != nil {
		n.BSN = hex.EncodeToString(rec.bsnHash)
	}
	return identity.Candidate{Ref: identity.Ref{Partner: ix.names[sl.partner], RecordKey: rec.recordKey},
		ClientID: rec.clientID, Norm: n}, nil
}

// sync applies the links committed since the index last looked (all of them
// the first time). A failed read empties the index, which is then loaded
// again.
func (ix *identityIndex) sync(ctx context.Context, q querier, txID string) error {
	if txID != "" && txID == ix.lastTx {
		return errIndexSameTx
	}
	if !ix.loaded || ix.garbage > indexPageSize && ix.garbage > ix.used()/2 {
		ix.reset()
	}
	rows, err := q.Query(ctx, `SELECT id, partner, record_key, client_id, features, bsn_hash, bsn_invalid, blocks, link_seq
		FROM registration_identity WHERE link_seq > $1`, ix.seq)
	if err != nil {
		ix.loaded = false
		return fmt.Errorf("read changed client links: %w", err)
	}
	defer rows.Close()
	maxSeq := ix.seq
	for rows.Next() {
		var id, seq int64
		var partner string
		var invalid bool
		var rec indexRecord
		if err := rows.Scan(&id, &partner, &rec.recordKey, &rec.clientID, &rec.features, &rec.bsnHash, &invalid, &rec.blocks, &seq); err != nil {
			ix.loaded = false
			return fmt.Errorf("read changed client links: %w", err)
		}
		if invalid || len(rec.bsnHash) == 0 {
			rec.bsnHash = nil
		}
		ix.put(id, ix.partnerNumber(partner), rec)
		maxSeq = max(maxSeq, seq)
	}
	if err := rows.Err(); err != nil {
		ix.loaded = false
		return fmt.Errorf("read changed client links: %w", err)
	}
	ix.seq, ix.loaded, ix.lastTx = maxSeq, true, txID
	return nil
}

// reset empties the index (the caller holds mu).
func (ix *identityIndex) reset() {
	ix.loaded, ix.seq, ix.lastTx, ix.garbage, ix.free = false, 0, "", 0, 0
	ix.mem.free()
	ix.slots, ix.nodes, ix.pages, ix.names = vec[indexSlot]{}, vec[memberNode]{}, nil, nil
	ix.byID, ix.blocks, ix.nameOf = map[int64]uint32{}, map[int64]uint32{}, map[string]uint16{}
}

func (ix *identityIndex) used() int {
	return len(ix.pages) * indexPageSize
}

func (ix *identityIndex) partnerNumber(p string) uint16 {
	if n, ok := ix.nameOf[p]; ok {
		return n
	}
	n := uint16(len(ix.names))
	ix.names = append(ix.names, p)
	ix.nameOf[p] = n
	return n
}

// put adds or replaces one registration's identity.
func (ix *identityIndex) put(id int64, partner uint16, rec indexRecord) {
	s, ok := ix.byID[id]
	if ok {
		old := ix.record(ix.slots.at(s).record, true)
		for _, b := range old.blocks {
			ix.removeMember(b, s)
		}
		ix.garbage += old.size()
	} else {
		s = ix.slots.push(&ix.mem, indexSlot{id: id})
		ix.byID[id] = s
	}
	sl := ix.slots.at(s)
	sl.partner, sl.record = partner, ix.putRecord(rec)
	for _, b := range rec.blocks {
		ix.addMember(b, s)
	}
}

// addMember adds slot s to block b; a block that grows beyond maxBlock
// becomes big and its list is freed.
func (ix *identityIndex) addMember(b int64, s uint32) {
	head := ix.blocks[b]
	if head == bigBlock {
		return
	}
	count := 0
	for n := head; n != 0; n = ix.nodes.at(n - 1).next {
		count++
	}
	if count+1 > ix.maxBlock {
		for n := head; n != 0; {
			next := ix.nodes.at(n - 1).next
			ix.freeNode(n)
			n = next
		}
		ix.blocks[b] = bigBlock
		return
	}
	ix.blocks[b] = ix.newNode(memberNode{slot: s, next: head})
}

func (ix *identityIndex) removeMember(b int64, s uint32) {
	head, ok := ix.blocks[b]
	if !ok || head == bigBlock {
		return
	}
	prev := uint32(0)
	for n := head; n != 0; n = ix.nodes.at(n - 1).next {
		if ix.nodes.at(n-1).slot != s {
			prev = n
			continue
		}
		next := ix.nodes.at(n - 1).next
		switch {
		case prev != 0:
			ix.nodes.at(prev - 1).next = next
		case next == 0:
			delete(ix.blocks, b)
		default:
			ix.blocks[b] = next
		}
		ix.freeNode(n)
		return
	}
}

// newNode stores a node and returns its number + 1.
func (ix *identityIndex) newNode(m memberNode) uint32 {
	if ix.free != 0 {
		n := ix.free
		ix.free = ix.nodes.at(n - 1).next
		*ix.nodes.at(n - 1) = m
		return n
	}
	return ix.nodes.push(&ix.mem, m) + 1
}

func (ix *identityIndex) freeNode(n uint32) {
	*ix.nodes.at(n - 1) = memberNode{next: ix.free}
	ix.free = n
}

// putRecord appends rec to the pages: record key, client id, features and
// BSN hash each with its length, then the number of blocks and the blocks.
func (ix *identityIndex) putRecord(rec indexRecord) uint64 {
	size := rec.size()
	last := len(ix.pages) - 1
	if last < 0 || cap(ix.pages[last])-len(ix.pages[last]) < size {
		ix.pages = append(ix.pages, ix.mem.bytes(max(indexPageSize, size))[:0])
		last++
	}
	p := ix.pages[last]
	at := uint64(last)<<32 | uint64(len(p))
	for _, s := range [][]byte{[]byte(rec.recordKey), []byte(rec.clientID), rec.features, rec.bsnHash} {
		p = binary.AppendUvarint(p, uint64(len(s)))
		p = append(p, s...)
	}
	p = binary.AppendUvarint(p, uint64(len(rec.blocks)))
	for _, b := range rec.blocks {
		p = binary.LittleEndian.AppendUint64(p, uint64(b))
	}
	ix.pages[last] = p
	return at
}

// size is the most bytes putRecord writes for rec.
func (rec indexRecord) size() int {
	return 5*binary.MaxVarintLen32 + len(rec.recordKey) + len(rec.clientID) + len(rec.features) + len(rec.bsnHash) + 8*len(rec.blocks)
}

// record reads the record at, with its blocks when withBlocks. Its byte
// slices point into the page.
func (ix *identityIndex) record(at uint64, withBlocks bool) indexRecord {
	p := ix.pages[at>>32][uint32(at):]
	next := func() []byte {
		k, n := binary.Uvarint(p)
		b := p[n : n+int(k) : n+int(k)]
		p = p[n+int(k):]
		return b
	}
	var rec indexRecord
	rec.recordKey = string(next())
	rec.clientID = string(next())
	rec.features = next()
	if h := next(); len(h) > 0 {
		rec.bsnHash = h
	}
	if !withBlocks {
		return rec
	}
	k, n := binary.Uvarint(p)
	p = p[n:]
	rec.blocks = make([]int64, k)
	for i := range rec.blocks {
		rec.blocks[i] = int64(binary.LittleEndian.Uint64(p[8*i:]))
	}
	return rec
}
