package delivery

import (
	"testing"

	"tidings/internal/platform/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
