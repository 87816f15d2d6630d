# Thin wrappers over go commands; each recipe also works typed by hand.
.PHONY: build test run proto bench

# The hub, plus one binary per adapter: every plugins/<name> with a main
# package (plugins/sdk and plugins/sdktest are libraries).
build:
	go build -o bin/ketenhub ./cmd/ketenhub
	@set -e; for dir in plugins/*/; do \
		name=$$(basename "$$dir"); \
		case "$$name" in sdk|sdktest) continue ;; esac; \
		[ "$$(go list -e -f '{{.Name}}' "./plugins/$$name")" = main ] || continue; \
		echo "go build -o bin/plugins/ketenhub-$$name ./plugins/$$name"; \
		go build -o "bin/plugins/ketenhub-$$name" "./plugins/$$name"; \
	done

# Tests run against real PostgreSQL: a throwaway cluster per test binary
# (hub/store/pgtest), or the server in KETENHUB_TEST_DATABASE_URL.
test:
	go vet ./... && go test -race -count=1 -timeout 25m ./...

# Set up and run the example region (config/ketenhub.yaml).
run:
	scripts/run.sh

proto:
	go generate ./plugins/sdk/...

bench: build
	./bin/ketenhub bench --rows 1000000
