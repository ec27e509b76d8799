/*
Copyright 2026 The cluster-api-k3s Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Command verify-patches checks the patch queue: every record in patches/ has the fixed format, names only tests
// that exist, is numbered without gaps or duplicates, and is listed with the same title, area and status in the
// index table of UPSTREAM.md. It prints one line per problem, "<file>:<line>: <message>", and exits 1 when there is
// any.
//
//	go run ./hack/tools/verify-patches [-root <repository>]
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	root := flag.String("root", ".", "repository root holding patches/ and UPSTREAM.md")
	flag.Parse()

	report, err := Check(*root)
	if err != nil {
		fmt.Fprintf(os.Stderr, "verify-patches: %v\n", err)
		os.Exit(1)
	}
	for _, p := range report.Problems {
		fmt.Fprintln(os.Stderr, p)
	}
	if len(report.Problems) > 0 {
		fmt.Fprintf(os.Stderr, "verify-patches: %d problem(s) in %d record(s); see UPSTREAM.md for the format\n",
			len(report.Problems), report.Records)
		os.Exit(1)
	}
	fmt.Printf("verify-patches: %d records, %d test references, UPSTREAM.md index OK\n", report.Records, report.TestRefs)
}
