package kexec_test

import (
	"errors"
	"fmt"

	"github.com/s390netboot/s390netboot/pxeclient/kexec"
)

func ExampleCheckKernel() {
	page := []byte("<!DOCTYPE html><html><body>404 Not Found</body></html>")
	err := kexec.CheckKernel("s390x", page)
	fmt.Println(errors.Is(err, kexec.ErrNotKernel))
	fmt.Println(err)
	// Output:
	// true
	// not a kernel: the kernel is an HTML page (an HTTP error page?) starting "<!DOCTYPE html><html><body>404 Not Found"; kexec on GOARCH=s390x needs an s390 kernel image ("S390EP" at 0x10008)
}

func ExampleConcatInitrds() {
	joined := kexec.ConcatInitrds([][]byte{make([]byte, 1000), make([]byte, 10)})
	fmt.Println(len(joined)) // 1000 padded to 1024, then 10
	// Output: 1034
}
