// Package sdktest is the conformance suite that every Ketenhub adapter
// passes, after Watermill's universal Pub/Sub tests and benthos' connector
// conformance: one call from the adapter's own tests checks the properties
// of the sdk.Adapter contract that the hub relies on but that the compiler
// cannot check.
//
// Call Run from a test in the adapter's package, with a configuration that
// is valid for the adapter and real sample documents:
//
//	func TestConformance(t *testing.T) {
//		sdktest.Run(t, newAdapter(), sdktest.Config{
//			Partner:       "ggz-oost",
//			AdapterConfig: []byte(`{"delimiter": ";", "columns": {...}}`),
//			Samples: []sdktest.Sample{
//				{Name: "ggz-oost.csv", Data: mustRead(t, "testdata/ggz-oost.csv"), WantRecords: 136, WantErrors: 0},
//			},
//			InvalidConfigs: [][]byte{[]byte(`{}`)},
//		})
//	}
//
// Run serves the adapter through sdk.TestClient, so the suite speaks to it
// over the real gRPC path, as the hub does. Its subtests are named after the
// property they check, so that a failure reads as the rule that was broken:
//
//   - Describe: a name, a version, the "decode" capability and a
//     configuration schema that compiles (JSON Schema, draft 7 unless the
//     schema says otherwise, without remote references) and accepts
//     Config.AdapterConfig.
//   - Configure: Config.AdapterConfig is accepted; every entry of
//     Config.InvalidConfigs is refused with a *sdk.ConfigError that has a
//     message.
//   - Decode: per sample, chunks numbered 0, 1, 2, ... without empty ones;
//     every record satisfies the shared registration schema, names
//     Config.Partner as source.partner and its own RecordKey as
//     source.record_key, starts on a line > 0 and has a key no other record
//     of the document has; every record error has a code from sdk's codes.go,
//     a message and a line >= 0; every consent statement satisfies
//     consent.v1, names Config.Partner as source.partner and its own
//     RecordKey as client.record_key (no chain client id), starts on a
//     line > 0 and does not come in an earlier chunk than the record it
//     concerns; the counts match the sample's WantRecords, WantErrors and
//     WantConsents.
//   - Deterministic: decoding a sample twice gives the same chunks, as the
//     hub's crash recovery requires.
//   - Robust: an empty input, a single byte, 64 KiB of random bytes, the
//     first sample cut in the middle of a record and a 5 MB input neither
//     panic nor hang Decode, and leave the adapter able to decode the first
//     sample as before. Decode may refuse such inputs with record errors or
//     an error; when it returns nil, its chunks must satisfy the Decode
//     rules.
//   - Cancellation: Decode returns an error within a few seconds when its
//     context is cancelled before it starts or after its first chunk. Only
//     an adapter that had read all it needed before the cancel may return
//     nil instead.
//   - Streaming: Decode writes chunks before it has read the whole document.
//   - Digest, for adapters that declare the "digest" capability: per
//     sample, every record has a SourceDigest, all with the same tag;
//     Decode with the digests of
//     all records, of every other record and of none in Document.Known
//     gives the same chunks' contents as without, except that the known
//     records come as Unchanged (line and key), deterministically, in
//     chunks that cover the same lines as without; an Unchanged record's
//     key is unique in the document like a record's.
//     The consent statements of known records are left out, the others
//     stay. With Config.NextExport, no changed record, and no record whose
//     consent statements changed, is reported unchanged. The
//     robustness inputs are decoded with the first sample's digests known;
//     the large one repeats its records, which must stay duplicates.
//
// The large inputs are made from the first sample: its first line (taken as
// a header) followed by the rest of it, repeated. Record keys then repeat, so
// for most adapters most of the large input decodes into record errors
// (sdk.CodeDuplicateKey); that is expected. Streaming needs a first sample
// that gives more than sdk.DefaultChunkRecords records and record errors
// from half of the 5 MB input and is skipped otherwise.
//
// The cancellation checks call the adapter directly rather than over gRPC:
// over gRPC the hub side returns as soon as its context ends, whatever the
// adapter does, and would hide an adapter that does not stop. Chunks written
// after the context ends are refused with the context's error, as the real
// transport does.
//
// Optional capabilities have suites of their own: RunEncode for an
// sdk.Encoder, RunPoll for an sdk.Poller (against a service the adapter's
// test runs, such as the fakes of plugins/polltest). GoldenJSON,
// GoldenChunks and Golden serve an adapter's own golden-file tests, with a
// Recorder; CheckRecords checks records against the shared schema.
//
// Keep the first sample the most typical one, and let it end with a record
// that is complete. Sample data stays in the adapter's testdata; the suite
// never prints record contents, only lines and record keys.
package sdktest
