// Package positive holds the project's one rule for numeric options: a
// count or a duration that is zero or negative means "the default".
//
//	o.Timeout = positive.Or(o.Timeout, DefaultTimeout)
package positive

// Number is what an option with a default can be: a count (int) or a
// size or duration (int64, time.Duration).
type Number interface {
	~int | ~int64
}

// Or returns v when it is above zero, def otherwise.
func Or[T Number](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
