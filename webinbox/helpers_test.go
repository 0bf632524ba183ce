package webinbox_test

import (
	"io/fs"

	"github.com/pbmessaging/pbmessaging/webinbox"
)

func fsReadFile(name string) (string, error) {
	b, err := fs.ReadFile(webinbox.Files(), name)
	return string(b), err
}
