package delivery_test

import (
	"testing"

	"tidings/internal/platform/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
