#!/usr/bin/env bats
# test_tools.bats - `make test-tools` (what `make test` and `make asan`
# run first): every command the suite runs is found, or, not root, each
# missing one is named with the Debian package that has it, once per
# package, and make fails.  (As root it would apt-get install them: not
# exercised here, it changes the machine.)

load helpers

teardown() { test_teardown; }

as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}

@test "make test-tools: everything the suite runs is here" {
	run make -s -C "$REPO" test-tools
	echo "$output"
	[ "$status" = 0 ]
	[ -z "$output" ]
}

@test "make test-tools, not root: the missing commands and their packages are named, make fails" {
	[ "$(id -u)" = 0 ] || skip "needs root to become nobody"
	run as_nobody make -s -C "$REPO" test-tools \
		TEST_TOOLS="sh:dash no-such-tool-a:no-such-pkg no-such-tool-b:no-such-pkg no-such-tool-c:other-pkg"
	echo "$output"
	[ "$status" = 2 ]
	[ "${lines[0]}" = "needed for 'make test' but not found: no-such-tool-a no-such-tool-b no-such-tool-c: install the package(s) no-such-pkg other-pkg" ]
}

@test "make test-tools lists what the suite runs: bats, python3, mandoc, systemd's tools, setpriv" {
	run make -s -C "$REPO" --eval 'print-tools: ; @echo " $(TEST_TOOLS) "' print-tools
	echo "$output"
	local want
	for want in bats:bats python3:python3 mandoc:mandoc \
		systemd-socket-activate:systemd systemd-analyze:systemd setpriv:util-linux; do
		[[ $output == *" $want "* ]] || {
			echo "TEST_TOOLS lacks $want"
			false
		}
	done
}
