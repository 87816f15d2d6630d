package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Topics. Work topics are per partner, so one partner's large or broken
// document never holds up another partner.
const (
	kindDocuments = "docs"
	kindChunks    = "chunks"
	topicFinished = "finished"
	topicAccepted = "accepted"
	topicPoison   = "poison"
)

func partnerTopic(kind, partner string) string { return kind + "." + partner }

// tableName maps a topic to a PostgreSQL table name that stays within the
// 63-byte identifier limit without two topics ever sharing a table.
func tableName(topic string) string {
	name := "wm_" + strings.NewReplacer(".", "_", "-", "_").Replace(topic)
	if len(name) > 60 {
		sum := sha256.Sum256([]byte(topic))
		name = name[:40] + "_" + hex.EncodeToString(sum[:8])
	}
	return `"` + name + `"`
}
