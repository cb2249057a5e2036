// Command encrypt saves an XLSX workbook with a password (ECMA-376 agile
// encryption, as Excel's "Encrypt with Password" does), for the input corpus:
//
//	go run ./batch/testdata/encrypt/main.go IN.xlsx OUT.xlsx
//
// LibreOffice's headless export could not be made to encrypt OOXML; excelize
// writes the same container Excel does (an OLE file holding EncryptionInfo and
// EncryptedPackage).
package main

import (
	"log"
	"os"

	"github.com/xuri/excelize/v2"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: encrypt IN.xlsx OUT.xlsx")
	}
	f, err := excelize.OpenFile(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := f.SaveAs(os.Args[2], excelize.Options{Password: "secret"}); err != nil {
		log.Fatal(err)
	}
}
