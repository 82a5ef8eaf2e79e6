package store

import "container/list"

// compactFloor is the size below which a table is never rebuilt: small maps cost little.
const compactFloor = 1024

// table is a map that can give its memory back. Go maps keep the buckets of deleted entries,
// so a map that held a flood keeps the flood's size after the entries expire; compact rebuilds
// it once it holds a quarter of its peak.
type table[K comparable, V any] struct {
	m    map[K]V
	peak int
}

func newTable[K comparable, V any]() table[K, V] { return table[K, V]{m: make(map[K]V)} }

func (t *table[K, V]) get(k K) (V, bool) {
	v, ok := t.m[k]
	return v, ok
}

func (t *table[K, V]) set(k K, v V) {
	t.m[k] = v
	t.peak = max(t.peak, len(t.m))
}

func (t *table[K, V]) del(k K) { delete(t.m, k) }

func (t *table[K, V]) len() int { return len(t.m) }

func (t *table[K, V]) compact() {
	if t.peak < compactFloor || len(t.m) > t.peak/4 {
		return
	}
	m := make(map[K]V, len(t.m))
	for k, v := range t.m {
		m[k] = v
	}
	t.m, t.peak = m, len(m)
}

// fifo is a table that keeps at most max entries, dropping the one put longest ago first: for
// records whose loss only costs a retry. A put always makes its key the newest, whether the key
// was live, deleted or never seen, and a delete forgets the key entirely, so eviction never
// takes a fresh entry for a stale one.
type fifo[V any] struct {
	max   int
	t     table[string, *list.Element] // each element's Value is a *fifoEntry[V]
	order *list.List                   // oldest at the front
}

type fifoEntry[V any] struct {
	key string
	val V
	gc  gcTime
}

func newFIFO[V any](max int) *fifo[V] {
	return &fifo[V]{max: max, t: newTable[string, *list.Element](), order: list.New()}
}

func (f *fifo[V]) get(k string) (*fifoEntry[V], bool) {
	if e, ok := f.t.get(k); ok {
		return e.Value.(*fifoEntry[V]), true
	}
	return nil, false
}

func (f *fifo[V]) put(k string, v V, gc gcTime) {
	if e, ok := f.t.get(k); ok {
		en := e.Value.(*fifoEntry[V])
		en.val, en.gc = v, gc
		f.order.MoveToBack(e)
		return
	}
	f.t.set(k, f.order.PushBack(&fifoEntry[V]{key: k, val: v, gc: gc}))
	for f.t.len() > f.max {
		f.remove(f.order.Front())
	}
}

func (f *fifo[V]) del(k string) {
	if e, ok := f.t.get(k); ok {
		f.remove(e)
	}
}

func (f *fifo[V]) remove(e *list.Element) {
	f.order.Remove(e)
	f.t.del(e.Value.(*fifoEntry[V]).key)
}

func (f *fifo[V]) len() int { return f.t.len() }

// sweep removes the entries collectable at gc time at, and those dead says are (nil: none),
// then gives back the memory of a map that shrank.
func (f *fifo[V]) sweep(at gcTime, dead func(V) bool) {
	for e := f.order.Front(); e != nil; {
		next := e.Next()
		if en := e.Value.(*fifoEntry[V]); en.gc.due(at) || dead != nil && dead(en.val) {
			f.remove(e)
		}
		e = next
	}
	f.t.compact()
}
