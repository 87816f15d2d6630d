package sdk

// JSONBlocks hands out the memory that records' JSON is written into, in
// blocks shared by the records of a document: each record gets the next
// stretch of the current block, capped so that appending to it cannot reach
// the next record, and a stretch once handed out is never written again. A
// block lives as long as a record in it does. The zero value is ready to use.
type JSONBlocks struct {
	cur []byte
}

// jsonBlock is the size of a block, and minJSONRoom the room a block must
// have left to take another record.
const (
	jsonBlock   = 64 << 10
	minJSONRoom = 2 << 10
)

// Marshal returns the JSON of reg.
func (b *JSONBlocks) Marshal(reg *Registration) []byte {
	if cap(b.cur)-len(b.cur) < minJSONRoom {
		b.cur = make([]byte, 0, jsonBlock)
	}
	start := len(b.cur)
	b.cur = reg.AppendJSON(b.cur)
	return b.cur[start:len(b.cur):len(b.cur)]
}
