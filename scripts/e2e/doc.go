// Package e2e holds the project's end-to-end tests: real QEMU guests
// (s390x through the s390-ccw firmware's network boot, x86-64 with
// -kernel), dnsmasq in network namespaces, and the netboot client talking
// to them. They need the tools scripts/test.sh installs and the kernels
// scripts/fetch-kernels.sh unpacks; a missing tool is a test failure
// naming what to install, never a skip.
//
//	go test -tags e2e ./scripts/e2e/
//
// Every file of the tests is a _test.go file built with the e2e tag; this
// one only documents the package, so that go build and go vet see a
// package here with or without the tag.
package e2e
