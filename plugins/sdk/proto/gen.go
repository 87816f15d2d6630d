// Package adapterpb holds the generated protobuf and gRPC code of the adapter
// protocol (adapter.proto). Only package sdk uses it; adapters and the hub
// code against the Go interface in sdk.
//
// Regenerating needs protoc (Debian package protobuf-compiler),
// protoc-gen-go and protoc-gen-go-grpc on PATH:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
//	go generate ./plugins/sdk/...
package adapterpb

//go:generate protoc --proto_path=. --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative adapter.proto
