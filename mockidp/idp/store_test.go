package idp

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestBoundedEviction: past its cap a bounded map drops the entry put longest ago. A key that
// was deleted and put again is as fresh as its last put, however often that happened.
func TestBoundedEviction(t *testing.T) {
	tests := []struct {
		name string
		ops  func(b *bounded[int])
		kept []string
		gone []string
	}{
		{
			name: "oldest dropped",
			ops:  func(b *bounded[int]) { b.put("a", 1); b.put("b", 2); b.put("c", 3); b.put("d", 4) },
			kept: []string{"b", "c", "d"},
			gone: []string{"a"},
		},
		{
			name: "deleted and put again is fresh",
			ops: func(b *bounded[int]) {
				b.put("a", 1)
				b.put("b", 2)
				b.put("c", 3)
				b.del("a")
				b.put("a", 4)
				b.put("d", 5)
			},
			kept: []string{"a", "c", "d"},
			gone: []string{"b"},
		},
		{
			name: "put again without a delete is fresh too",
			ops: func(b *bounded[int]) {
				b.put("a", 1)
				b.put("b", 2)
				b.put("c", 3)
				b.put("a", 4)
				b.put("d", 5)
			},
			kept: []string{"a", "c", "d"},
			gone: []string{"b"},
		},
		{
			name: "many delete and put cycles of one key",
			ops: func(b *bounded[int]) {
				b.put("a", 0)
				b.put("b", 0)
				for i := range 20 {
					b.del("a")
					b.put("a", i)
				}
				b.put("c", 0)
				b.put("d", 0)
			},
			kept: []string{"a", "c", "d"},
			gone: []string{"b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBounded[int](3)
			tt.ops(&b)
			for _, k := range tt.kept {
				_, ok := b.get(k)
				assert.True(t, ok, "%s must be kept", k)
			}
			for _, k := range tt.gone {
				_, ok := b.get(k)
				assert.False(t, ok, "%s must be dropped", k)
			}
			assert.LessOrEqual(t, b.len(), 3)
		})
	}
}

// TestBoundedChurnStaysSmall: deleting and putting keys over and over keeps the bookkeeping
// proportional to the live entries.
func TestBoundedChurnStaysSmall(t *testing.T) {
	b := newBounded[int](4)
	for i := range 10_000 {
		k := strconv.Itoa(i % 6)
		b.put(k, i)
		if i%3 == 0 {
			b.del(k)
		}
	}
	assert.LessOrEqual(t, b.len(), 4)
	assert.Equal(t, b.len(), b.order.Len(), "one order entry per live key")
}
