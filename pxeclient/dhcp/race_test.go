package dhcp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRace(t *testing.T) {
	errNo := errors.New("no answer")
	after := func(d time.Duration, v string, boot bool, err error) func(context.Context) (string, bool, error) {
		return func(ctx context.Context) (string, bool, error) {
			select {
			case <-time.After(d):
				return v, boot, err
			case <-ctx.Done():
				return "", false, ctx.Err()
			}
		}
	}
	ms := time.Millisecond
	for _, tc := range []struct {
		name     string
		attempts []Attempt[string]
		grace    time.Duration
		want     string
		wantErr  string
	}{
		{"boot info beats an earlier plain result", []Attempt[string]{
			{"v4", after(10*ms, "v4 plain", false, nil)}, {"v6", after(50*ms, "v6 boot", true, nil)}}, 500 * ms, "v6 boot", ""},
		{"plain result after the grace period", []Attempt[string]{
			{"v4", after(10*ms, "v4 plain", false, nil)}, {"v6", after(5*time.Second, "v6 boot", true, nil)}}, 50 * ms, "v4 plain", ""},
		{"a failure does not stop the others", []Attempt[string]{
			{"v4", after(1*ms, "", false, errNo)}, {"v6", after(20*ms, "v6 plain", false, nil)}}, 5 * time.Second, "v6 plain", ""},
		{"all fail", []Attempt[string]{
			{"v4", after(1*ms, "", false, errNo)}, {"v6", after(2*ms, "", false, errNo)}}, 50 * ms, "", "v6: no answer"},
		{"time runs out", []Attempt[string]{{"v6", after(5*time.Second, "late", true, nil)}}, 50 * ms, "", "v6: context deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*ms)
			defer cancel()
			got, _, err := Race(ctx, testLog(t), tc.grace, tc.attempts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Race = %q, %v; want error with %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Race = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
