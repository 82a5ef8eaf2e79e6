package tenant

// ordered holds one kind of item in the order it was added, indexed by key: adding, replacing
// and removing an item cost O(1) whatever the tenant's size, and a listing keeps the tenant
// file's order with later additions at the end. An item whose key is empty or taken is listed
// but not indexed, so that the loader can still report on it.
type ordered[T any] struct {
	byKey      map[string]*node[T]
	head, tail *node[T]
	n          int
}

type node[T any] struct {
	item       T
	prev, next *node[T]
}

func newOrdered[T any]() ordered[T] { return ordered[T]{byKey: map[string]*node[T]{}} }

// add appends item, indexed by key unless the key is empty or another item's.
func (o *ordered[T]) add(key string, item T) {
	nd := &node[T]{item: item, prev: o.tail}
	if o.tail != nil {
		o.tail.next = nd
	} else {
		o.head = nd
	}
	o.tail = nd
	o.n++
	if _, taken := o.byKey[key]; key != "" && !taken {
		o.byKey[key] = nd
	}
}

func (o *ordered[T]) get(key string) (T, bool) {
	nd, ok := o.byKey[key]
	if !ok {
		var zero T
		return zero, false
	}
	return nd.item, true
}

// replace puts item in the place of the item indexed by key, under the same key.
func (o *ordered[T]) replace(key string, item T) bool {
	nd, ok := o.byKey[key]
	if ok {
		nd.item = item
	}
	return ok
}

// remove takes the item indexed by key out of the list and the index.
func (o *ordered[T]) remove(key string) (T, bool) {
	nd, ok := o.byKey[key]
	if !ok {
		var zero T
		return zero, false
	}
	delete(o.byKey, key)
	if nd.prev != nil {
		nd.prev.next = nd.next
	} else {
		o.head = nd.next
	}
	if nd.next != nil {
		nd.next.prev = nd.prev
	} else {
		o.tail = nd.prev
	}
	o.n--
	return nd.item, true
}

// rekey moves the index entry of an item from one key to another, keeping its place.
func (o *ordered[T]) rekey(from, to string, item T) {
	nd := o.byKey[from]
	delete(o.byKey, from)
	nd.item = item
	o.byKey[to] = nd
}

// first lists up to n items (all when n < 0) in order.
func (o *ordered[T]) first(n int) []T {
	size := o.n
	if n >= 0 {
		size = min(n, o.n)
	}
	out := make([]T, 0, size)
	for nd := o.head; nd != nil && len(out) < size; nd = nd.next {
		out = append(out, nd.item)
	}
	return out
}

func (o *ordered[T]) all() []T { return o.first(-1) }

func (o *ordered[T]) len() int { return o.n }

// clone is a copy of the list and its index holding the same items, which are never changed
// in place.
func (o *ordered[T]) clone() ordered[T] {
	keyOf := make(map[*node[T]]string, len(o.byKey))
	for k, nd := range o.byKey {
		keyOf[nd] = k
	}
	c := newOrdered[T]()
	for nd := o.head; nd != nil; nd = nd.next {
		c.add(keyOf[nd], nd.item)
	}
	return c
}
