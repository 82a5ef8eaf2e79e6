package tenant_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

func TestInitials(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"two words", "Alice Example", "AE"},
		{"only the first two words", "Mary Ann Smith", "MA"},
		{"one word", "yuri", "Y"},
		{"an email splits at punctuation", "zoe.smith@example.com", "ZS"},
		{"letters beyond ASCII", "élodie durand", "ÉD"},
		{"digits count", "42 things", "4T"},
		{"markup is not copied", "<b>x</b>", "BX"},
		{"nothing to take", " -- ", "?"},
		{"empty", "", "?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tenant.Initials(tt.in))
		})
	}
}
