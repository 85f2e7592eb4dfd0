#!/usr/bin/env bats
# docs.bats - the manual pages are lint-clean: `mandoc -T lint -W warning`
# reports nothing on man/*.[158] (issue 9 "Docs").  Warning, not style:
# mandoc's STYLE level also reports a cross-reference (.Xr) to a page
# this machine lacks, which depends on what is installed, not on ours.

load helpers

teardown() { test_teardown; }

@test "mandoc -T lint -W warning: every manual page is clean" {
	local pages=("$REPO"/man/*.[158])
	[ "${#pages[@]}" -ge 3 ]
	run mandoc -T lint -W warning "${pages[@]}"
	echo "$output"
	[ "$status" = 0 ]
	[ -z "$output" ]
}

@test "the manual pages that make install installs are the ones in man/" {
	local p
	for p in "$REPO"/man/*.[158]; do
		grep -q "man/${p##*/}\b" "$REPO/Makefile" || {
			echo "${p##*/} is not installed by the Makefile"
			false
		}
	done
}
