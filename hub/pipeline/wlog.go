package pipeline

import (
	"context"
	"errors"

	"github.com/ThreeDotsLabs/watermill"
)

// quietShutdownLogger passes Watermill's log on, except that errors caused
// by the hub shutting down (a cancelled context) are logged at debug level
// instead of as errors.
type quietShutdownLogger struct {
	watermill.LoggerAdapter
}

// Error implements watermill.LoggerAdapter.
func (l quietShutdownLogger) Error(msg string, err error, fields watermill.LogFields) {
	if errors.Is(err, context.Canceled) {
		l.LoggerAdapter.Debug(msg+": "+err.Error(), fields)
		return
	}
	l.LoggerAdapter.Error(msg, err, fields)
}

// With implements watermill.LoggerAdapter.
func (l quietShutdownLogger) With(fields watermill.LogFields) watermill.LoggerAdapter {
	return quietShutdownLogger{l.LoggerAdapter.With(fields)}
}
