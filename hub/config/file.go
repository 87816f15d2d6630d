package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sync"

	"github.com/ketenhub/ketenhub/schemas"
)

// File is one YAML file checked against an embedded JSON Schema, for
// configuration files that other packages own (such as roles.yaml). It keeps
// the parsed YAML so that the owner's own checks can report problems at the
// right line and column, in the same file:line:col: field: message form as
// the hub's own files.
type File struct {
	doc *document
	// Revision is the sha256 (hex) of the file's bytes.
	Revision string
}

// LoadFile reads the YAML file at path and checks it against the embedded
// schema schemaName (a file name from package schemas). shown is how the
// file is named in problems. It returns the file as far as it could be
// parsed (nil when it cannot be read or is not YAML) together with every
// problem found, sorted by position; a file with problems may still be
// returned so that further checks can add theirs.
func LoadFile(path, shown, schemaName string) (*File, Errors) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Errors{{File: shown, Code: CodeFile, Message: "het bestand kan niet worden gelezen: " + readReason(err)}}
	}
	return ParseFile(shown, data, schemaName)
}

// ParseFile is LoadFile for bytes already read.
func ParseFile(shown string, data []byte, schemaName string) (*File, Errors) {
	sd, err := embeddedSchema(schemaName)
	if err != nil {
		return nil, Errors{{File: shown, Code: CodeSchema, Message: "het schema kan niet worden geladen: " + err.Error()}}
	}
	doc, errs := parseYAML(shown, data)
	if doc == nil {
		return nil, errs
	}
	errs = append(errs, sd.validate(doc, "")...)
	sum := sha256.Sum256(data)
	return &File{doc: doc, Revision: hex.EncodeToString(sum[:])}, sortWithin(errs)
}

// Value returns the file's content as a JSON-compatible value: maps,
// slices, strings, json.Number, bools and nil.
func (f *File) Value() any { return f.doc.value }

// Decode copies the file's content into dst (through encoding/json, so json
// struct tags apply). Values whose type does not fit are left at their zero
// value: the schema has already reported them.
func (f *File) Decode(dst any) { decode(f.doc.value, dst) }

// At builds a problem about the value at a JSON pointer ("/roles/beleid/scope"),
// located at that value in the file; when the pointer leads nowhere, at the
// deepest part that exists.
func (f *File) At(pointer, code, message string) Error {
	return f.doc.at("", pointer, false, code, message)
}

// AtKey is At located at the key that names the value, for problems about
// a name rather than its content (a duplicate or unknown name).
func (f *File) AtKey(pointer, code, message string) Error {
	return f.doc.at("", pointer, true, code, message)
}

// Sorted orders the problems of one file by line, column, field and code,
// and drops exact duplicates.
func (es Errors) Sorted() Errors { return sortWithin(es) }

// embedded caches the schemas compiled by embeddedSchema.
var embedded sync.Map // file name -> *schemaDoc

// embeddedSchema compiles an embedded schema of package schemas once.
func embeddedSchema(name string) (*schemaDoc, error) {
	if sd, ok := embedded.Load(name); ok {
		return sd.(*schemaDoc), nil
	}
	data, err := schemas.FS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read embedded schema %s: %w", name, err)
	}
	sd, err := compileSchema(schemaBase+name, data)
	if err != nil {
		return nil, fmt.Errorf("compile embedded schema %s: %w", name, err)
	}
	actual, _ := embedded.LoadOrStore(name, sd)
	return actual.(*schemaDoc), nil
}
