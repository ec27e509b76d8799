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

package etcd

// memberSuffixLength is the length of the random suffix K3s appends to a node name to name its etcd member:
// the first 8 characters of a UUID's lowercase hexadecimal form.
const memberSuffixLength = 8

// NodeNameFromMemberName returns the name of the node an etcd member of a K3s cluster runs on.
//
// K3s names a member `<node name>-<8 lowercase hex characters>` when the server first starts. Only exactly
// that suffix is removed: a name without it is returned unchanged, so that node names with dashes or ending
// in a hex-like segment of another length, and members named by other tools, keep their name. An empty name
// (a member that has not started) gives an empty node name.
func NodeNameFromMemberName(memberName string) string {
	dash := len(memberName) - memberSuffixLength - 1
	if dash < 1 || memberName[dash] != '-' || !isLowerHex(memberName[dash+1:]) {
		return memberName
	}
	return memberName[:dash]
}

// isLowerHex tells whether s consists only of the characters 0-9 and a-f.
func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
